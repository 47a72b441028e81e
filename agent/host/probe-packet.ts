// Sends the trace's probe packet from inside a namespace: one ping, a TCP connect() or a UDP datagram (the
// latter two by a short node script run in the namespace), and tells what came back.
import type { ProbeOutcome } from "../../lib/schemas/trace";
import { run } from "./exec";

export type ProbeSend = {
  namespace: string;
  protocol: "icmp" | "tcp" | "udp";
  dst: string;
  port?: number | undefined;
  timeout_ms: number;
};

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

export async function sendProbePacket(input: ProbeSend): Promise<ProbeOutcome> {
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
