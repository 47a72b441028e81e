// Developer page for `npm run bench:ui`: the topology canvas on generated data (no API involved).
import { BenchView } from "@/components/topology/bench-view";

const int = (v: string | string[] | undefined, fallback: number) => {
  const n = Number(Array.isArray(v) ? v[0] : v);
  return Number.isInteger(n) && n >= 0 && n <= 20_000 ? n : fallback;
};

export default async function BenchPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const q = await searchParams;
  return (
    <BenchView
      routers={int(q.routers, 20)}
      networks={int(q.networks, 200)}
      instances={int(q.instances, 2000)}
      expand={q.expand === "1"}
    />
  );
}
