import { InstancesList } from "@/components/resources/lists";

export default function Page() {
  return <InstancesList />;
}
