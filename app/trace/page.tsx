import { TracePage } from "@/components/trace/trace-page";
import { type TraceProtocol, traceProtocols } from "@/lib/schemas/trace";

type Search = Promise<Record<string, string | string[] | undefined>>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

/**
 * Admins read the hosts' raw state (namespaces, rules, flows); members trace their own project's paths, and
 * trace.run answers them with the host's internals masked.
 */
export default async function Page({ searchParams }: { searchParams: Search }) {
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
