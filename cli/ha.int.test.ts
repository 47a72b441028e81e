// An HA router end to end (Neutron's L3 HA), through the `netlens` and `openstack` commands on a lab of three
// hosts (compute1, network1, network2, an agent process each): `router create --ha` puts the router on both
// network nodes, one active and one standby as router show says; the outside pings an instance's floating IP
// through the active one. Then the active node dies (its agent stopped, its underlay and public links cut: VRRP
// adverts stop, as when a host fails): the standby takes over, the floating IP answers again (the gap is printed),
// and router show names the other node active and the dead one unknown; `netlens trace` from the outside walks the
// router on the node that is active, before and after. With one network node left, --ha is refused with Neutron's
// error and nothing written; a member may not set --ha.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../agent/host/exec";
import { namespacesWithPrefix, pingWithin, steadyPing } from "../agent/testing/host";
import { namespaceNames } from "../lib/names";
import type { TraceResult } from "../lib/schemas/trace";
import { testUser } from "../server/testkit";
import { type LabStack, type LabStackHost, startLabStack, until } from "./testing/stack";

const EXT = {
  cidr: "203.0.113.0/24",
  gateway: "203.0.113.1",
  fip: "203.0.113.40",
  /** The outside: a namespace of this test on the lab's `public` wire, on no network node. */
  outside: "203.0.113.250",
} as const;
const openrcScript = fileURLToPath(new URL("../scripts/openrc.sh", import.meta.url));

let stack: LabStack;
let outsideNs = "";
let rcDir = "";
let adminRc = "";
/** The network node the failover test took down. */
let dead = "";

type HaState = { host: string; ha_state: string };
type RouterShow = { id: string; ha: boolean; status: string; ha_state: HaState[] | null };

function host(name: string): LabStackHost {
  const found = stack.hosts.find((h) => h.name === name);
  if (found === undefined) throw new Error(`no lab host ${name}`);
  return found;
}

/** The outside world as a host on the provider network's wire would be: not behind any network node. */
async function startOutside(): Promise<void> {
  const { underlay } = stack.lab;
  outsideNs = `${underlay.replace(/underlay$/, "")}outside`;
  await run("ip", ["netns", "add", outsideNs]);
  await run("ip", [
    "-n",
    underlay,
    "link",
    "add",
    "o-outside",
    "type",
    "veth",
    "peer",
    "name",
    "eth0",
    "netns",
    outsideNs,
  ]);
  await run("ip", ["-n", underlay, "link", "set", "o-outside", "master", "public", "up"]);
  await run("ip", ["-n", outsideNs, "addr", "add", `${EXT.outside}/24`, "dev", "eth0"]);
  await run("ip", ["-n", outsideNs, "link", "set", "eth0", "up"]);
  await run("ip", ["-n", outsideNs, "link", "set", "lo", "up"]);
}

/** `openstack ARGS` with the stack's admin openrc, as an operator types it. */
const openstack = (...args: string[]) =>
  run("bash", ["-c", 'source "$0" && exec openstack "$@"', adminRc, ...args], {
    env: Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith("OS_")),
    ) as NodeJS.ProcessEnv,
    allowFailure: true,
  });

/** The router's nodes once one says active and the other standby. */
const activeAndStandby = () =>
  until(
    "one node active and the other standby",
    async () => {
      const router = await stack.cliJson<RouterShow>("router", "show", "r");
      const states = (router.ha_state ?? []).map((s) => s.ha_state).sort();
      return states.join() === "active,standby" ? router : undefined;
    },
    60_000,
  );

/**
 * `netlens trace` from the outside (the external subnet's gateway, where the model's outside world is) to the
 * floating IP: delivered through the HA router's namespace on `active`, the hop into it naming that node, none
 * through the other node's.
 */
async function expectTracedThrough(routerId: string, active: string): Promise<void> {
  const trace = await stack.cliJson<TraceResult>("trace", "--from", EXT.gateway, "--to", EXT.fip);
  expect(trace.verdict, JSON.stringify(trace.diagnoses)).toBe("delivered");
  const namespaces = (h: LabStackHost) => namespaceNames.router(h.prefix, routerId);
  const inRouter = trace.forward.filter((hop) => hop.where.namespace === namespaces(host(active)));
  expect(inRouter.length, JSON.stringify(trace.forward.map((h) => h.where))).toBeGreaterThan(0);
  expect(inRouter.every((hop) => hop.where.host === active)).toBe(true);
  expect(inRouter[0]?.decided_by.text).toContain(`HA router, active on ${active}`);
  const other = stack.hosts.filter((h) => h.name !== active && h.role === "network");
  for (const h of other)
    expect(trace.forward.some((hop) => hop.where.namespace === namespaces(h))).toBe(false);
}

