import { FloatingIpsList } from "@/components/resources/lists";

export default function Page() {
  return <FloatingIpsList />;
}
