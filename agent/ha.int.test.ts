// HA routers against real OVS, namespaces and keepalived: two in-process agents standing for two network nodes
// (agent/testing/ha.ts), each given the same HA router. Exactly one node becomes active and holds the router's
// addresses; the uplink reaches the instance through its floating IP; when that node goes down the other takes
// over within the failover goal and the floating IP answers again; the node that comes back stays standby.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HaSection } from "../lib/host-snapshot";
import { deviceNames } from "../lib/names";
import { createAgent } from "./agent";
import { daemonRuns } from "./host/daemon";
import { haDir } from "./options";
import { keepalivedPaths } from "./plan/keepalived";
import {
  bringBack,
  FIP,
  type HaLab,
  type HaNode,
  holdersOf,
  keepalivedPid,
  killKeepalived,
  pingGap,
  startHaLab,
  takeDown,
  twinPortId,
  waitForOneHolder,
} from "./testing/ha";
import { namespacesWithPrefix, nsExec, pingOnce, pingWithin } from "./testing/host";
import { ids } from "./testing/intent";

const datapathType = (process.env.NETLENS_TEST_DATAPATH ?? "dummy") as "dummy" | "netdev";
const logger = pino({ level: process.env.NETLENS_TEST_LOG ?? "silent" });
/**
 * How long each ping stream around a failover runs: the floating IP must answer again before it ends. The gap
 * itself is printed here and measured against its goal (< 3 s) by `npm run bench:ha`, not asserted.
 */
const STREAM_S = 8;

let lab: HaLab | undefined;
let base = "";

function need(): HaLab {
  if (lab === undefined) throw new Error("lab not started");
  return lab;
}

const other = (node: HaNode) => need().nodes.find((n) => n !== node) as HaNode;

async function haStateOf(node: HaNode): Promise<string | undefined> {
  const snapshot = await node.agent.monitor.snapshot();
  const section = snapshot.sections[`netns/${node.routerNs}/ha`] as HaSection | undefined;
  return section?.ha_state;
}

/** The router's devices on a node, and its HA port's address. */
function devicesOf(node: HaNode) {
  const id = (portId: string) => (node.name === "a" ? portId : twinPortId(portId));
  return {
    qg: deviceNames.routerGateway(id(ids.gatewayPort)),
    qr: deviceNames.routerInterface(id(ids.interfacePort)),
    ha: deviceNames.routerHa(node.name === "a" ? ids.haPort1 : ids.haPort2),
    haAddress: node.name === "a" ? "169.254.192.1/18" : "169.254.192.2/18",
  };
}

/** The router namespace's IPv4 addresses, "dev address/len" sorted. */
async function addressesIn(node: HaNode): Promise<string[]> {
  const { stdout } = await nsExec(node.routerNs, ["ip", "-o", "-4", "addr", "show"]);
  return stdout
    .split("\n")
    .flatMap((line) => {
      const m = /^\d+: (\S+)\s+inet (\S+)/.exec(line);
      return m ? [`${m[1]} ${m[2]}`] : [];
    })
    .filter((a) => !a.startsWith("lo "))
    .sort();
}

afterAll(async () => {
  await lab?.stop();
  if (base !== "") expect(await namespacesWithPrefix(base)).toEqual([]);
});

beforeAll(async () => {
  lab = await startHaLab("h", logger, 0.5, datapathType);
  base = lab.nodes[0].prefix.slice(0, -2);
}, 60_000);

