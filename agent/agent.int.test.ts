// The agent against real OVS (a private sandbox), real namespaces and real iptables: traffic through a
// floating IP, SNAT, idempotence, revisions, per-router errors, a vlan network, restart without loss, cleanup.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { namespaceNames } from "../lib/names";
import { type Agent, createAgent } from "./agent";
import { serveAgent } from "./api/http";
import { createAgentRouter } from "./api/router";
import type { HostIntent, IntentRouter } from "./contract/intent";
import { run } from "./host/exec";
import type { AgentOptionsInput } from "./options";
import {
  linkExists,
  namespacesWithPrefix,
  nsExec,
  pingOnce,
  type Sandbox,
  startSandbox,
  steadyPing,
  tcpPeerAddress,
} from "./testing/host";
import { ids, labIntent, labRouter } from "./testing/intent";

const tag = randomBytes(2).toString("hex");
const prefix = `t${tag}-`;
const intBridge = `t${tag}-int`;
const exBridge = `t${tag}-ex`;
// dummy: the userspace datapath without root-namespace taps, so this runs beside `npm run up` (which holds the
// machine's only netdev datapath). NETLENS_TEST_DATAPATH=netdev runs the same test on the netdev datapath.
const datapathType = (process.env.NETLENS_TEST_DATAPATH ?? "dummy") as "dummy" | "netdev";

const uplinkNs = namespaceNames.uplink(prefix, ids.external);
const instanceNs = namespaceNames.instance(prefix, ids.instancePort);
const routerNs = namespaceNames.router(prefix, ids.router);

// A second router on a vlan external network (segment 100 on the same physical network), with its own tenant.
const vlan = {
  external: ids.vlanExternal,
  router: "b0000000-0000-4000-8000-000000000002",
  gatewayPort: "c5000000-0000-4000-8000-000000000005",
  interfacePort: "c6000000-0000-4000-8000-000000000006",
  instance: "d0000000-0000-4000-8000-000000000002",
  instancePort: "c7000000-0000-4000-8000-000000000007",
};
const vlanUplinkNs = namespaceNames.uplink(prefix, vlan.external);
const vlanRouterNs = namespaceNames.router(prefix, vlan.router);

function vlanRouter(routes: IntentRouter["routes"] = []): IntentRouter {
  return {
    id: vlan.router,
    gateway: {
      port_id: vlan.gatewayPort,
      network_id: vlan.external,
      mac_address: "fa:16:3e:00:01:01",
      ip_address: "198.51.100.10",
      prefixlen: 24,
      gateway_ip: "198.51.100.1",
      enable_snat: true,
    },
    interfaces: [
      {
        port_id: vlan.interfacePort,
        network_id: ids.tenant2,
        mac_address: "fa:16:3e:00:01:02",
        ip_address: "10.0.1.1",
        prefixlen: 24,
      },
    ],
    routes,
    port_forwardings: [],
    floating_ips: [
      {
        id: "f0000000-0000-4000-8000-000000000101",
        floating_ip_address: "198.51.100.20",
        fixed_ip_address: "10.0.1.5",
      },
    ],
  };
}

function withVlan(intent: HostIntent, router: IntentRouter | null): HostIntent {
  return {
    ...intent,
    networks: [
      ...intent.networks,
      {
        id: vlan.external,
        network_type: "vlan",
        physical_network: "public",
        segmentation_id: 100,
        mtu: 1500,
      },
      { id: ids.tenant2, network_type: "vxlan", physical_network: null, segmentation_id: 1002, mtu: 1450 },
    ],
    routers: router === null ? intent.routers : [...intent.routers, router],
    instances: [
      ...intent.instances,
      {
        id: vlan.instance,
        port_id: vlan.instancePort,
        network_id: ids.tenant2,
        mac_address: "fa:16:3e:00:01:05",
        ip_address: "10.0.1.5",
        prefixlen: 24,
        gateway_ip: "10.0.1.1",
        host_routes: [],
        mtu: 1450,
      },
    ],
    uplinks: [
      ...intent.uplinks,
      {
        network_id: vlan.external,
        physical_network: "public",
        segmentation_id: 100,
        address: "198.51.100.1/24",
      },
    ],
  };
}

let sandbox: Sandbox | undefined;
let agent: Agent | undefined;
let options: AgentOptionsInput | undefined;
const logger = pino({ level: process.env.NETLENS_TEST_LOG ?? "silent" });

