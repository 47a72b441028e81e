// Helpers for integration tests and the bench: an OVS sandbox in a temp dir, commands in namespaces, probes.
import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../host/exec";

const sandboxScript = fileURLToPath(new URL("../../scripts/ovs-sandbox.sh", import.meta.url));

/** `restart`: OVS stopped (its bridges, ports and flows gone, as the sandbox's stop removes them) and started. */
export type Sandbox = { dir: string; db: string; stop: () => Promise<void>; restart: () => Promise<void> };

export async function startSandbox(label: string): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), `netlens-${label}-`));
  // Others may pass (not list): dnsmasq, once it has dropped root, reads its files in the agent's state dir here.
  await chmod(dir, 0o711);
  const stop = async () => {
    // An agent whose state dir is in here may have left daemons (a test that failed before its cleanup).
    await stopDaemonsUnder(dir);
    await run("bash", [sandboxScript, "stop", dir]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run("bash", [sandboxScript, "start", dir]);
  } catch (error) {
    await stop();
    throw error;
  }
  const restart = async () => {
    await run("bash", [sandboxScript, "stop", dir]);
    await run("bash", [sandboxScript, "start", dir]);
  };
  return { dir, db: `unix:${dir}/db.sock`, stop, restart };
}

export async function nsExec(ns: string, args: string[], allowFailure = false) {
  return run("ip", ["netns", "exec", ns, ...args], { allowFailure });
}

export async function pingOnce(ns: string, address: string): Promise<boolean> {
  const { code } = await nsExec(ns, ["ping", "-c", "1", "-W", "2", address], true);
  return code === 0;
}

/**
 * A ping answered within `seconds` (one a second until then): for a path that has just been wired (a tunnel
 * whose far end learns the first frames, a router that has just moved).
 */
export async function pingWithin(ns: string, address: string, seconds: number): Promise<boolean> {
  const { code } = await nsExec(ns, ["ping", "-c", "1", "-w", String(seconds), address], true);
  return code === 0;
}

export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  const { stdout } = await run("ip", ["netns", "list"]);
  return stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(prefix));
}

export async function linkExists(name: string): Promise<boolean> {
  const { code } = await run("ip", ["link", "show", "dev", name], { allowFailure: true });
  return code === 0;
}

const serverScript = `
const net = require("node:net");
const server = net.createServer((c) => { process.stdout.write("peer " + c.remoteAddress + "\\n"); c.end(); server.close(); });
server.listen(Number(process.argv[1]), "0.0.0.0", () => process.stdout.write("ready\\n"));
setTimeout(() => process.exit(2), 15000);
`;

const clientScript = `
const net = require("node:net");
const s = net.connect(Number(process.argv[2]), process.argv[1]);
s.on("connect", () => s.end());
s.on("close", () => process.exit(0));
s.on("error", (e) => { process.stderr.write(e.message); process.exit(1); });
setTimeout(() => process.exit(3), 4000);
`;

const udpServerScript = `
const dgram = require("node:dgram");
const server = dgram.createSocket("udp4");
server.on("message", (m, from) => {
  process.stdout.write("peer " + from.address + "\\n");
  server.send("pong", from.port, from.address, () => server.close());
});
server.bind(Number(process.argv[1]), "0.0.0.0", () => process.stdout.write("ready\\n"));
setTimeout(() => process.exit(2), 15000);
`;

// Exits 0 only once the answer came back: over UDP, getting there is half of it.
const udpClientScript = `
const dgram = require("node:dgram");
const s = dgram.createSocket("udp4");
s.on("message", () => process.exit(0));
s.send("ping", Number(process.argv[2]), process.argv[1]);
setTimeout(() => process.exit(3), 4000);
`;

/**
 * Listens on `port` in `serverNs`, connects from `clientNs` to `address:connectPort` (`port` unless a forwarding
 * maps another), and returns the peer address the listener saw (null when the connection did not arrive).
 */
export function tcpPeerAddress(
  serverNs: string,
  clientNs: string,
  address: string,
  port: number,
  connectPort = port,
): Promise<string | null> {
  return peerAddress(
    { server: serverScript, client: clientScript },
    serverNs,
    clientNs,
    address,
    port,
    connectPort,
  );
}

/**
 * The same over UDP: a datagram from `clientNs` to `address:connectPort`, answered by the listener on `port` in
 * `serverNs`; the peer address the listener saw, or null when the datagram or its answer was lost.
 */
export function udpPeerAddress(
  serverNs: string,
  clientNs: string,
  address: string,
  port: number,
  connectPort = port,
): Promise<string | null> {
  return peerAddress(
    { server: udpServerScript, client: udpClientScript },
    serverNs,
    clientNs,
    address,
    port,
    connectPort,
  );
}

async function peerAddress(
  scripts: { server: string; client: string },
  serverNs: string,
  clientNs: string,
  address: string,
  port: number,
  connectPort: number,
): Promise<string | null> {
  const server: ChildProcess = spawn("ip", [
    "netns",
    "exec",
    serverNs,
    process.execPath,
    "-e",
    scripts.server,
    String(port),
  ]);
  try {
    let output = "";
    await new Promise<void>((resolve, reject) => {
      server.stdout?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("ready")) resolve();
      });
      server.on("exit", () => reject(new Error(`listener in ${serverNs} exited: ${output}`)));
    });
    const peer = new Promise<string | null>((resolve) => {
      const check = () => {
        const match = /peer (?:::ffff:)?(\S+)/.exec(output);
        if (match?.[1] !== undefined) resolve(match[1]);
      };
      server.stdout?.on("data", check);
      check();
      setTimeout(() => resolve(null), 5000);
    });
    const client = await nsExec(
      clientNs,
      [process.execPath, "-e", scripts.client, address, String(connectPort)],
      true,
    );
    if (client.code !== 0) return null;
    return await peer;
  } finally {
    server.kill("SIGKILL");
  }
}

/** A TCP port free on 127.0.0.1 now (for a server a test starts next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/**
 * A steady ping from `ns` (its options, e.g. `-i 0.2 -c 20`) and, once it ends or is stopped, what it counted.
 * `stop` interrupts it (SIGINT: ping still prints its totals).
 */
export function steadyPing(ns: string, address: string, options: string[]) {
  const ping = spawn("ip", ["netns", "exec", ns, "ping", "-n", ...options, address]);
  let out = "";
  ping.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const done = new Promise<{ code: number | null; sent: number; received: number; text: string }>((resolve) =>
    ping.once("exit", (code) => {
      const [, sent = "0", received = "0"] = /(\d+) packets transmitted, (\d+) received/.exec(out) ?? [];
      resolve({ code, sent: Number(sent), received: Number(received), text: out });
    }),
  );
  return {
    done,
    stop: () => {
      ping.kill("SIGINT");
      return done;
    },
  };
}

/**
 * Stops the daemons (dnsmasq, haproxy, keepalived) an agent under `dir` left running: a test that kills its agent and deletes
 * its namespaces by hand would leave them, and each keeps its old namespace alive. Only processes of those
 * programs whose command line names a path under `dir` are touched.
 */
export async function stopDaemonsUnder(dir: string): Promise<void> {
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const argv = await readFile(`/proc/${pid}/cmdline`, "utf8").then(
      (text) => text.split("\0").filter(Boolean),
      () => [],
    );
    const program = argv[0]?.split("/").at(-1);
    const ours = program === "haproxy" || program === "dnsmasq" || program === "keepalived";
    if (ours && argv.some((a) => a.includes(`${dir}/`))) process.kill(Number(pid), "SIGTERM");
  }
}