describe("an HA router on two network nodes", () => {
  let active: HaNode | null = null;

  it("is active on exactly one node, which alone holds its addresses; the floating IP answers", async () => {
    const [a, b] = need().nodes;
    const results = await Promise.all([a.agent.apply(a.intent(1)), b.agent.apply(b.intent(1))]);
    for (const result of results) expect(result.errors).toEqual([]);

    active = await waitForOneHolder(need(), FIP, 10_000);
    if (active === null) throw new Error("no node became active");
    const standby = other(active);
    const names = devicesOf(active);
    expect(await addressesIn(active)).toEqual(
      [
        `${names.qg} 203.0.113.10/24`,
        `${names.qg} 203.0.113.20/32`,
        `${names.qr} 10.0.0.1/24`,
        `${names.ha} ${names.haAddress}`,
        `${names.ha} 169.254.0.1/24`,
      ].sort(),
    );
    // The standby holds nothing of the router's: only its own HA port's address.
    const standbyNames = devicesOf(standby);
    expect(await addressesIn(standby)).toEqual([`${standbyNames.ha} ${standbyNames.haAddress}`]);
    const routes = await nsExec(active.routerNs, ["ip", "route", "show", "default"]);
    expect(routes.stdout).toContain(`default via 203.0.113.1 dev ${names.qg}`);

    expect(await pingWithin(need().uplinkNs, FIP, 5)).toBe(true);
    expect(await haStateOf(active)).toBe("active");
    expect(await haStateOf(standby)).toBe("standby");

    // keepalived's addresses and routes are not the agent's: applying again changes nothing on either node.
    for (const node of need().nodes)
      expect(await node.agent.apply(node.intent(1))).toMatchObject({ changes: 0, errors: [] });
  }, 30_000);

  it("fails over when the active node goes down: the floating IP answers again from the other node", async () => {
    if (active === null) throw new Error("no active node");
    const down = active;
    const survivor = other(down);
    const stream = await pingGap(need().uplinkNs, FIP, { intervalS: 0.1, durationS: STREAM_S }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await takeDown(down);
    });
    // The figure the issue asks for, printed with the test's output.
    process.stdout.write(
      `failover: floating IP unreachable ${stream.gapS} s (${stream.received}/${stream.sent} answered)\n`,
    );
    expect(stream.gapS, "answered again before the stream ended").toBeLessThan(STREAM_S - 1);
    expect((await holdersOf(need(), FIP)).map((n) => n.name)).toEqual([survivor.name]);
    expect(await pingOnce(need().uplinkNs, FIP)).toBe(true);
    expect(await haStateOf(survivor)).toBe("active");
    expect(await haStateOf(down)).toBe("fault");
    active = survivor;
  }, 30_000);

  it("takes the node back as standby: the router stays where it is (nopreempt)", async () => {
    if (active === null) throw new Error("no active node");
    const back = other(active);
    expect((await bringBack(back, 2)).errors).toEqual([]);
    // Four adverts: time for a preempting node to have taken the router back.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await holdersOf(need(), FIP)).map((n) => n.name)).toEqual([active.name]);
    expect(await haStateOf(back)).toBe("standby");
    expect(await pingOnce(need().uplinkNs, FIP)).toBe(true);
  }, 30_000);

  it("restarts an agent on the active node without a failover: keepalived runs on, the router stays", async () => {
    if (active === null) throw new Error("no active node");
    const node = active;
    const pid = await keepalivedPid(node);
    const stream = await pingGap(need().uplinkNs, FIP, { intervalS: 0.1, durationS: 5 }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await node.agent.close();
      // As the server pushes it: a repair list, so the new agent takes the picture the last one left.
      node.agent = await createAgent(node.options, node.logger);
      expect((await node.agent.apply({ ...node.intent(3), repair: [] })).errors).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 2500));
    });
    process.stdout.write(`agent restarted on the active node: floating IP unreachable ${stream.gapS} s\n`);
    expect(await keepalivedPid(node)).toBe(pid);
    expect((await holdersOf(need(), FIP)).map((n) => n.name)).toEqual([node.name]);
    expect(await haStateOf(node)).toBe("active");
  }, 30_000);

  it("keepalived killed on the active node: the standby takes over, the agent starts it again as BACKUP", async () => {
    if (active === null) throw new Error("no active node");
    const killed = active;
    const survivor = other(killed);
    let pids: number[] = [];
    const stream = await pingGap(need().uplinkNs, FIP, { intervalS: 0.1, durationS: STREAM_S }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      pids = await killKeepalived(killed);
    });
    process.stdout.write(
      `keepalived killed: floating IP unreachable ${stream.gapS} s (${stream.received}/${stream.sent} answered)\n`,
    );
    expect(stream.gapS, "answered again before the stream ended").toBeLessThan(STREAM_S - 1);
    // The agent saw it die and started it again (a new process); the addresses the dead one left are gone.
    const pid = await keepalivedPid(killed);
    expect(pid === null || pids.includes(pid)).toBe(false);
    expect(await daemonRuns("keepalived", keepalivedPaths(haDir(killed.agent.options), ids.router).pid)).toBe(
      true,
    );
    expect((await holdersOf(need(), FIP)).map((n) => n.name)).toEqual([survivor.name]);
    const names = devicesOf(killed);
    expect(await addressesIn(killed)).toEqual([`${names.ha} ${names.haAddress}`]);
    expect(await haStateOf(killed)).toBe("standby");
    expect(await haStateOf(survivor)).toBe("active");
    // BACKUP and nopreempt: four adverts later the router has not flapped back.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await holdersOf(need(), FIP)).map((n) => n.name)).toEqual([survivor.name]);
    expect(await pingOnce(need().uplinkNs, FIP)).toBe(true);
    active = survivor;
  }, 30_000);
});
