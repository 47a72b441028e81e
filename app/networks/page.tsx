import { NetworksList } from "@/components/resources/lists";

export default function Page() {
  return <NetworksList />;
}
