// HA routers in the model (Neutron's L3 HA): scheduled on the two least loaded live network nodes or refused; a
// VRRP id per router unique in its project, freed on delete; the project's HA network made with its first HA
// router and removed with its last, hidden from its members; each node's intent carrying the router with its own
// HA port; the state each node reports shown to admins, "unknown" for a node whose agent is gone.
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cidrContains } from "../../lib/ip";
import { recordHaStates } from "../agents/ha-states";
import { compileIntent } from "../agents/intent";
import { loadIntentInputs } from "../agents/snapshot";
import { agents, haRouterVridAllocations, networks, ports } from "../db/schema";
import { createTestApi, expectRefused, type TestApi, testUser } from "../testkit";
import { freeVrId, HA_CIDR, VR_ID_MAX } from "./ha";
import { HA_INTERFACE } from "./haHidden";
import { type Candidate, pickHosts } from "./scheduler";

describe("freeVrId", () => {
  it("takes the lowest free VRRP id, a freed one again, none past 254", () => {
    expect(freeVrId([])).toBe(1);
    expect(freeVrId([1, 2, 4])).toBe(3);
    expect(freeVrId(Array.from({ length: VR_ID_MAX }, (_, i) => i + 1))).toBeNull();
    expect(freeVrId(Array.from({ length: VR_ID_MAX }, (_, i) => i + 1).filter((id) => id !== 200))).toBe(200);
  });
});

describe("pickHosts", () => {
  const host = (name: string, load: number, live = true): Candidate => ({
    host: name,
    roles: ["network"],
    live,
    load,
  });
  it("takes the live network nodes with the fewest routers, the first registered on a tie", () => {
    expect(
      pickHosts([host("n1", 2), host("n2", 0), host("n3", 0), host("n4", 0, false)], "network", 2),
    ).toEqual(["n2", "n3"]);
    expect(pickHosts([host("n1", 0), host("n2", 0, false)], "network", 2)).toEqual(["n1"]);
  });
});

