// The walk's step at a filtered port: where the packet leaves an instance's port (egress) or reaches one
// (ingress) on the integration bridge, the port's security groups and port security decide, from the model
// (security.ts): a hop with the rule that allowed it, the reply of an allowed connection, a port that is not
// filtered, or the drop (with the event the diagnoses read).
import type { Diagnosis, HopRule } from "../../lib/schemas/trace";
import type { TraceModel } from "./facts";
import type { NsDevice, Place } from "./places";
import type { CapturePoint } from "./probe";
import { allowCommand, type FilterSide, filterVerdict, type NamedRule, type PortFilter } from "./security";
import type { Direction } from "./steps";
import type { Trail } from "./trail";
import type { WalkContext, WalkEvent } from "./walk-state";

function hopRule(filter: PortFilter, { row, group_name }: NamedRule): HopRule {
  return {
    kind: "security_group_rule",
    port_id: filter.entry.port_id,
    security_group_id: row.securityGroupId,
    security_group_name: group_name,
    rule_id: row.id,
    direction: row.direction,
    protocol: row.protocol,
    port_range_min: row.portRangeMin,
    port_range_max: row.portRangeMax,
    remote_ip_prefix: row.remoteIpPrefix,
    remote_group_id: row.remoteGroupId,
  };
}

/** What the filter of `device`'s port says of the packet as it is; null when the host does not filter it. */
function verdictAt(ctx: WalkContext, trail: Trail, direction: Direction, side: FilterSide, device: NsDevice) {
  const filter = device.port_id === null ? undefined : ctx.filters.get(device.port_id);
  if (filter === undefined) return null;
  const packet = { ...trail.packet, protocol: ctx.protocol, port: ctx.port, reply: direction === "reply" };
  return { filter, packet, verdict: filterVerdict(filter, side, packet) };
}

/** Whether the filter of `at`'s port drops the packet as it is (the model's verdict, before OVS's). */
export function filterDrops(
  ctx: WalkContext,
  trail: Trail,
  direction: Direction,
  side: FilterSide,
  at: { device: NsDevice },
): boolean {
  const kind = verdictAt(ctx, trail, direction, side, at.device)?.verdict.kind;
  return kind === "blocked" || kind === "spoof";
}

/**
 * The verdict of the filter of `device`'s port (in `place`) on the packet as it is, recorded as a hop at its
 * OVS port, which probe mode watches for at `watch` (the device the frame reaches past the filter); false when
 * the filter drops it. A port the host does not filter (a router's) records nothing.
 */
export function crossFilter(
  ctx: WalkContext,
  trail: Trail,
  direction: Direction,
  side: FilterSide,
  at: { place: Place; device: NsDevice },
  watch: CapturePoint | null,
): boolean {
  const { place, device } = at;
  const found = verdictAt(ctx, trail, direction, side, device);
  if (found === null) return true;
  const { filter, packet, verdict } = found;
  const port = `port ${filter.entry.port_id}`;
  const groups = filter.groups.map((g) => g.name || g.id).join(", ") || "none";
  const record = (action: "switched" | "dropped", text: string, rule?: HopRule) =>
    trail.hop(
      {
        bridge: ctx.info.integration_bridge,
        interface: device.tap,
        node_id: place.node_id,
        port_id: filter.entry.port_id,
      },
      { action, decided_by: { kind: "security_group", text }, rule },
      watch,
    );
  switch (verdict.kind) {
    case "unfiltered":
      record("switched", `port security is disabled on ${port}: not filtered`);
      return true;
    case "reply":
      record(
        "switched",
        `${side}: reply of an allowed connection (conntrack), through the security groups of ${port}`,
      );
      return true;
    case "allowed":
      record(
        "switched",
        `${side}: a rule of security group ${verdict.rule.group_name || verdict.rule.row.securityGroupId} of ${port} allows the new connection`,
        hopRule(filter, verdict.rule),
      );
      return true;
    case "blocked": {
      const hop = record(
        "dropped",
        `${side}: no rule of the security groups of ${port} (${groups}) allows it: dropped`,
      );
      trail.event({ type: "filter-drop", hop, filter, side, verdict: "blocked", packet });
      return false;
    }
    case "spoof": {
      const hop = record(
        "dropped",
        `egress: ${port} may not send from this address (port security: its fixed IPs and allowed address pairs only): dropped`,
      );
      trail.event({ type: "filter-drop", hop, filter, side, verdict: "spoof", packet });
      return false;
    }
    default: {
      const unknown: never = verdict;
      throw new Error(`Unknown filter verdict ${JSON.stringify(unknown)}`);
    }
  }
}

/** The diagnosis of a filter's drop: what no rule allows and the rule to create, or the address spoofed. */
export function filterDiagnosis(
  ports: TraceModel["ports"],
  event: Extract<WalkEvent, { type: "filter-drop" }>,
  hop: string,
): Diagnosis {
  const { filter, side, packet } = event;
  const row = ports.get(filter.entry.port_id);
  const port = `Port ${row?.name || filter.entry.port_id} (${filter.entry.fixed_ips.join(", ")})`;
  if (event.verdict === "spoof")
    return {
      code: "port-security-spoof",
      hop,
      message: `${port} sends from ${packet.src}, which is neither one of its fixed IPs nor an allowed address pair: port security drops it.`,
      fix: `Send from the port's own address, or allow the address: netlens port set --allowed-address ip-address=${packet.src} ${filter.entry.port_id}`,
    };
  const groups = filter.groups.map((g) => g.name || g.id).join(", ") || "none";
  const what = `${packet.protocol}${packet.port === null ? "" : ` port ${packet.port}`}`;
  const way = side === "ingress" ? `from ${packet.src}` : `to ${packet.dst}`;
  return {
    code: "security-group-blocks",
    hop,
    message: `No ${side} rule of the security groups of ${port} (${groups}) allows ${what} ${way}: the packet is dropped ${side === "ingress" ? "before it reaches" : "as it leaves"} the port.`,
    fix: allowCommand(filter, side, packet),
  };
}
