import { Refused } from "@/components/auth/viewer";
import { TracePage } from "@/components/trace/trace-page";
import { type TraceProtocol, traceProtocols } from "@/lib/schemas/trace";
import { currentViewer } from "@/server/auth/viewer";

type Search = Promise<Record<string, string | string[] | undefined>>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

/** A trace shows the hosts' raw state (namespaces, rules, flows): admins only, like trace.run itself. */
export default async function Page({ searchParams }: { searchParams: Search }) {
  const viewer = await currentViewer();
  if (viewer?.role !== "admin") return <Refused what="Packet traces" />;
  const sp = await searchParams;
  const protocol = one(sp.protocol);
  return (
    <TracePage
      initial={{
        from: one(sp.from),
        to: one(sp.to),
        protocol: (traceProtocols as readonly string[]).includes(protocol)
          ? (protocol as TraceProtocol)
          : "icmp",
        port: one(sp.port),
      }}
    />
  );
}