async function ourOvsPorts(): Promise<string[]> {
  if (sandbox === undefined) return [];
  const { stdout } = await run("ovs-vsctl", [
    `--db=${sandbox.db}`,
    "--bare",
    "--columns=name,external_ids",
    "list",
    "Interface",
  ]);
  return stdout
    .split("\n\n")
    .filter(
      (row) =>
        row.includes(`netlens-prefix=${JSON.stringify(prefix)}`) || row.includes(`netlens-prefix=${prefix}`),
    );
}

function need(): Agent {
  if (agent === undefined) throw new Error("agent not started");
  return agent;
}

// Cleanup is registered before anything is made, so a failing start still removes what it made.
afterAll(async () => {
  try {
    if (agent !== undefined) {
      const result = await agent.cleanup();
      expect(result.errors).toEqual([]);
      await agent.close();
    }
    expect(await namespacesWithPrefix(prefix)).toEqual([]);
    expect(await ourOvsPorts()).toEqual([]);
  } finally {
    // Even if the agent failed: remove namespaces of our prefix, then the sandbox (bridges and their taps).
    for (const ns of await namespacesWithPrefix(prefix))
      await run("ip", ["netns", "del", ns], { allowFailure: true });
    await sandbox?.stop();
  }
  for (const name of [intBridge, exBridge]) expect(await linkExists(name)).toBe(false);
});

beforeAll(async () => {
  sandbox = await startSandbox(`agent-${tag}`);
  options = {
    ovsdb: sandbox.db,
    integrationBridge: intBridge,
    bridgeMappings: { public: exBridge },
    datapathType,
    prefix,
    stateDir: join(sandbox.dir, "agent"),
  };
  agent = await createAgent(options, logger);
});

