import { AuditLog } from "@/components/audit/audit-log";

export const metadata = { title: "Audit · netlens" };

type Search = Promise<Record<string, string | string[] | undefined>>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

/** The filters live in the address (`/audit?user=admin&resource=demo-net`): a filtered view can be shared. */
export default async function AuditPage({ searchParams }: { searchParams: Search }) {
  const sp = await searchParams;
  return (
    <AuditLog
      filter={{
        user: one(sp.user),
        resource: one(sp.resource),
        kind: one(sp.kind),
        since: one(sp.since),
        until: one(sp.until),
      }}
    />
  );
}
