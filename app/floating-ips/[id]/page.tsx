import { FloatingIpDetail } from "@/components/resources/detail";

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <FloatingIpDetail id={decodeURIComponent(id)} />;
}