describe("agent on a real host", () => {
  it("brings traffic through a floating IP (DNAT in, SNAT out)", async () => {
    const result = await need().apply(labIntent(1));
    expect(result.errors).toEqual([]);
    expect(result.changes).toBeGreaterThan(0);
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
    expect(await tcpPeerAddress(instanceNs, uplinkNs, "203.0.113.20", 8080)).toBe("203.0.113.1");
    expect(await tcpPeerAddress(uplinkNs, instanceNs, "203.0.113.1", 8081)).toBe("203.0.113.20");
  });

  it("changes nothing when the same intent is applied again", async () => {
    const result = await need().apply(labIntent(1));
    expect(result).toMatchObject({ revision: 1, changes: 0, errors: [] });
  });

  it("falls back to the gateway's SNAT when the floating IP goes, and refuses the older revision", async () => {
    const result = await need().apply(labIntent(2, labRouter({ floating_ips: [] })));
    expect(result.errors).toEqual([]);
    expect(await tcpPeerAddress(uplinkNs, instanceNs, "203.0.113.1", 8082)).toBe("203.0.113.10");
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(false);

    const caller = createAgentRouter(need()).createCaller({ authorized: true });
    await expect(caller.applyIntent(labIntent(1))).rejects.toMatchObject({
      code: "CONFLICT",
      message: "revision 1 is older than applied 2",
    });
    await expect(createAgentRouter(need()).createCaller({ authorized: false }).info()).rejects.toMatchObject({
      code: "UNAUTHORIZED",
    });
  });

  it("writes no gateway SNAT rule when enable_snat is false", async () => {
    const router = labRouter({ floating_ips: [] });
    if (router.gateway === null) throw new Error("fixture");
    router.gateway.enable_snat = false;
    expect((await need().apply(labIntent(3, router))).errors).toEqual([]);
    const { stdout } = await nsExec(routerNs, ["iptables-save", "-t", "nat"]);
    expect(stdout).toContain("-A netlens-snat -j netlens-float-snat\n");
    expect(stdout).not.toMatch(/-o qg-\S+ -j SNAT/);
    // The hairpin SNAT serves floating IPs, not the gateway's SNAT: Neutron keeps it without enable_snat.
    expect(stdout).toContain("-m conntrack --ctstate DNAT -j SNAT --to-source 203.0.113.10");
    // Without SNAT the tenant address leaves as is, and the outside has no route back to it.
    expect(await tcpPeerAddress(uplinkNs, instanceNs, "203.0.113.1", 8083)).toBe(null);
  });

  it("applies the other routers when one fails, and names the one that failed", async () => {
    const broken = vlanRouter([{ destination: "10.50.0.0/16", nexthop: "10.9.9.9" }]);
    const result = await need().apply(withVlan(labIntent(3), broken));
    expect(result.errors.map((e) => e.resource_id)).toEqual([vlan.router]);
    expect(result.errors[0]?.message).toMatch(/10\.50\.0\.0\/16/);
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
  });

  it("applies the rest when a resource does not fit the contract (a multicast MAC, a /0 prefix), and names it", async () => {
    const bad = vlanRouter();
    const gateway =
      bad.gateway === null ? null : { ...bad.gateway, mac_address: "01:00:5e:00:00:01", prefixlen: 0 };
    const result = await need().apply(withVlan(labIntent(4), { ...bad, gateway }));
    expect(result.errors.map((e) => e.resource_id)).toEqual([vlan.router]);
    expect(result.errors[0]?.message).toMatch(/^Invalid router: .*unicast/);
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
  });

  it("carries a vlan provider network (segment 100) on the same physical network", async () => {
    const result = await need().apply(withVlan(labIntent(5), vlanRouter()));
    expect(result.errors).toEqual([]);
    expect(await pingOnce(vlanUplinkNs, "198.51.100.20")).toBe(true);
    expect(
      await tcpPeerAddress(
        namespaceNames.instance(prefix, vlan.instancePort),
        vlanUplinkNs,
        "198.51.100.20",
        8084,
      ),
    ).toBe("198.51.100.1");
    // The flat uplink does not see the vlan network's addresses: the segments are apart.
    expect(await pingOnce(uplinkNs, "198.51.100.20")).toBe(false);
    const { stdout } = await run("ovs-ofctl", [
      "--names",
      "--no-stats",
      "dump-flows",
      `unix:${sandbox?.dir}/${exBridge}.mgmt`,
    ]);
    expect(stdout).toMatch(/dl_vlan=\d+ actions=mod_vlan_vid:100,NORMAL/);
  });

  it("keeps a steady ping through the floating IP while the agent restarts and re-applies", async () => {
    const intent = withVlan(labIntent(5), vlanRouter());
    const ping = steadyPing(uplinkNs, "203.0.113.20", ["-i", "0.2", "-c", "20", "-W", "1"]);
    await new Promise((r) => setTimeout(r, 600));
    await need().close();
    agent = undefined;
    if (options === undefined) throw new Error("options");
    agent = await createAgent(options, logger);
    expect(need().info().applied_revision).toBe(5);
    expect((await need().apply(intent)).changes).toBe(0);
    await expect(need().apply(labIntent(4))).rejects.toThrow("revision 4 is older than applied 5");
    const counted = await ping.done;
    expect(counted.code).toBe(0);
    expect(counted.text).toContain("20 packets transmitted, 20 received, 0% packet loss");
  });

  it("takes the stopped agent's picture of the host at start-up, unless the host no longer holds what it shows", async () => {
    if (options === undefined || sandbox === undefined) throw new Error("not started");
    const intent: HostIntent = { ...withVlan(labIntent(5), vlanRouter()), repair: [] };
    /** Stops the agent, makes `whileDown` happen, starts another: its log lines. */
    const restart = async (whileDown = async () => {}) => {
      const lines: { msg?: string; kept?: boolean; mode?: string; read?: number }[] = [];
      await need().close();
      agent = undefined;
      await whileDown();
      agent = await createAgent(
        options ?? { ovsdb: "", stateDir: "" },
        pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) }),
      );
      return lines;
    };
    // As left: the first pushed intent reads no namespace.
    let lines = await restart();
    expect((await need().apply(intent)).changes).toBe(0);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "the last agent's picture of the host", kept: true }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ msg: "applied", mode: "incremental", read: 0 }));
    // The router's gateway port deleted while no agent ran: the host is read, and the port made again.
    const db = sandbox.db;
    lines = await restart(async () => {
      await run("ovs-vsctl", [`--db=${db}`, "del-port", `tap${ids.gatewayPort.slice(0, 11)}`]);
    });
    expect((await need().apply(intent)).changes).toBeGreaterThan(0);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "the last agent's picture of the host", kept: false }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ msg: "applied", mode: "full" }));
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
  });

  it("serves the API over HTTP with the bearer token only", async () => {
    const token = randomBytes(16).toString("hex");
    const http = await serveAgent(need(), token, { host: "127.0.0.1", port: 0 });
    try {
      const denied = await fetch(`${http.url}/info`);
      expect(denied.status).toBe(401);
      const wrong = await fetch(`${http.url}/info`, { headers: { authorization: "Bearer nope" } });
      expect(wrong.status).toBe(401);
      const ok = await fetch(`${http.url}/info`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as { result: { data: { prefix: string; applied_revision: number } } };
      expect(body.result.data).toMatchObject({ prefix, applied_revision: 5 });
    } finally {
      await http.close();
    }
  });

  it("removes a router's namespace and OVS ports, and nothing else", async () => {
    const before = await ourOvsPorts();
    const result = await need().apply(withVlan(labIntent(6), null));
    expect(result.errors).toEqual([]);
    const names = await namespacesWithPrefix(prefix);
    expect(names).not.toContain(vlanRouterNs);
    expect(names).toContain(routerNs);
    const after = await ourOvsPorts();
    expect(before.length - after.length).toBe(2);
    expect(after.join("\n")).not.toContain(vlanRouterNs);
    // Its veths are gone from the root namespace at once, not when the kernel gets round to the namespace.
    expect(await linkExists("tapc5000000-00")).toBe(false);
    expect(await linkExists("tapc6000000-00")).toBe(false);
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
  });

  // As the server pushes (repair: a list): only what changed is read, planned and applied.
  const pushed = (intent: HostIntent, repair: string[] = []): HostIntent => ({ ...intent, repair });
  const natOf = async (ns: string) => (await nsExec(ns, ["iptables-save", "-t", "nat", "-c"])).stdout;
  const vlanDnat = "-A netlens-PREROUTING -d 198.51.100.20/32 -j DNAT --to-destination 10.0.1.5";
  const twoFips = () =>
    labRouter({
      floating_ips: [
        ...labRouter().floating_ips,
        {
          id: "f0000000-0000-4000-8000-000000000002",
          floating_ip_address: "203.0.113.21",
          fixed_ip_address: "10.0.0.6",
        },
      ],
    });

  it("applies a pushed change incrementally: new rules appended (counters kept), hand changes elsewhere left", async () => {
    expect((await need().apply(pushed(withVlan(labIntent(7), vlanRouter())))).errors).toEqual([]);
    expect(await pingOnce(vlanUplinkNs, "198.51.100.20")).toBe(true);
    // A hand change on the vlan router, which the next pushes do not change: drift, for inspection to show.
    await nsExec(vlanRouterNs, ["iptables", "-t", "nat", ...vlanDnat.replace(/^-A /, "-D ").split(" ")]);
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
    const counted = /\[(\d+):\d+\] -A netlens-PREROUTING -d 203\.0\.113\.20\/32 /;
    const packets = Number(counted.exec(await natOf(routerNs))?.[1]);
    expect(packets).toBeGreaterThan(0);

    const result = await need().apply(pushed(withVlan(labIntent(8, twoFips()), vlanRouter())));
    expect(result.errors).toEqual([]);
    // The new floating IP: its /32 (announced by gratuitous ARP) and its 3 rules, edited into the chains with -A
    // (nothing flushed).
    expect(result.changes).toBe(3);
    const nat = await natOf(routerNs);
    expect(nat).toContain("-A netlens-PREROUTING -d 203.0.113.21/32 -j DNAT --to-destination 10.0.0.6");
    expect(nat).toContain("-A netlens-float-snat -s 10.0.0.6/32 -j SNAT --to-source 203.0.113.21");
    expect(Number(counted.exec(nat)?.[1])).toBeGreaterThanOrEqual(packets);
    expect((await nsExec(routerNs, ["ip", "-4", "addr", "show", "dev", "qg-c1000000-00"])).stdout).toContain(
      "203.0.113.21/32",
    );
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
    // Unchanged, not asked: the vlan router's missing rule stays missing, and nothing is re-applied.
    expect(await natOf(vlanRouterNs)).not.toContain(vlanDnat.slice(3));
    expect(await need().apply(pushed(withVlan(labIntent(9, twoFips()), vlanRouter())))).toMatchObject({
      changes: 0,
      errors: [],
    });
    expect(await natOf(vlanRouterNs)).not.toContain(vlanDnat.slice(3));
  });

  it("repairs what is asked for, reading it from the host; a full reconcile finds nothing else", async () => {
    const intent = withVlan(labIntent(10, twoFips()), vlanRouter());
    const result = await need().apply(pushed(intent, [vlan.router]));
    expect(result).toMatchObject({ changes: 1, errors: [] });
    expect(await natOf(vlanRouterNs)).toContain(vlanDnat.slice(3));
    expect(await pingOnce(vlanUplinkNs, "198.51.100.20")).toBe(true);
    expect(await need().apply({ ...intent, revision: 11, repair: "all" })).toMatchObject({
      changes: 0,
      errors: [],
    });
  });

  it("converges a changed router whole even when a hand change made the agent's picture of it stale", async () => {
    await nsExec(routerNs, ["ip", "route", "del", "default"]);
    const result = await need().apply(pushed(withVlan(labIntent(12), vlanRouter())));
    expect(result.errors).toEqual([]);
    expect(await natOf(routerNs)).not.toContain("203.0.113.21/32");
    const routes = (await nsExec(routerNs, ["ip", "route", "show", "default"])).stdout;
    expect(routes).toContain("default via 203.0.113.1");
    expect(await tcpPeerAddress(instanceNs, uplinkNs, "203.0.113.20", 8085)).toBe("203.0.113.1");
  });

  it("reads a changed router again when a hand change makes a command planned from its picture fail", async () => {
    expect((await need().apply(pushed(withVlan(labIntent(13, twoFips()), vlanRouter())))).errors).toEqual([]);
    const dnat21 = "-A netlens-PREROUTING -d 203.0.113.21/32 -j DNAT --to-destination 10.0.0.6";
    await nsExec(routerNs, ["iptables", "-t", "nat", ...dnat21.replace(/^-A /, "-D ").split(" ")]);
    await nsExec(routerNs, ["ip", "addr", "add", "203.0.113.22/32", "dev", "qg-c1000000-00"]);
    // .21 goes (one of its rules is already gone: `-D` of it fails), .22 comes (its address is already there).
    const router = labRouter({
      floating_ips: [
        ...labRouter().floating_ips,
        {
          id: "f0000000-0000-4000-8000-000000000003",
          floating_ip_address: "203.0.113.22",
          fixed_ip_address: "10.0.0.7",
        },
      ],
    });
    const result = await need().apply(pushed(withVlan(labIntent(14, router), vlanRouter())));
    expect(result.errors).toEqual([]);
    const nat = await natOf(routerNs);
    expect(nat).not.toContain("203.0.113.21");
    expect(nat).toContain("-A netlens-OUTPUT -d 203.0.113.22/32 -j DNAT --to-destination 10.0.0.7");
    expect(
      await need().apply({ ...pushed(withVlan(labIntent(15, router), vlanRouter())), repair: "all" }),
    ).toMatchObject({
      changes: 0,
      errors: [],
    });
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
  });

  it("makes a new router whose namespace someone already made by hand", async () => {
    expect((await need().apply(pushed(withVlan(labIntent(16), null)))).errors).toEqual([]);
    expect(await namespacesWithPrefix(prefix)).not.toContain(vlanRouterNs);
    await run("ip", ["netns", "add", vlanRouterNs]);
    const result = await need().apply(pushed(withVlan(labIntent(17), vlanRouter())));
    expect(result.errors).toEqual([]);
    expect(await pingOnce(vlanUplinkNs, "198.51.100.20")).toBe(true);
  });

  it("announces a floating IP it adds with gratuitous ARP, so that the uplink forgets a stale MAC", async () => {
    const noFip = withVlan(labIntent(18, labRouter({ floating_ips: [] })), vlanRouter());
    expect((await need().apply(pushed(noFip))).errors).toEqual([]);
    // The uplink remembers the floating IP at another MAC (another router's, before the address moved).
    await nsExec(uplinkNs, [
      "ip",
      "neigh",
      "replace",
      "203.0.113.20",
      "lladdr",
      "02:00:00:00:00:42",
      "dev",
      "eth0",
    ]);
    await nsExec(uplinkNs, ["ip", "neigh", "change", "203.0.113.20", "dev", "eth0", "nud", "stale"]);
    // An upstream router's entry is hours old; the kernel ignores ARP news about an entry changed less than
    // its locktime (1 s) ago.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await need().apply(pushed(withVlan(labIntent(19), vlanRouter())))).errors).toEqual([]);
    const neighbour = async () => (await nsExec(uplinkNs, ["ip", "neigh", "show", "203.0.113.20"])).stdout;
    const started = Date.now();
    while (!(await neighbour()).includes("fa:16:3e:00:00:01") && Date.now() - started < 3000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await neighbour()).toContain("lladdr fa:16:3e:00:00:01");
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
  });

  /** Until the uplink's ping through the floating IP answers (the agent rebuilds on its own, in seconds). */
  const answersWithin = async (ms: number): Promise<number | null> => {
    const started = Date.now();
    while (Date.now() - started < ms) {
      if (
        (await namespacesWithPrefix(prefix)).includes(uplinkNs) &&
        (await pingOnce(uplinkNs, "203.0.113.20"))
      )
        return Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return null;
  };

  it("rebuilds by itself what OVS lost when it restarted under the agent (ports, flows, bridges)", async () => {
    expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
    await sandbox?.restart();
    expect(await ourOvsPorts()).toEqual([]);
    expect(await answersWithin(15_000)).not.toBeNull();
    expect(await pingOnce(vlanUplinkNs, "198.51.100.20")).toBe(true);
  });

  it("rebuilds by itself after a power loss: every namespace, port and the agent gone, then the agent again", async () => {
    await need().close();
    for (const ns of await namespacesWithPrefix(prefix)) await run("ip", ["netns", "del", ns]);
    await sandbox?.restart();
    agent = await createAgent(options ?? { ovsdb: "", stateDir: "" }, logger);
    // Nobody pushes an intent: the agent rebuilds from the one it saved.
    expect(await answersWithin(15_000)).not.toBeNull();
    expect(await pingOnce(vlanUplinkNs, "198.51.100.20")).toBe(true);
  });

  it("leaves what only looks like ours: a namespace of our shape, a port with our marks, a flow of another cookie", async () => {
    const { db, dir } = sandbox ?? { db: "", dir: "" };
    const foreignNs = namespaceNames.router(prefix, "b0000000-0000-4000-8000-0000000000aa");
    const foreignPort = `${prefix}foreign`;
    const foreignFlow = "cookie=0x1234,priority=5,dl_src=02:00:00:00:00:99 actions=drop";
    const flows = async () =>
      (await run("ovs-ofctl", ["--no-stats", "dump-flows", `unix:${dir}/${intBridge}.mgmt`])).stdout;
    await run("ip", ["netns", "add", foreignNs]);
    try {
      await run("ovs-vsctl", [
        `--db=${db}`,
        "add-port",
        intBridge,
        foreignPort,
        "--",
        "set",
        "Interface",
        foreignPort,
        "type=internal",
        `external_ids:netlens-prefix=${JSON.stringify(prefix)}`,
        `external_ids:netlens-namespace=${foreignNs}`,
      ]);
      await run("ovs-ofctl", ["add-flow", `unix:${dir}/${intBridge}.mgmt`, foreignFlow]);
      const survives = async () => {
        expect(await namespacesWithPrefix(prefix)).toContain(foreignNs);
        expect((await ourOvsPorts()).join("\n")).toContain(foreignPort);
        expect(await flows()).toContain("cookie=0x1234");
      };
      // A full reconcile (what "repair all" and start-up do) sees none of them.
      const repaired = await need().apply({ ...withVlan(labIntent(20), vlanRouter()), repair: "all" });
      expect(repaired.errors).toEqual([]);
      expect(repaired.changes).toBe(0);
      await survives();
      expect(Object.keys((await need().monitor.snapshot()).sections).join(" ")).not.toContain(foreignNs);
      expect(await pingOnce(uplinkNs, "203.0.113.20")).toBe(true);
      // Nor does a restarted agent's cleanup, which removes all it made and only that.
      await need().close();
      agent = await createAgent(options ?? { ovsdb: "", stateDir: "" }, logger);
      expect((await need().cleanup()).errors).toEqual([]);
      expect(await namespacesWithPrefix(prefix)).toEqual([foreignNs]);
      await survives();
    } finally {
      await run("ovs-vsctl", [`--db=${db}`, "--if-exists", "del-port", intBridge, foreignPort]);
      await run("ip", ["netns", "del", foreignNs], { allowFailure: true });
    }
  });
});