/** The largest gap (s) between two consecutive echo replies in `ping -D` output. */
function largestGap(text: string): { gap: number; last: number } {
  const times = [...text.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]));
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] ?? 0) - (times[i - 1] ?? 0));
  return { gap, last: times.at(-1) ?? 0 };
}

beforeAll(async () => {
  stack = await startLabStack(["compute1", "network1", "network2"]);
  await startOutside();
  rcDir = await mkdtemp(join(tmpdir(), "netlens-ha-openrc-"));
  adminRc = join(rcDir, "openrc");
  await run("bash", [
    openrcScript,
    adminRc,
    stack.restUrl,
    "admin",
    "admin",
    "/nonexistent",
    stack.api.admin.password,
  ]);
});
afterAll(async () => {
  const prefixes = stack
    ? [...stack.hosts.map((h) => h.prefix), `${stack.lab.underlay.replace(/underlay$/, "")}`]
    : [];
  if (outsideNs) await run("ip", ["netns", "del", outsideNs], { allowFailure: true });
  await stack?.stop();
  if (rcDir) await rm(rcDir, { recursive: true, force: true });
  for (const prefix of prefixes) expect(await namespacesWithPrefix(prefix)).toEqual([]);
});

describe("an HA router on two network nodes", () => {
  it("makes an HA router with `openstack router create --ha` and `netlens router create --ha`", async () => {
    await until("the three agents to say who they are", async () => {
      const rows = await stack.cliJson<{ online: boolean }[]>("host", "list");
      return rows.length === 3 && rows.every((r) => r.online) ? rows : undefined;
    });
    const os = await openstack("router", "create", "--ha", "os-ha", "-f", "json");
    expect(os.code, os.stderr).toBe(0);
    expect(JSON.parse(os.stdout)).toMatchObject({ name: "os-ha", ha: true });
    expect(await stack.cliJson<RouterShow>("router", "show", "os-ha")).toMatchObject({ ha: true });
    expect((await openstack("router", "delete", "os-ha")).code).toBe(0);

    const { cliOk } = stack;
    await stack.externalNetwork("ext", { ...EXT, pool: { start: "203.0.113.10", end: "203.0.113.100" } });
    await cliOk("network", "create", "tenant", "--provider-network-type", "vxlan");
    await cliOk("subnet", "create", "tenant-sub", "--network", "tenant", "--subnet-range", "10.8.0.0/24");
    await cliOk("router", "create", "--ha", "r", "--external-gateway", "ext");
    await cliOk("router", "add", "subnet", "r", "tenant-sub");
    await cliOk("server", "create", "vm1", "--network", "tenant", "--host", "compute1");
    await cliOk("floating", "ip", "create", "ext", "--floating-ip-address", EXT.fip);
    await cliOk("server", "add", "floating", "ip", "vm1", EXT.fip);
    await cliOk("security", "group", "rule", "create", "--protocol", "icmp", "default");
  });

  it("says which node is active and which standby; the outside reaches the floating IP", async () => {
    const router = await activeAndStandby();
    expect(router.ha).toBe(true);
    expect((router.ha_state ?? []).map((s) => s.host).sort()).toEqual(["network1", "network2"]);
    // Neutron's own view of it: the L3 agents hosting the router, each with its HA State.
    const agents = await openstack("network", "agent", "list", "--router", "r", "--long", "-f", "json");
    expect(agents.code, agents.stderr).toBe(0);
    const byHost = (rows: Record<string, unknown>[]) =>
      Object.fromEntries(rows.map((a) => [a.Host, a["HA State"]]));
    const shown = Object.fromEntries((router.ha_state ?? []).map((s) => [s.host, s.ha_state]));
    expect(byHost(JSON.parse(agents.stdout))).toEqual(shown);
    const mine = await stack.cliJson<{ host: string; ha_state: string }[]>(
      "network",
      "agent",
      "list",
      "--router",
      "r",
      "--long",
    );
    expect(Object.fromEntries(mine.map((a) => [a.host, a.ha_state]))).toEqual(shown);
    expect(await pingWithin(outsideNs, EXT.fip, 20)).toBe(true);
    const active = router.ha_state?.find((s) => s.ha_state === "active")?.host ?? "";
    await expectTracedThrough(router.id, active);
  });

  it("a member sees that it is HA but not where, and may not set --ha", async () => {
    const member = await testUser(stack.api.services, "ha-tenant", "admin", "member");
    const { token } = await member.caller.token.issue({ name: "ha" });
    const shown = await stack.cliAs(token, "router", "show", "r", "-f", "json");
    expect(JSON.parse(shown.stdout)).toMatchObject({ ha: true, ha_state: null });
    // The member's trace goes the same way, without the nodes.
    const traced = await stack.cliAs(token, "trace", "--from", EXT.gateway, "--to", EXT.fip, "-f", "json");
    expect(traced.code, traced.stderr).toBe(0);
    expect((JSON.parse(traced.stdout) as TraceResult).verdict).toBe("delivered");
    for (const word of ["network1", "network2", "active on", "public0", "br-ex"])
      expect(traced.stdout, word).not.toContain(word);
    const set = await stack.cliAs(token, "router", "set", "--no-ha", "r");
    expect(set.code).not.toBe(0);
    expect(set.stderr).toMatch(/admin/i);
    expect((await stack.cliJson<RouterShow>("router", "show", "r")).ha).toBe(true);
  });

  it("fails over when the active node dies: the floating IP answers again, the other node is active", async () => {
    const before = await activeAndStandby();
    const active = before.ha_state?.find((s) => s.ha_state === "active")?.host ?? "";
    const standby = before.ha_state?.find((s) => s.ha_state === "standby")?.host ?? "";
    const dying = host(active);
    dead = active;
    const ping = steadyPing(outsideNs, EXT.fip, ["-D", "-i", "0.1", "-w", "60"]);
    await new Promise((r) => setTimeout(r, 1500));
    // The host dies: nothing of it reaches the wires any more, and its agent is gone.
    const cut = Date.now() / 1000;
    for (const link of ["underlay0", "public0"])
      await run("ip", ["-n", dying.netns, "link", "set", link, "down"]);
    await dying.stopAgent();
    const after = await until(
      `${standby} to be active and ${active} unknown`,
      async () => {
        const router = await stack.cliJson<RouterShow>("router", "show", "r");
        const state = (h: string) => router.ha_state?.find((s) => s.host === h)?.ha_state;
        return state(standby) === "active" && state(active) === "unknown" ? router : undefined;
      },
      60_000,
    );
    expect(after.ha).toBe(true);
    await until(
      "the floating IP to answer again",
      async () => (await pingWithin(outsideNs, EXT.fip, 1)) || undefined,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const { text } = await ping.stop();
    const { gap, last } = largestGap(text);
    console.log(
      `HA failover: the floating IP answered again after a gap of ${gap.toFixed(2)} s (goal < 3 s)`,
    );
    expect(last).toBeGreaterThan(cut);
    expect(gap).toBeLessThan(15);
    // The trace starts from the outside world the model puts on network1 (the first network node mapping
    // `public`): only while network1 lives can it start there.
    if (active !== "network1") await expectTracedThrough(after.id, standby);
  });

  it("refuses --ha with one live network node, writing nothing", async () => {
    // The scheduler's word on it: the dispatcher could not reach its agent (its stream went down earlier).
    await until(
      "the dead node to be offline for the scheduler",
      async () => {
        const rows = await stack.cliJson<{ host: string; last_error: string | null }[]>("host", "list");
        return rows.find((r) => r.host === dead)?.last_error ? rows : undefined;
      },
      60_000,
    );
    const ids = async (what: string) =>
      (await stack.cliJson<{ ID?: string; id?: string }[]>(what, "list")).map((r) => r.id ?? r.ID).sort();
    const routers = await ids("router");
    const networks = await ids("network");
    const refused = await stack.cli("router", "create", "--ha", "r2");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "Not enough l3 agents available to ensure HA. Minimum required 2, available 1.",
    );
    expect(await ids("router")).toEqual(routers);
    expect(await ids("network")).toEqual(networks);
  });
});
