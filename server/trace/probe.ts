// Probe mode, the server's half: where to watch (the interfaces of the explained path), and what the real
// packet's sightings say about each hop. PURE but for the types.

import type { TraceProbeResult } from "../../agent/contract/trace";
import type { Diagnosis, Hop, ProbeOutcome } from "../../lib/schemas/trace";

export type CapturePoint = { namespace: string; interface: string };

/** The interfaces, inside our namespaces, where each hop's packet must be visible (null: none to watch). */
export type HopPoints = (CapturePoint | null)[];

export function capturePoints(lists: HopPoints[]): CapturePoint[] {
  const seen = new Map<string, CapturePoint>();
  for (const list of lists)
    for (const point of list) if (point !== null) seen.set(`${point.namespace}/${point.interface}`, point);
  return [...seen.values()];
}

/**
 * Marks each hop seen or not: a packet with the hop's addresses at its capture point; a NAT hop by its rule's
 * counter (only the first packet of a connection passes the nat table) or, for conntrack's reverse NAT, by
 * the next hop having been seen with the translated addresses.
 */
export function markHops(hops: Hop[], points: HopPoints, result: TraceProbeResult): void {
  const at = new Map(result.captures.map((c) => [`${c.namespace}/${c.interface}`, c]));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    if (hop === undefined) continue;
    const point = points[i] ?? null;
    const evidence: string[] = [];
    if (point !== null) {
      const capture = at.get(`${point.namespace}/${point.interface}`);
      for (const p of capture?.packets ?? []) {
        if (p.src === hop.packet.src && p.dst === hop.packet.dst)
          evidence.push(`${point.interface}: ${p.text}`);
      }
      if (capture?.error) evidence.push(`capture on ${point.interface} failed: ${capture.error}`);
    }
    if (hop.decided_by.kind === "nat_rule") {
      const rule = hop.decided_by.text.replace(/^\[\d+:\d+\] /, "");
      const moved = result.nat.find((n) => n.namespace === hop.where.namespace && n.rule === rule);
      if (moved) evidence.push(`rule counter +${moved.packets}: ${moved.rule}`);
    }
    let seen = evidence.some((e) => !e.startsWith("capture on"));
    // A NAT hop shows only translated; a routed hop followed by SNAT shows on the wire already translated.
    const natFollows = hop.action === "routed" && hops[i + 1]?.action === "snat";
    if (!seen && (hop.action === "dnat" || hop.action === "snat" || natFollows)) {
      const next = hops[i + 1];
      if (next?.probe?.seen) {
        seen = true;
        evidence.push("the next hop saw the translated packet");
      }
    }
    hop.probe = { seen, evidence };
  }
}

export function probeVerdict(outcome: ProbeOutcome, forward: Hop[]): "delivered" | "dropped" {
  switch (outcome.result) {
    case "reply":
    case "connected":
      return "delivered";
    case "sent":
      // UDP need not answer: delivered when the destination saw it.
      return forward.at(-1)?.action === "delivered" && forward.at(-1)?.probe?.seen ? "delivered" : "dropped";
    case "reset":
    case "unreachable":
    case "timeout":
      return "dropped";
    default: {
      const unreachable: never = outcome.result;
      throw new Error(`Unknown probe result ${String(unreachable)}`);
    }
  }
}

/** What the probe itself diagnoses: a reset (nothing listens), or the last hop the packet was seen at. */
export function probeDiagnoses(
  outcome: ProbeOutcome,
  forward: Hop[],
  reply: Hop[],
  port: number | null,
  destination: string,
): Diagnosis[] {
  if (outcome.result === "reset") {
    const index = forward.findIndex((h) => h.action === "delivered");
    return [
      {
        code: "no-listener",
        hop: index >= 0 ? `forward[${index}]` : null,
        message: `${destination} answered the SYN with a reset: nothing listens on TCP port ${port ?? "?"} (the path itself works; a timeout would mean a drop).`,
        fix: `Start the service on port ${port ?? "?"} in the instance, or trace the port it listens on.`,
      },
    ];
  }
  if (outcome.result === "reply" || outcome.result === "connected") return [];
  const lost = (list: Hop[], name: string): Diagnosis | null => {
    const index = list.findIndex((h) => h.probe !== undefined && !h.probe.seen);
    if (index < 0) return null;
    const last = index > 0 ? `, last seen at ${name}[${index - 1}]` : "";
    return {
      code: "probe-lost",
      hop: `${name}[${index}]`,
      message: `The probe (${outcome.result}: ${outcome.detail}) was not seen at ${name}[${index}]${last}.`,
      fix: "See the hop's deciding rule and the diagnoses above; the packet dies between the last hop that saw it and this one.",
    };
  };
  const found = lost(forward, "forward") ?? lost(reply, "reply");
  return found ? [found] : [];
}