describe("HA routers", () => {
  let api: TestApi;
  let projectId: string;
  const register = (host: string, roles: ("compute" | "network")[], localIp: string | null, live = true) =>
    api.db.insert(agents).values({
      url: `http://${host}.test`,
      host,
      roles,
      localIp,
      lastSeen: new Date(live ? Date.now() : Date.now() - 3600_000),
    });
  const haNetworks = async () =>
    (await api.db.select().from(networks)).filter((n) => n.name.startsWith("HA network tenant"));
  const vrIds = async () =>
    (await api.db.select().from(haRouterVridAllocations)).map((a) => a.vrId).sort((a, b) => a - b);

  beforeEach(async () => {
    api = await createTestApi();
    await register("net1", ["network"], "192.0.2.11");
    await register("net2", ["network"], "192.0.2.12");
    await register("net3", ["network"], "192.0.2.13", false);
    await register("cmp1", ["compute"], "192.0.2.14");
    projectId = (await api.caller.project.create({ name: "tenant" })).id;
  });
  afterEach(() => api.close());

  it("puts an HA router on the two least loaded live network nodes, each with its HA port", async () => {
    await api.caller.router.create({ name: "legacy" });
    const router = await api.caller.router.create({ name: "r1", project_id: "tenant", ha: true });
    // net1 carries the legacy router: net2 first, then net1 (net3 is dead).
    expect(router).toMatchObject({
      ha: true,
      host: "net2",
      ha_state: [
        { host: "net2", ha_state: "standby" },
        { host: "net1", ha_state: "standby" },
      ],
    });
    const [network, ...more] = await haNetworks();
    expect(more).toEqual([]);
    expect(network).toMatchObject({
      name: `HA network tenant ${projectId}`,
      projectId,
      networkType: "vxlan",
    });
    const [subnet] = await api.caller.subnet.list({ network_id: network?.id });
    expect(subnet).toMatchObject({
      name: `HA subnet tenant ${projectId}`,
      cidr: HA_CIDR,
      gateway_ip: null,
      enable_dhcp: false,
    });
    const haPorts = await api.caller.port.list({ device_owner: HA_INTERFACE });
    expect(haPorts.map((p) => [p.device_id, p["binding:host_id"]])).toEqual([
      [router.id, "net2"],
      [router.id, "net1"],
    ]);
    for (const p of haPorts) expect(cidrContains(HA_CIDR, p.fixed_ips[0]?.ip_address ?? "")).toBe(true);
    expect(await vrIds()).toEqual([1]);
  });

  it("gives each HA router of a project its own VRRP id, frees it on delete, and removes the HA network with the last", async () => {
    const r1 = await api.caller.router.create({ name: "r1", project_id: "tenant", ha: true });
    const r2 = await api.caller.router.create({ name: "r2", project_id: "tenant", ha: true });
    // Another project's HA routers have their own network and ids.
    await api.caller.project.create({ name: "other" });
    const o1 = await api.caller.router.create({ name: "o1", project_id: "other", ha: true });
    expect((await haNetworks()).length).toBe(2);
    expect(await vrIds()).toEqual([1, 1, 2]);
    await api.caller.router.delete({ id: r1.id });
    const r3 = await api.caller.router.create({ name: "r3", project_id: "tenant", ha: true });
    expect(await vrIds()).toEqual([1, 1, 2]);
    expect((await api.caller.port.list({ device_owner: HA_INTERFACE })).length).toBe(6);
    await api.caller.router.delete({ id: r2.id });
    await api.caller.router.delete({ id: r3.id });
    expect((await haNetworks()).map((n) => n.name)).toEqual([
      `HA network tenant ${(await api.caller.project.show({ id: "other" })).id}`,
    ]);
    await api.caller.router.delete({ id: o1.id });
    expect(await haNetworks()).toEqual([]);
    expect(await vrIds()).toEqual([]);
    expect(await api.db.select().from(ports).where(eq(ports.deviceOwner, HA_INTERFACE))).toEqual([]);
  });

  it("refuses an HA router with fewer than two live network nodes, writing nothing", async () => {
    await api.db.update(agents).set({ lastError: "connect ECONNREFUSED" }).where(eq(agents.host, "net2"));
    await expectRefused(
      api,
      () => api.caller.router.create({ name: "r1", project_id: "tenant", ha: true }),
      "Not enough l3 agents available to ensure HA. Minimum required 2, available 1.",
    );
    expect(await haNetworks()).toEqual([]);
  });

  it("changes ha only while the router is down, as Neutron, and only for admins", async () => {
    const member = await testUser(api.services, "ha-member", "tenant", "member");
    const router = await api.caller.router.create({ name: "r1", project_id: "tenant" });
    await expect(member.caller.router.update({ id: router.id, ha: true })).rejects.toThrow(/admin/i);
    await expect(member.caller.router.create({ name: "r2", ha: true })).rejects.toThrow(/admin/i);
    await expectRefused(
      api,
      () => api.caller.router.update({ id: router.id, ha: true }),
      "Cannot change HA attribute of active routers. Please set router admin_state_up to False prior to upgrade.",
    );
    await api.caller.router.update({ id: router.id, admin_state_up: false });
    expect(await api.caller.router.update({ id: router.id, ha: true })).toMatchObject({ ha: true });
    expect((await api.caller.port.list({ device_owner: HA_INTERFACE })).length).toBe(2);
    expect(await api.caller.router.update({ id: router.id, ha: false })).toMatchObject({
      ha: false,
      ha_state: null,
    });
    expect(await api.caller.port.list({ device_owner: HA_INTERFACE })).toEqual([]);
    expect(await haNetworks()).toEqual([]);
  });

  it("hides the HA network, its subnet and HA ports from members, and which node is active", async () => {
    const member = await testUser(api.services, "ha-reader", "tenant", "member");
    const router = await api.caller.router.create({ name: "r1", project_id: "tenant", ha: true });
    const [network] = await haNetworks();
    expect(await member.caller.network.list()).toEqual([]);
    expect(await member.caller.subnet.list()).toEqual([]);
    expect(await member.caller.port.list()).toEqual([]);
    await expect(member.caller.network.show({ id: network?.id ?? "" })).rejects.toThrow(/not found/);
    await expect(member.caller.network.show({ id: `HA network tenant ${projectId}` })).rejects.toThrow(
      /not found/,
    );
    const topology = await member.caller.topology.get();
    expect(JSON.stringify(topology)).not.toContain(network?.id);
    expect(topology.routers).toMatchObject([{ ha: true, host: null, ha_state: null }]);
    expect(await member.caller.router.show({ id: router.id })).toMatchObject({
      ha: true,
      host: null,
      ha_state: null,
    });
  });

  it("sends each node the router with its own HA port and the HA network's tunnel", async () => {
    const router = await api.caller.router.create({ name: "r1", project_id: "tenant", ha: true });
    const haPorts = await api.caller.port.list({ device_owner: HA_INTERFACE });
    const intentOf = async (host: string) => {
      const [row] = await api.db.select().from(agents).where(eq(agents.host, host));
      return compileIntent(await loadIntentInputs(api.db, row?.id ?? 0));
    };
    const [network] = await haNetworks();
    for (const host of ["net1", "net2"]) {
      const intent = await intentOf(host);
      const own = haPorts.find((p) => p["binding:host_id"] === host);
      expect(intent.routers.map((r) => [r.id, r.ha?.vr_id, r.ha?.ha_port.port_id])).toEqual([
        [router.id, 1, own?.id],
      ]);
      expect(intent.networks.map((n) => n.id)).toContain(network?.id);
      const other = host === "net1" ? "192.0.2.12" : "192.0.2.11";
      expect(intent.tunnels?.find((t) => t.network_id === network?.id)?.remote_ips).toEqual([other]);
    }
    expect((await intentOf("cmp1")).routers).toEqual([]);
    // A compiler that reads no HA bindings (the packet trace) pictures it on its first node, as a legacy router.
    const [first] = await api.db
      .select()
      .from(agents)
      .where(eq(agents.host, router.host ?? ""));
    const traced = compileIntent({
      ...(await loadIntentInputs(api.db, first?.id ?? 0)),
      haBindings: undefined,
    });
    expect(traced.routers.map((r) => [r.id, r.ha])).toEqual([[router.id, undefined]]);
  });

  it("shows what each node reported, and unknown for a node whose agent is gone", async () => {
    const router = await api.caller.router.create({ name: "r1", project_id: "tenant", ha: true });
    await api.db.transaction((tx) => recordHaStates(tx, "net1", new Map([[router.id, "active"]])));
    expect((await api.caller.router.show({ id: router.id })).ha_state).toEqual([
      { host: "net1", ha_state: "active" },
      { host: "net2", ha_state: "standby" },
    ]);
    // The graph says the same to admins.
    const [topo] = (await api.caller.topology.get()).routers;
    expect(topo).toMatchObject({
      ha: true,
      ha_state: [{ host: "net1", ha_state: "active" }, { host: "net2" }],
    });
    await api.db.update(agents).set({ lastError: "connect ECONNREFUSED" }).where(eq(agents.host, "net1"));
    await api.db.transaction((tx) => recordHaStates(tx, "net2", new Map([[router.id, "active"]])));
    expect((await api.caller.router.show({ id: router.id })).ha_state).toEqual([
      { host: "net1", ha_state: "unknown" },
      { host: "net2", ha_state: "active" },
    ]);
    // As `openstack network agent list --router r1 --long` lists them.
    expect(
      (await api.caller.router.l3Agents({ id: "r1" })).map((a) => [a.host, a.alive, a.ha_state]),
    ).toEqual([
      ["net1", false, "unknown"],
      ["net2", true, "active"],
    ]);
  });
});
