// What an applied revision means for the model: resources changed at or before it are realised (ACTIVE, or
// DOWN where nothing runs), except those the agent named in its errors (ERROR with its message).
import { and, eq, inArray, lte, notInArray, or, type SQL } from "drizzle-orm";
import type { DbTx } from "../db/client";
import { floatingIps, instances, networks, ports, routers, type Status } from "../db/schema";
import type { ChangeEvent, ResourceKind } from "../events";

type Row = { id: string; projectId: string; status: Status; statusMessage: string | null } & Record<
  string,
  unknown
>;
const active = (): Status => "ACTIVE";

/** How each table reads back its rows and which status a healthy row takes. */
const tables = [
  { kind: "network", table: networks, healthy: active },
  { kind: "router", table: routers, healthy: active },
  { kind: "server", table: instances, healthy: active },
  {
    kind: "floating_ip",
    table: floatingIps,
    // Associated with a port, or forwarding ports through a router: its NAT runs there.
    healthy: (row: Row): Status => (row.fixedPortId || row.routerId ? "ACTIVE" : "DOWN"),
  },
  {
    kind: "port",
    table: ports,
    // Only a port wired on a host runs: router ports and probes (the agent makes them), workloads' ports while
    // they are plugged (server/agents/bindings.ts). Unbound ports and floating IP holders are DOWN.
    healthy: (row: Row): Status =>
      row.vifType === "ovs" && row.deviceOwner !== "network:floatingip" ? "ACTIVE" : "DOWN",
  },
] satisfies { kind: ResourceKind; table: unknown; healthy: (row: Row) => Status }[];

export async function recordStatuses(
  tx: DbTx,
  revision: number,
  errors: readonly { resource_id: string; message: string }[],
  /** Resources another host realises: left as they are (./placement.ts placedElsewhere). */
  elsewhere: readonly string[] = [],
): Promise<ChangeEvent[]> {
  const messages = new Map<string, string>();
  for (const e of errors)
    messages.set(e.resource_id, [messages.get(e.resource_id), e.message].filter(Boolean).join("; "));
  const named = [...messages.keys()];
  const events: ChangeEvent[] = [];
  for (const { kind, table, healthy } of tables) {
    const touched: SQL[] = [inArray(table.status, ["PENDING", "ERROR"])];
    if (named.length > 0) touched.push(inArray(table.id, named));
    if (named.length > 0 && table === ports) touched.push(inArray(ports.deviceId, named));
    const rows = (await tx
      .select()
      .from(table)
      .where(
        and(
          lte(table.intentRevision, revision),
          or(...touched),
          elsewhere.length > 0 ? notInArray(table.id, [...elsewhere]) : undefined,
        ),
      )) as Row[];
    for (const row of rows) {
      // A port fails with what it belongs to (the router or instance the agent names).
      const message =
        messages.get(row.id) ?? (kind === "port" ? messages.get(String(row.deviceId)) : undefined);
      const status: Status = message === undefined ? healthy(row) : "ERROR";
      const statusMessage = message ?? null;
      if (status === row.status && statusMessage === row.statusMessage) continue;
      await tx.update(table).set({ status, statusMessage }).where(eq(table.id, row.id));
      events.push({ kind, id: row.id, action: "status", project_id: row.projectId });
    }
  }
  return events;
}
