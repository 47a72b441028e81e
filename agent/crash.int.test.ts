// The agent killed (SIGKILL, with every process it started) in the middle of applying a thousand floating IPs,
// at several points: while OVS takes its ports, while `ip -batch` adds the addresses, while iptables-restore
// writes the nat chains. Started again, it converges, nothing is written twice, and a floating IP that was there
// before keeps answering. The kill points are found by wrappers of those three programs, first on the agent's
// PATH: each leaves a mark and waits a moment before running the real program, and the test kills then.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { namespaceNames } from "../lib/names";
import type { HostIntent } from "./contract/intent";
import { run } from "./host/exec";
import { type AgentTestClient, createAgentTestClient } from "./testing/client";
import {
  freePort,
  namespacesWithPrefix,
  nsExec,
  pingOnce,
  type Sandbox,
  startSandbox,
  steadyPing,
  stopDaemonsUnder,
} from "./testing/host";
import { ids, labIntent, labRouter, manyFloatingIps } from "./testing/intent";

const repo = fileURLToPath(new URL("..", import.meta.url));
const tag = randomBytes(2).toString("hex");
const prefix = `c${tag}-`;
const routerNs = namespaceNames.router(prefix, ids.router);
const uplinkNs = namespaceNames.uplink(prefix, ids.external);

let sandbox: Sandbox | undefined;
let dir = "";
let agent: ChildProcess | undefined;
let client: AgentTestClient | undefined;
let revision = 0;

/** Wrappers of ip, ovs-vsctl and iptables-restore that mark `<dir>/marks/<name>` and wait before the real one. */
async function writeWrappers(): Promise<string> {
  const bin = join(dir, "bin");
  await run("mkdir", ["-p", bin, join(dir, "marks")]);
  const wrap = async (name: string, real: string, when: string) => {
    const script = `#!/bin/sh
# Marks the moment the agent runs ${name} for the work under test, then waits for the test to kill it.
if ${when}; then touch "${dir}/marks/${name}"; sleep 0.5; fi
exec ${real} "$@"
`;
    await writeFile(join(bin, name), script);
    await chmod(join(bin, name), 0o755);
  };
  // Only the writes that carry the thousand floating IPs: the router's batch and restore, the OVS transaction.
  await wrap(
    "ip",
    "/usr/sbin/ip",
    `[ -e "${dir}/armed" ] && echo "$*" | grep -q -- "-n ${routerNs} .*-force -batch"`,
  );
  await wrap("iptables-restore", "/usr/sbin/iptables-restore", `[ -e "${dir}/armed" ]`);
  await wrap("ovs-vsctl", "/usr/bin/ovs-vsctl", `[ -e "${dir}/armed" ] && echo "$*" | grep -q -- "add-port"`);
  return bin;
}

async function startAgent(bin: string): Promise<void> {
  const port = await freePort();
  const tokenFile = join(dir, "token");
  agent = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(repo, "agent/main.ts"),
      ...["--ovsdb", sandbox?.db ?? "", "--state-dir", join(dir, "agent"), "--token-file", tokenFile],
      ...["--integration-bridge", `c${tag}-int`, "--bridge-mapping", `public:c${tag}-ex`],
      ...["--datapath-type", "dummy", "--prefix", prefix, "--chain-prefix", `c${tag}`, "--log-level", "warn"],
      ...["--listen", `127.0.0.1:${port}`],
    ],
    // Its own process group, so that a kill takes the programs it started with it, as a crash of the host would.
    {
      cwd: repo,
      detached: true,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    },
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const token = (await readFile(tokenFile, "utf8")).trim();
      client = createAgentTestClient(`http://127.0.0.1:${port}`, token);
      await client.info.query();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function killAgent(): void {
  if (agent?.pid !== undefined && agent.exitCode === null) process.kill(-agent.pid, "SIGKILL");
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * The lab with the floating IP 203.0.113.20 and a thousand more (10.200.x.y, on the router's gateway inside our
 * namespaces only), and one more instance each round, so that OVS has a port to add too.
 */
function withThousand(round: number): HostIntent {
  revision++;
  const intent = labIntent(
    revision,
    labRouter({ floating_ips: [...labRouter().floating_ips, ...manyFloatingIps(1000, round * 1000)] }),
  );
  const [instance] = intent.instances;
  if (instance === undefined) throw new Error("the lab has an instance");
  for (let n = 0; n <= round; n++) {
    intent.instances.push({
      ...instance,
      id: `d0000000-0000-4000-8000-0000000001${String(n).padStart(2, "0")}`,
      // Tap names take the first 11 characters of the port id: those must differ.
      port_id: `c9${String(n).padStart(6, "0")}-0000-4000-8000-000000000100`,
      mac_address: `fa:16:3e:00:09:${String(n).padStart(2, "0")}`,
      ip_address: `10.0.0.${50 + n}`,
    });
  }
  return intent;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "netlens-crash-"));
  // Others may pass (not list): the daemons, once they dropped root, read their files in the agent's state dir.
  await chmod(dir, 0o711);
  sandbox = await startSandbox(`crash-${tag}`);
});

