// Host inspection and drift: what the agents report about their hosts, relayed to admins only
// (a tenant sees none of a host's raw state), and the repair of what drifted from the model.
import { TRPCError } from "@trpc/server";
import { conntrackInvolves } from "../../../lib/conntrack";
import type { HostSections, SnapshotSectionKey } from "../../../lib/host-snapshot";
import {
  driftList,
  driftRepair,
  driftSettings,
  type InspectSectionKind,
  inspectSnapshot,
  inspectStream,
} from "../../../lib/schemas/inspect";
import type { Inspection } from "../../inspect/service";
import { recheckedCaller } from "../recheck";
import { adminProcedure, router, type Services } from "../trpc";

function need({ inspection }: Pick<Services, "inspection">): Inspection {
  if (!inspection) {
    throw new TRPCError({
      code: "PRECONDITION_FAILED",
      message: "Host inspection is not running in this server",
    });
  }
  return inspection;
}

/**
 * The sections one `--section` / `--namespace` asks for. `ovs` is the `ovs-vsctl show` text and the ports.
 * `--address` keeps, of the conntrack sections, the connections with that address.
 */
function pickSections(
  sections: HostSections,
  prefix: string,
  section?: InspectSectionKind,
  namespace?: string,
  address?: string,
): HostSections {
  const namespaces = namespace === undefined ? null : new Set([namespace, `${prefix}${namespace}`]);
  const picked: HostSections = {};
  for (const [key, value] of Object.entries(sections) as [
    SnapshotSectionKey,
    HostSections[SnapshotSectionKey],
  ][]) {
    if (value === undefined) continue;
    const ns = "namespace" in value ? value.namespace : null;
    if (namespaces !== null && (ns === null || !namespaces.has(ns))) continue;
    if (section !== undefined) {
      const kind = value.kind === "ovsPorts" ? "ovs" : value.kind;
      if (kind !== section) continue;
    }
    picked[key] =
      address !== undefined && value.kind === "conntrack"
        ? { ...value, entries: value.entries.filter((e) => conntrackInvolves(e, address)) }
        : value;
  }
  return picked;
}

const inspectRouter = router({
  /** The latest snapshot of a host, whole or one kind of section / one namespace. */
  snapshot: adminProcedure.input(inspectSnapshot).query(({ ctx, input }) => {
    const inspection = need(ctx);
    const relay = inspection.relayByHost(input.host);
    const snapshot = relay?.snapshot();
    if (!relay || !snapshot) {
      const known = inspection
        .statuses()
        .map((s) => s.host)
        .filter((h) => h !== null);
      throw new TRPCError({
        code: "NOT_FOUND",
        message: `No snapshot of host ${input.host} (known: ${known.join(", ") || "none"})`,
      });
    }
    const status = relay.status();
    const prefix = status.info?.prefix ?? "";
    const sections = pickSections(snapshot.sections, prefix, input.section, input.namespace, input.address);
    if (input.namespace !== undefined && Object.keys(sections).length === 0) {
      throw new TRPCError({
        code: "NOT_FOUND",
        message: `Host ${input.host} has no namespace ${input.namespace} of ours`,
      });
    }
    return {
      host: snapshot.host,
      prefix,
      online: status.online,
      last_seen: status.last_seen,
      seq: snapshot.seq,
      taken_at: snapshot.taken_at,
      sections,
    };
  }),
  /**
   * Every host's status and snapshot now, then each change (deltas of sections, status, drift); it ends when
   * its caller is no longer an admin who authenticates (logout, token revoked or expired, role taken away).
   */
  stream: adminProcedure.input(inspectStream).subscription(async function* ({ ctx, input, signal }) {
    const caller = recheckedCaller(ctx);
    for await (const event of need(ctx).stream(input?.host, signal)) {
      if ((await caller())?.role !== "admin") return;
      yield event;
    }
  }),
});

const driftRouter = router({
  /** Each drifted resource with what its host lacks (`missing`) or has besides (`extra`). */
  list: adminProcedure.input(driftList).query(({ ctx, input }) => need(ctx).drift(input?.host)),
  settings: adminProcedure.query(async ({ ctx }) => {
    const inspection = need(ctx);
    return { auto_repair: await inspection.autoRepair(), pending_hosts: inspection.pendingHosts() };
  }),
  setSettings: adminProcedure.input(driftSettings).mutation(async ({ ctx, input }) => {
    const inspection = need(ctx);
    await inspection.setAutoRepair(input.auto_repair);
    return { auto_repair: await inspection.autoRepair() };
  }),
  /** Pushes the desired state again (a new revision) for one drifted resource or for all. */
  repair: adminProcedure.input(driftRepair).mutation(async ({ ctx, input }) => {
    const inspection = need(ctx);
    const drifted = inspection.drift();
    if ("all" in input) {
      await inspection.repair("all");
      return { repaired: drifted.map(({ kind, id, name }) => ({ kind, id, name })) };
    }
    // A router's repair covers its floating IPs' drift too (the agent re-applies the router as a whole).
    const matches = drifted.filter(
      (d) => d.id === input.id || d.repair_id === input.id || (d.name !== "" && d.name === input.id),
    );
    if (matches.length === 0) {
      throw new TRPCError({ code: "NOT_FOUND", message: `No drift on ${input.id}` });
    }
    await inspection.repair([...new Set(matches.map((d) => d.repair_id))]);
    return { repaired: matches.map(({ kind, id, name }) => ({ kind, id, name })) };
  }),
});

/** Merged into the app router in one line (server/api/root.ts is shared). */
export const inspectRouters = { inspect: inspectRouter, drift: driftRouter };
