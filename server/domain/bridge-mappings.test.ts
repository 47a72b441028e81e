// Ports on flat and vlan networks go only to hosts that map the network's physical network: instances onto such
// compute hosts, DHCP servers and routers onto such network nodes; a host named that cannot bind there, or a
// network no host with the role maps, is refused with nothing written. Overlay networks go anywhere, as before.
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agents, ports } from "../db/schema";
import { createTestApi, expectRefused, registerHost, type TestApi } from "../testkit";
import { reaches } from "./bridge-mappings";
import { scheduleWaitingDhcp } from "./dhcp";
import { scheduleWaiting } from "./scheduler";
import { transact } from "./tx";

describe("reaches", () => {
  const vlan = { id: "n", name: "n", physicalNetwork: "public" };
  it("holds for a host mapping the physical network, an overlay network, or mappings not reported", () => {
    expect(reaches({ public: "br-prov" }, vlan)).toBe(true);
    expect(reaches({ other: "br-ex" }, vlan)).toBe(false);
    expect(reaches({}, vlan)).toBe(false);
    // Not an own property: a physical network named like Object's members is no mapping.
    expect(reaches({}, { ...vlan, physicalNetwork: "constructor" })).toBe(false);
    expect(reaches({}, { ...vlan, physicalNetwork: null })).toBe(true);
    expect(reaches(null, vlan)).toBe(true);
  });
});

/** Who schedules what waited, in an agent's registration (server/agents/register.ts). */
const agentsActor = { user: "netlens agents", role: "admin", projectId: "", projectIds: [] } as const;

