import { TopologyPage } from "@/components/topology/topology-page";

export default function Home() {
  return <TopologyPage />;
}
