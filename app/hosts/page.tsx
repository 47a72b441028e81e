import { HostsList } from "@/components/inspect/host-page";

export default function Page() {
  return <HostsList />;
}