describe("scheduling ports of provider networks by bridge mappings", () => {
  let api: TestApi;
  const register = (host: string, roles: ("compute" | "network")[], bridgeMappings: Record<string, string>) =>
    registerHost(api.db, host, roles, bridgeMappings);
  /** A provider network on `physnet` (vlan segment 2101 unless flat) with its subnet `<name>-sub`. */
  const provider = async (
    name: string,
    o: { flat?: boolean; physnet?: string; cidr?: string; dhcp?: boolean; external?: boolean } = {},
  ) => {
    await api.caller.network.create({
      name,
      "router:external": o.external ?? false,
      "provider:network_type": o.flat ? "flat" : "vlan",
      "provider:physical_network": o.physnet ?? "public",
      ...(o.flat ? {} : { "provider:segmentation_id": 2101 }),
    });
    await api.caller.subnet.create({
      name: `${name}-sub`,
      network_id: name,
      cidr: o.cidr ?? "10.21.0.0/24",
      enable_dhcp: o.dhcp ?? false,
    });
  };

  beforeEach(async () => {
    api = await createTestApi();
    // Registration order breaks ties: the hosts without `public` come first, so that only the rule sends
    // ports past them.
    await register("net1", ["network"], {});
    await register("net2", ["network"], { public: "br-ex" });
    await register("cmp1", ["compute"], { other: "br-other" });
    await register("cmp2", ["compute"], { public: "br-ex" });
    await register("cmp3", ["compute"], { public: "br-prov" });
  });
  afterEach(() => api.close());

  it("puts instances of a vlan or flat network only on compute hosts mapping its physical network", async () => {
    await provider("pv", { dhcp: true });
    await provider("pf", { flat: true, cidr: "10.22.0.0/24", dhcp: true });
    const hosts = [];
    for (const [name, network] of [
      ["v1", "pv"],
      ["v2", "pv"],
      ["f1", "pf"],
      ["v3", "pv"],
    ] as const)
      hosts.push((await api.caller.server.create({ name, network_id: network })).host);
    // cmp1 has fewer than any, but no bridge for `public`; cmp2 and cmp3 each name theirs their own way.
    expect(hosts).toEqual(["cmp2", "cmp3", "cmp2", "cmp3"]);
    // Each network's DHCP server went to the network node that maps `public`, not to the first one.
    const dhcp = await api.caller.port.list({ device_owner: "network:dhcp" });
    expect(dhcp.map((p) => p["binding:host_id"])).toEqual(["net2", "net2"]);

    // An overlay network goes anywhere, as before: cmp1 has nothing yet.
    await api.caller.network.create({ name: "vx", "provider:network_type": "vxlan" });
    await api.caller.subnet.create({ name: "vx-sub", network_id: "vx", cidr: "10.23.0.0/24" });
    expect((await api.caller.server.create({ name: "x1", network_id: "vx" })).host).toBe("cmp1");
  });

  it("refuses a named host that cannot bind on the network, and a network no compute host maps", async () => {
    await provider("pv");
    expect((await api.caller.server.create({ name: "v1", network_id: "pv", host: "cmp3" })).host).toBe(
      "cmp3",
    );
    await expectRefused(
      api,
      () => api.caller.server.create({ name: "v2", network_id: "pv", host: "cmp1" }),
      "Host cmp1 cannot bind a port on network pv: it has no bridge mapping for physical network public (its bridge mappings: other:br-other), so it cannot host an instance on it.",
    );
    await provider("lonely", { physnet: "physnet9", cidr: "10.24.0.0/24" });
    await expectRefused(
      api,
      () => api.caller.server.create({ name: "v3", network_id: "lonely" }),
      "No valid host for an instance on network lonely: no compute host has a bridge mapping for physical network physnet9 (an agent maps it with --bridge-mapping physnet9:BRIDGE).",
    );
  });

  it("leaves a DHCP server waiting while no network node maps the network, until one that maps it comes", async () => {
    await provider("lonely", { physnet: "physnet9", cidr: "10.24.0.0/24", dhcp: true });
    const [dhcp] = await api.caller.port.list({ device_owner: "network:dhcp" });
    expect(dhcp?.["binding:host_id"]).toBe("");
    // A network node that maps it registers: the server goes there, not to the others (net1 has none either).
    await register("net9", ["network"], { physnet9: "br-9" });
    await transact(api.services, agentsActor, (tx) => scheduleWaitingDhcp(tx));
    const [placed] = await api.caller.port.list({ device_owner: "network:dhcp" });
    expect(placed?.["binding:host_id"]).toBe("net9");
  });

  it("waits instances out while their hosts are down, then places them on a mapping host only", async () => {
    await provider("pv");
    await api.db
      .update(agents)
      .set({ lastSeen: new Date(0) })
      .where(eq(agents.host, "cmp2"));
    await api.db
      .update(agents)
      .set({ lastSeen: new Date(0) })
      .where(eq(agents.host, "cmp3"));
    // cmp1 is alive but cannot bind there: the instance waits for cmp2 or cmp3 rather than going to cmp1.
    const waiting = await api.caller.server.create({ name: "v1", network_id: "pv" });
    expect(waiting.host).toBeNull();
    await api.db.update(agents).set({ lastSeen: new Date() }).where(eq(agents.host, "cmp3"));
    // As an agent's registration does, in its transaction.
    await transact(api.services, agentsActor, (tx) => scheduleWaiting(tx));
    expect((await api.caller.server.show({ id: "v1" })).host).toBe("cmp3");
    const [port] = await api.db.select().from(ports).where(eq(ports.id, waiting.port_id));
    expect(port).toMatchObject({ hostId: "cmp3", vifType: "ovs" });
  });

  it("puts a router with a gateway on a flat external network on a network node that maps it", async () => {
    await provider("ext", { flat: true, external: true, cidr: "198.51.100.0/24" });
    // net1 has fewer routers than net2 but cannot reach `public`: the gateway takes the router to net2.
    const router = await api.caller.router.create({
      name: "r1",
      external_gateway_info: { network_id: "ext" },
    });
    expect(router.host).toBe("net2");
    expect((await api.caller.router.create({ name: "r2" })).host).toBe("net1");
  });

  it("refuses a router interface on a vlan network its network node cannot reach, and such a move", async () => {
    await provider("pv");
    const r1 = await api.caller.router.create({ name: "r1", host: "net1" });
    await expectRefused(
      api,
      () => api.caller.router.addInterface({ id: r1.id, subnet_id: "pv-sub" }),
      "Host net1 cannot bind a port on network pv: it has no bridge mapping for physical network public (its bridge mappings: none), so it cannot host a router on it.",
    );
    const r2 = await api.caller.router.create({ name: "r2", host: "net2" });
    await api.caller.router.addInterface({ id: r2.id, subnet_id: "pv-sub" });
    await expectRefused(
      api,
      () => api.caller.router.update({ id: r2.id, host: "net1" }),
      /^Host net1 cannot bind a port on network pv/,
    );
  });

  it("pins a port (binding:host_id) only to a host that maps its network's physical network", async () => {
    await provider("pv");
    await expectRefused(
      api,
      () => api.caller.port.create({ name: "p1", network_id: "pv", "binding:host_id": "cmp1" }),
      "Host cmp1 cannot bind a port on network pv: it has no bridge mapping for physical network public (its bridge mappings: other:br-other), so it cannot host this port on it.",
    );
    const port = await api.caller.port.create({ name: "p1", network_id: "pv", "binding:host_id": "cmp3" });
    expect(port["binding:host_id"]).toBe("cmp3");
    await api.caller.port.update({ id: port.id, "binding:host_id": "" });
    await expectRefused(
      api,
      () => api.caller.port.update({ id: port.id, "binding:host_id": "net1" }),
      /^Host net1 cannot bind a port on network pv/,
    );
  });
});
