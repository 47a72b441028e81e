// What a host's agent says about the workloads plugged into its integration bridge (its snapshot's `bindings`
// section) made true in the model, as Neutron's OVS agent reports devices up and down: a bound port is ACTIVE
// with binding:host_id = that host and binding:vif_type "ovs"; a port of this host that is no longer bound is
// DOWN and unbound (binding:host_id cleared unless it was asked for through the API).
import { and, eq, inArray, notInArray, notLike, or } from "drizzle-orm";
import type { PluggedInterface } from "../../lib/host-snapshot";
import type { DbTx } from "../db/client";
import { instances, ports } from "../db/schema";
import type { ChangeEvent } from "../events";

export async function recordBindings(
  tx: DbTx,
  host: string,
  interfaces: readonly PluggedInterface[],
): Promise<ChangeEvent[]> {
  const bound = [
    ...new Set(interfaces.flatMap((i) => (i.state === "bound" && i.port_id !== null ? [i.port_id] : []))),
  ];
  // Workloads' ports only: router ports and probes are the agent's own, their status follows its applies.
  const workload = and(
    notLike(ports.deviceOwner, "network:%"),
    notInArray(ports.id, tx.select({ id: instances.portId }).from(instances)),
  );
  const rows = await tx
    .select()
    .from(ports)
    .where(
      and(
        workload,
        or(
          and(eq(ports.hostId, host), eq(ports.vifType, "ovs")),
          bound.length > 0 ? inArray(ports.id, bound) : undefined,
        ),
      ),
    );
  const events: ChangeEvent[] = [];
  for (const row of rows) {
    const isBound = bound.includes(row.id);
    // Bound meanwhile (or pinned) to another host: that host's word counts, and this agent's intent is stale.
    if (isBound && row.hostId !== "" && row.hostId !== host) continue;
    const next = isBound
      ? { hostId: host, vifType: "ovs" as const, status: "ACTIVE" as const }
      : { hostId: row.hostPinned ? row.hostId : "", vifType: "unbound" as const, status: "DOWN" as const };
    if (next.hostId === row.hostId && next.vifType === row.vifType && next.status === row.status) continue;
    await tx
      .update(ports)
      .set({ ...next, statusMessage: null })
      .where(eq(ports.id, row.id));
    events.push({ kind: "port", id: row.id, action: "status", project_id: row.projectId });
    // Where a port is bound is part of every other host's intent (an interface there naming it is refused).
    if (next.hostId !== row.hostId)
      events.push({ kind: "port", id: row.id, action: "update", project_id: row.projectId });
  }
  return events;
}
