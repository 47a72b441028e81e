// Three hosts, each with a stand-in agent and its own dispatcher: a network node takes the router and the DHCP
// server, two compute hosts an instance each; every agent receives only its own part, with VXLAN tunnels towards
// the hosts that share a network (l2population). A host reporting a tunnel address another has gets nothing.
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AgentInfo, HostIntent } from "../../agent/contract/intent";
import { agents } from "../db/schema";
import { createTestApi, type TestApi } from "../testkit";
import { Dispatcher } from "./dispatcher";
import { FakeAgent } from "./fake-agent.testing";
import { waitForApplied, wantedRevision } from "./wait";

const TUNNEL = { network1: "192.0.2.1", compute1: "192.0.2.11", compute2: "192.0.2.12" } as const;

describe("several hosts", () => {
  let api: TestApi;
  const dispatchers: Dispatcher[] = [];
  const fakes = new Map<string, FakeAgent>();

  /** A host's stand-in agent, mapping `public` to br-ex unless given its own `mappings`. */
  const start = async (
    self: Pick<AgentInfo, "host" | "roles" | "local_ip">,
    mappings?: Record<string, string>,
  ) => {
    const agent = new FakeAgent(self);
    if (mappings !== undefined) agent.mappings = mappings;
    fakes.set(self.host, agent);
    const dispatcher = new Dispatcher({
      db: api.db,
      bus: api.bus,
      agent,
      url: `http://${self.host}.test:9797`,
      logger: pino({ level: "silent" }),
      retry: { minMs: 10, maxMs: 50 },
    });
    dispatchers.push(dispatcher);
    await dispatcher.start();
    return agent;
  };
  const settle = async () =>
    expect(await waitForApplied(api.services, await wantedRevision(api.db), 5_000)).toBe(true);
  const last = (host: string): HostIntent => {
    const intent = fakes.get(host)?.pushes.at(-1);
    if (!intent) throw new Error(`${host} was never pushed an intent`);
    return intent;
  };

  beforeEach(async () => {
    api = await createTestApi();
    await start({ host: "network1", roles: ["network"], local_ip: TUNNEL.network1 });
    await start({ host: "compute1", roles: ["compute"], local_ip: TUNNEL.compute1 });
    await start({ host: "compute2", roles: ["compute"], local_ip: TUNNEL.compute2 });
    await settle();
    await api.caller.network.create({ name: "net", "provider:network_type": "vxlan" });
    await api.caller.subnet.create({ name: "sub", network_id: "net", cidr: "10.9.0.0/24" });
  });
  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.stop();
    fakes.clear();
    await api.close();
  });

  it("gives each host only what is scheduled there, with tunnels to the hosts sharing the network", async () => {
    const router = await api.caller.router.create({ name: "r" });
    await api.caller.router.addInterface({ id: router.id, subnet_id: "sub" });
    const vm1 = await api.caller.server.create({ name: "vm1", network_id: "net" });
    const vm2 = await api.caller.server.create({ name: "vm2", network_id: "net" });
    expect([router.host, vm1.host, vm2.host]).toEqual(["network1", "compute1", "compute2"]);
    await settle();

    const net = await api.caller.network.show({ id: "net" });
    const [dhcp] = await api.caller.port.list({ device_owner: "network:dhcp" });
    const qr = (await api.caller.router.show({ id: router.id })).interfaces[0];
    const fixed = (vm: typeof vm1) => vm.addresses.net?.[0];
    const entry = (mac: string | null | undefined, ip: string | undefined, remote: string) => ({
      mac_address: mac,
      ip_address: ip,
      remote_ip: remote,
    });

    const n1 = last("network1");
    expect(n1.routers.map((r) => r.id)).toEqual([router.id]);
    expect(n1.instances).toEqual([]);
    expect(n1.dhcp?.map((d) => d.port_id)).toEqual([dhcp?.id]);
    expect(n1.tunnels).toEqual([
      {
        network_id: net.id,
        segmentation_id: net["provider:segmentation_id"],
        remote_ips: [TUNNEL.compute1, TUNNEL.compute2],
        remote_ports: [
          entry(vm1.mac_address, fixed(vm1), TUNNEL.compute1),
          entry(vm2.mac_address, fixed(vm2), TUNNEL.compute2),
        ],
      },
    ]);

    const c1 = last("compute1");
    expect(c1.routers).toEqual([]);
    expect(c1.dhcp).toEqual([]);
    expect(c1.instances.map((i) => i.id)).toEqual([vm1.id]);
    const qrPort = await api.caller.port.show({ id: qr?.port_id ?? "" });
    expect(c1.tunnels).toEqual([
      {
        network_id: net.id,
        segmentation_id: net["provider:segmentation_id"],
        remote_ips: [TUNNEL.network1, TUNNEL.compute2],
        remote_ports: expect.arrayContaining([
          entry(qrPort.mac_address, "10.9.0.1", TUNNEL.network1),
          entry(dhcp?.mac_address, dhcp?.fixed_ips[0]?.ip_address, TUNNEL.network1),
          entry(vm2.mac_address, fixed(vm2), TUNNEL.compute2),
        ]),
      },
    ]);
    expect(c1.tunnels?.[0]?.remote_ports).toHaveLength(3);
    expect(last("compute2").instances.map((i) => i.id)).toEqual([vm2.id]);

    // Each resource is realised by its own host's apply.
    expect((await api.caller.router.show({ id: router.id })).status).toBe("ACTIVE");
    expect((await api.caller.server.show({ id: vm2.id })).status).toBe("ACTIVE");
  });

  it("tunnels only networks a host has ports on, and troubles no agent whose intent is unchanged", async () => {
    await api.caller.network.create({ name: "other", "provider:network_type": "vxlan" });
    await api.caller.subnet.create({ name: "other-sub", network_id: "other", cidr: "10.8.0.0/24" });
    const vm1 = await api.caller.server.create({ name: "vm1", network_id: "net", host: "compute1" });
    const vm2 = await api.caller.server.create({ name: "vm2", network_id: "other", host: "compute2" });
    await settle();
    const other = await api.caller.network.show({ id: "other" });
    // compute1 has nothing on `other`: vm2's port is in nobody's tunnels but network1's (its DHCP server is there).
    expect(last("compute1").tunnels?.map((t) => t.network_id)).toEqual([
      (await api.caller.network.show({ id: "net" })).id,
    ]);
    expect(JSON.stringify(last("compute1").tunnels)).not.toContain(vm2.mac_address);
    expect(last("network1").tunnels?.find((t) => t.network_id === other.id)?.remote_ports).toEqual([
      { mac_address: vm2.mac_address, ip_address: vm2.addresses.other?.[0], remote_ip: TUNNEL.compute2 },
    ]);

    // A router is network1's business alone; a rename reaches no host's intent: recorded as applied, not pushed.
    const pushes = () => [...fakes.values()].map((f) => f.pushes.length);
    const before = pushes();
    await api.caller.router.create({ name: "r" });
    await settle();
    expect(pushes().map((n, i) => n - (before[i] ?? 0))).toEqual([1, 0, 0]);
    const afterRouter = pushes();
    await api.caller.network.update({ id: "other", name: "renamed" });
    await settle();
    expect(pushes()).toEqual(afterRouter);
    expect((await api.caller.network.show({ id: "renamed" })).status).toBe("ACTIVE");
    expect(vm1.host).toBe("compute1");
  });

  it("refuses a host whose tunnel address another host has, applying nothing to it", async () => {
    const clash = await start({ host: "compute3", roles: ["compute"], local_ip: TUNNEL.compute1 });
    const [row] = await api.db.select().from(agents).where(eq(agents.url, "http://compute3.test:9797"));
    await expect
      .poll(
        async () =>
          (
            await api.db
              .select()
              .from(agents)
              .where(eq(agents.id, row?.id ?? 0))
          )[0]?.lastError,
      )
      .toBe(
        "Host compute3 refused: its tunnel address 192.0.2.11 is already host compute1's (agent at http://compute1.test:9797). Nothing is applied to it.",
      );
    expect(clash.pushes).toEqual([]);
    expect((await api.caller.host.list()).find((h) => h.url === "http://compute3.test:9797")).toMatchObject({
      host: null,
      online: false,
    });
  });

  it("keeps a router waiting while no network node is alive, and places it when one registers", async () => {
    await dispatchers[0]?.stop();
    await api.db
      .update(agents)
      .set({ lastSeen: new Date(0) })
      .where(eq(agents.host, "network1"));
    const router = await api.caller.router.create({ name: "waiting" });
    expect(router).toMatchObject({ host: null, status: "PENDING" });
    await settle().catch(() => undefined);
    expect((await api.caller.router.show({ id: router.id })).status).toBe("PENDING");
    expect(JSON.stringify([last("compute1"), last("compute2")])).not.toContain(router.id);

    await start({ host: "network2", roles: ["network"], local_ip: "192.0.2.2" });
    await expect.poll(async () => (await api.caller.router.show({ id: router.id })).status).toBe("ACTIVE");
    expect((await api.caller.router.show({ id: router.id })).host).toBe("network2");
    expect(last("network2").routers.map((r) => r.id)).toEqual([router.id]);
  });

  it("gives a vlan network to each host with ports on it, by physical network, never as a tunnel", async () => {
    await start({ host: "compute3", roles: ["compute"], local_ip: "192.0.2.13" }, { public: "br-prov" });
    await start({ host: "compute4", roles: ["compute"], local_ip: "192.0.2.14" }, {});
    await settle();
    await api.caller.network.create({
      name: "pv",
      "provider:network_type": "vlan",
      "provider:physical_network": "public",
      "provider:segmentation_id": 2101,
    });
    await api.caller.subnet.create({ name: "pv-sub", network_id: "pv", cidr: "10.21.0.0/24" });
    const pv1 = await api.caller.server.create({ name: "pv1", network_id: "pv", host: "compute1" });
    // compute3 names its bridge for `public` its own way: the scheduler takes it all the same.
    const pv2 = await api.caller.server.create({ name: "pv2", network_id: "pv", host: "compute3" });
    await expect(
      api.caller.server.create({ name: "pv3", network_id: "pv", host: "compute4" }),
    ).rejects.toThrow(/^Host compute4 cannot bind a port on network pv/);
    await settle();
    const pv = await api.caller.network.show({ id: "pv" });
    const carried = {
      id: pv.id,
      network_type: "vlan",
      physical_network: "public",
      segmentation_id: 2101,
      mtu: 1500,
    };
    // Each host resolves `public` to its own bridge (agent/plan/ovs.ts): the intent names the physical network.
    for (const [name, vm] of [
      ["compute1", pv1],
      ["compute3", pv2],
    ] as const) {
      const intent = last(name);
      expect(intent.networks).toContainEqual(carried);
      expect(intent.instances.map((i) => i.id)).toEqual([vm.id]);
      expect(intent.tunnels ?? []).toEqual([]);
    }
    // Its DHCP server's network node has it too, again without a tunnel; hosts with no port on it do not.
    expect(last("network1").networks).toContainEqual(carried);
    expect(last("network1").tunnels?.map((t) => t.network_id)).not.toContain(pv.id);
    for (const name of ["compute2", "compute4"])
      expect(last(name).networks.map((n) => n.id)).not.toContain(pv.id);
  });
});
