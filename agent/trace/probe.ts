// Probe mode: a real packet from the source namespace (ping, a TCP SYN through connect(), or a UDP datagram),
// watched by tcpdump on each interface of the path inside our own namespaces, and our nat rules' packet
// counters read before and after. Nothing is added to any table, so there is nothing to remove afterwards
// but the tcpdump processes, which are killed whatever happens.
import { performance } from "node:perf_hooks";
import type { z } from "zod";
import type { NatRuleCounters } from "../../lib/host-snapshot";
import type { ProbeCaptureResult, ProbeNatDelta, TraceProbeResult, traceProbe } from "../contract/trace";
import { mapLimit } from "../host/exec";
import { saveNat } from "../host/iptables";
import { sendProbePacket } from "../host/probe-packet";
import { type Capture, startCapture, stopCapture } from "../host/tcpdump";
import { parseIptablesSave } from "../plan/iptables";

type ProbeInput = z.output<typeof traceProbe>;

function captureFilter(input: ProbeInput): string[] {
  // ICMP errors (unreachable) belong to every probe: they are how a drop is reported back.
  switch (input.protocol) {
    case "icmp":
      return ["icmp"];
    case "tcp":
      return ["tcp", "port", String(input.port ?? 0), "or", "icmp"];
    case "udp":
      return ["udp", "port", String(input.port ?? 0), "or", "icmp"];
    default: {
      const unreachable: never = input.protocol;
      throw new Error(`Unknown protocol ${String(unreachable)}`);
    }
  }
}

/** `IP 10.0.0.5.41234 > 203.0.113.1.8080: Flags [S], ...` -> addresses without ports. */
export function parseTcpdumpLine(line: string): { src: string; dst: string; text: string } | null {
  const match = /^IP (\d+\.\d+\.\d+\.\d+)(?:\.\d+)? > (\d+\.\d+\.\d+\.\d+)(?:\.\d+)?: (.*)$/.exec(
    line.trim(),
  );
  if (match?.[1] === undefined || match[2] === undefined) return null;
  return { src: match[1], dst: match[2], text: line.trim() };
}

async function natCounters(
  namespaces: string[],
  chainPrefix: string,
): Promise<Map<string, NatRuleCounters[]>> {
  const lists = await mapLimit(namespaces, 4, async (ns) => {
    try {
      return parseIptablesSave(await saveNat(ns), chainPrefix).rules;
    } catch {
      return [];
    }
  });
  return new Map(namespaces.map((ns, i) => [ns, lists[i] ?? []]));
}

export async function sendProbe(input: ProbeInput, chainPrefix: string): Promise<TraceProbeResult> {
  const started = performance.now();
  const filter = captureFilter(input);
  const captures: Capture[] = [];
  try {
    const [before, started_] = await Promise.all([
      natCounters(input.nat_namespaces, chainPrefix),
      Promise.all(input.captures.map((c) => startCapture(c.namespace, c.interface, filter))),
    ]);
    captures.push(...started_);
    const outcome = await sendProbePacket(input);
    // The last answer may still be on its way through a veth and tcpdump's pipe.
    await new Promise((resolve) => setTimeout(resolve, 60));
    await Promise.all(captures.map(stopCapture));
    const after = await natCounters(input.nat_namespaces, chainPrefix);
    const nat: ProbeNatDelta[] = [];
    for (const [ns, rules] of after) {
      const old = new Map((before.get(ns) ?? []).map((r) => [r.rule, r.packets]));
      for (const rule of rules) {
        const delta = rule.packets - (old.get(rule.rule) ?? 0);
        if (delta > 0) nat.push({ namespace: ns, chain: rule.chain, rule: rule.rule, packets: delta });
      }
    }
    const results: ProbeCaptureResult[] = captures.map((c) => ({
      namespace: c.namespace,
      interface: c.interface,
      lines: c.lines,
      packets: c.lines.flatMap((line) => parseTcpdumpLine(line) ?? []),
      ...(c.error === undefined ? {} : { error: c.error }),
    }));
    return {
      outcome,
      captures: results,
      nat,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
    };
  } finally {
    // Whatever failed above, no tcpdump outlives the probe.
    await Promise.all(captures.map(stopCapture));
  }
}
