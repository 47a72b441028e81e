import { HostPage } from "@/components/inspect/host-page";

export default async function Page({ params }: { params: Promise<{ host: string }> }) {
  const { host } = await params;
  return <HostPage host={decodeURIComponent(host)} />;
}
