// Probe mode: a real packet from the source namespace (ping, a TCP SYN through connect(), or a UDP datagram),
// watched by tcpdump on each interface of the path inside our own namespaces, and our nat rules' packet
// counters read before and after. Nothing is added to any table, so there is nothing to remove afterwards
// but the tcpdump processes, which are killed whatever happens.
import { type ChildProcess, spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import type { z } from "zod";
import type { NatRuleCounters } from "../../lib/host-snapshot";
import type { ProbeOutcome } from "../../lib/schemas/trace";
import type { ProbeCaptureResult, ProbeNatDelta, TraceProbeResult, traceProbe } from "../contract/trace";
import { mapLimit, run } from "../linux/exec";
import { saveNatWithCounters } from "../linux/iptables";
import { parseNatCounters } from "../observe/nat";

type ProbeInput = z.output<typeof traceProbe>;

// connect() with a deadline; prints what came back. ECONNREFUSED is a RST, EHOSTUNREACH/ENETUNREACH an ICMP
// error (or no ARP answer), no event before the deadline a silent drop.
const tcpScript = `
const net = require("node:net");
const started = process.hrtime.bigint();
const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
const s = net.connect({ host: process.argv[1], port: Number(process.argv[2]) });
const done = (result, detail) => { process.stdout.write(JSON.stringify({ result, rtt_ms: ms(), detail }) + "\\n"); process.exit(0); };
s.on("connect", () => { s.destroy(); done("connected", "SYN-ACK received"); });
s.on("error", (e) => done(e.code === "ECONNREFUSED" ? "reset" : e.code === "ETIMEDOUT" ? "timeout" : "unreachable", e.code + ": " + e.message));
setTimeout(() => done("timeout", "no answer within " + process.argv[3] + " ms"), Number(process.argv[3]));
`;

// A connected UDP socket hears ICMP port unreachable as ECONNREFUSED; an answer as a message; else silence.
const udpScript = `
const dgram = require("node:dgram");
const started = process.hrtime.bigint();
const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
const s = dgram.createSocket("udp4");
const done = (result, detail) => { process.stdout.write(JSON.stringify({ result, rtt_ms: ms(), detail }) + "\\n"); process.exit(0); };
s.on("message", () => done("reply", "a datagram came back"));
s.on("error", (e) => done(e.code === "ECONNREFUSED" ? "unreachable" : "unreachable", e.code + ": " + e.message));
s.connect(Number(process.argv[2]), process.argv[1], () => s.send("netlens-trace"));
setTimeout(() => done("sent", "no answer within " + process.argv[3] + " ms (UDP need not answer)"), Number(process.argv[3]));
`;

type Capture = { namespace: string; interface: string; child: ChildProcess; lines: string[]; error?: string };

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

/** Starts tcpdump in the namespace on the interface; resolves once it listens (or failed). */
function startCapture(namespace: string, ifname: string, filter: string[]): Promise<Capture> {
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      namespace,
      "tcpdump",
      "-i",
      ifname,
      "-n",
      "-l",
      "-t",
      "--immediate-mode",
      "-c",
      "50",
      ...filter,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const capture: Capture = { namespace, interface: ifname, child, lines: [] };
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    const parts = out.split("\n");
    out = parts.pop() ?? "";
    capture.lines.push(...parts.filter((l) => l.trim().length > 0));
  });
  return new Promise((resolve) => {
    let err = "";
    const timer = setTimeout(() => {
      capture.error = "tcpdump did not start listening within 2 s";
      resolve(capture);
    }, 2000);
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      if (/listening on/.test(err)) {
        clearTimeout(timer);
        resolve(capture);
      }
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      capture.error = error.message;
      resolve(capture);
    });
    child.on("exit", () => {
      clearTimeout(timer);
      if (!/listening on/.test(err)) capture.error = err.trim() || "tcpdump exited";
      resolve(capture);
    });
  });
}

async function stopCapture(capture: Capture): Promise<void> {
  if (capture.child.exitCode !== null || capture.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => capture.child.once("exit", () => resolve()));
  capture.child.kill("SIGTERM");
  const timer = setTimeout(() => capture.child.kill("SIGKILL"), 1000);
  await exited;
  clearTimeout(timer);
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
      return parseNatCounters(await saveNatWithCounters(ns), chainPrefix);
    } catch {
      return [];
    }
  });
  return new Map(namespaces.map((ns, i) => [ns, lists[i] ?? []]));
}

async function send(input: ProbeInput): Promise<ProbeOutcome> {
  const seconds = Math.max(1, Math.ceil(input.timeout_ms / 1000));
  if (input.protocol === "icmp") {
    const { stdout, code } = await run(
      "ip",
      ["netns", "exec", input.namespace, "ping", "-n", "-c", "1", "-W", String(seconds), input.dst],
      { allowFailure: true, timeoutMs: input.timeout_ms + 3000 },
    );
    const rtt = /time=([\d.]+) ms/.exec(stdout)?.[1];
    if (code === 0)
      return { result: "reply", rtt_ms: rtt === undefined ? null : Number(rtt), detail: "echo reply" };
    const error = /(Destination \S+ Unreachable|Time to live exceeded|Packet filtered)/i.exec(stdout)?.[1];
    if (error !== undefined) return { result: "unreachable", rtt_ms: null, detail: error };
    return { result: "timeout", rtt_ms: null, detail: `no echo reply within ${seconds} s` };
  }
  const script = input.protocol === "tcp" ? tcpScript : udpScript;
  const { stdout } = await run(
    "ip",
    [
      "netns",
      "exec",
      input.namespace,
      process.execPath,
      "-e",
      script,
      input.dst,
      String(input.port ?? 0),
      String(input.timeout_ms),
    ],
    { allowFailure: true, timeoutMs: input.timeout_ms + 5000 },
  );
  try {
    const parsed = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as ProbeOutcome;
    return { ...parsed, rtt_ms: parsed.rtt_ms === null ? null : Math.round(parsed.rtt_ms * 100) / 100 };
  } catch {
    return { result: "timeout", rtt_ms: null, detail: `probe printed nothing usable: ${stdout.trim()}` };
  }
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
    const outcome = await send(input);
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
