// Sends the trace's probe packet from inside a namespace: one ping (as large as the path's MTU, Don't Fragment
// set, when it is given), a TCP connect() or a UDP datagram (the latter two by a short node script run in the
// namespace), and tells what came back.
import type { ProbeOutcome } from "../../lib/schemas/trace";
import { run } from "./exec";

export type ProbeSend = {
  namespace: string;
  protocol: "icmp" | "tcp" | "udp";
  dst: string;
  port?: number | undefined;
  /** ICMP: the IP packet's size, sent with Don't Fragment. */
  mtu?: number | undefined;
  timeout_ms: number;
};

/** An IPv4 header (20) and an ICMP echo header (8): what ping's -s leaves out of the packet's size. */
const ICMP_ECHO_OVERHEAD = 28;

/**
 * ping's -M do -s for a DF packet of `mtu` bytes. Too large for the sending device, the kernel refuses it
 * ("local error: message too long"); too large for a link on the way, a veth drops it, a router answers
 * "Frag needed".
 */
const sizeArgs = (mtu: number | undefined) =>
  mtu === undefined ? [] : ["-M", "do", "-s", String(mtu - ICMP_ECHO_OVERHEAD)];

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
    const { stdout, stderr, code } = await run(
      "ip",
      [
        "netns",
        "exec",
        input.namespace,
        "ping",
        "-n",
        "-c",
        "1",
        "-W",
        String(seconds),
        ...sizeArgs(input.mtu),
        input.dst,
      ],
      { allowFailure: true, timeoutMs: input.timeout_ms + 3000 },
    );
    const size = input.mtu === undefined ? "" : ` (${input.mtu} bytes, Don't Fragment)`;
    const rtt = /time=([\d.]+) ms/.exec(stdout)?.[1];
    if (code === 0)
      return { result: "reply", rtt_ms: rtt === undefined ? null : Number(rtt), detail: `echo reply${size}` };
    const error =
      /(Destination \S+ Unreachable|Time to live exceeded|Packet filtered|Frag needed and DF set \(mtu = \d+\))/i.exec(
        stdout,
      )?.[1] ?? /local error: (message too long, mtu=\d+)/.exec(stderr)?.[1];
    if (error !== undefined) return { result: "unreachable", rtt_ms: null, detail: `${error}${size}` };
    return { result: "timeout", rtt_ms: null, detail: `no echo reply within ${seconds} s${size}` };
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