afterAll(async () => {
  killAgent();
  try {
    await stopDaemonsUnder(dir);
    for (const ns of await namespacesWithPrefix(prefix))
      await run("ip", ["netns", "del", ns], { allowFailure: true });
  } finally {
    await sandbox?.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

describe("agent killed in the middle of an apply", () => {
  // Three restarts of the daemon and three applies of a thousand floating IPs: minutes on a loaded 2-core host.
  it("converges after each kill, writes nothing twice, and the floating IP it had keeps answering", {
    timeout: 300_000,
  }, async () => {
    const bin = await writeWrappers();
    await startAgent(bin);
    revision++;
    expect((await client?.applyIntent.mutate(labIntent(revision)))?.errors).toEqual([]);
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
    // A steady ping on the floating IP that exists before and through every kill (0.1 s apart, at most 60 s).
    const ping = steadyPing(uplinkNs, "203.0.113.20", ["-i", "0.1", "-w", "60"]);
    try {
      for (const [round, point] of ["ovs-vsctl", "ip", "iptables-restore"].entries()) {
        await writeFile(join(dir, "armed"), "");
        const intent = withThousand(round);
        const applying = client?.applyIntent.mutate(intent).catch(() => "killed");
        const deadline = Date.now() + 20_000;
        while (!(await exists(join(dir, "marks", point))) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        expect(await exists(join(dir, "marks", point)), `the agent ran ${point}`).toBe(true);
        killAgent();
        expect(await applying).toBe("killed");
        await rm(join(dir, "armed"));
        await rm(join(dir, "marks"), { recursive: true, force: true });
        await run("mkdir", ["-p", join(dir, "marks")]);

        await startAgent(bin);
        const again = { ...intent, revision: ++revision, repair: [] };
        const result = await client?.applyIntent.mutate(again);
        expect(result?.errors).toEqual([]);
        // Everything asked for, each once: the nat rules and the addresses on the gateway.
        const nat = (await nsExec(routerNs, ["iptables-save", "-t", "nat"])).stdout.split("\n");
        const dnat = nat.filter(
          (line) => line.startsWith(`-A c${tag}-PREROUTING -d `) && line.includes("-j DNAT"),
        );
        expect(dnat).toHaveLength(1001);
        expect(new Set(dnat).size).toBe(1001);
        const addresses = (await nsExec(routerNs, ["ip", "-o", "-4", "addr", "show"])).stdout
          .split("\n")
          .filter((line) => line.includes(" qg-"));
        expect(addresses).toHaveLength(1002);
        expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
      }
    } finally {
      await ping.stop();
    }
    const { sent, received } = await ping.done;
    // A few at most: the chains are swapped whole by iptables-restore, and the gateway address never goes.
    expect(sent).toBeGreaterThan(20);
    expect(sent - received).toBeLessThanOrEqual(3);
  });
});
