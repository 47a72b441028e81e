// The scheduler: routers onto live network nodes and instances onto live compute hosts, fewest first; a host
// named by an admin is checked before anything is written; a router with no network node alive waits, saying so.
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agents, ports } from "../db/schema";
import { createTestApi, expectRefused, type TestApi, testUser } from "../testkit";
import { type Candidate, pickHost } from "./scheduler";

describe("pickHost", () => {
  const host = (name: string, roles: Candidate["roles"], load: number, live = true): Candidate => ({
    host: name,
    roles,
    live,
    load,
  });

  it("takes the live host with the role and the fewest, the first registered on a tie", () => {
    const hosts = [
      host("net1", ["network"], 3),
      host("net2", ["network"], 1),
      host("net3", ["network"], 1),
      host("cmp1", ["compute"], 0),
    ];
    expect(pickHost(hosts, "network")).toBe("net2");
    expect(pickHost(hosts, "compute")).toBe("cmp1");
  });

  it("passes over dead hosts and hosts without the role, and finds none when none is left", () => {
    const hosts = [host("net1", ["network"], 0, false), host("both", ["compute", "network"], 9)];
    expect(pickHost(hosts, "network")).toBe("both");
    expect(
      pickHost([host("net1", ["network"], 0, false), host("cmp1", ["compute"], 0)], "network"),
    ).toBeNull();
    expect(pickHost([], "compute")).toBeNull();
  });

  it("keeps a single host's things on it while it is down, as with one host before", () => {
    expect(pickHost([host("h1", ["compute", "network"], 5, false)], "network")).toBe("h1");
    expect(pickHost([host("h1", ["compute"], 0, false)], "network")).toBeNull();
  });
});

describe("scheduling on several hosts", () => {
  let api: TestApi;
  const register = async (host: string, roles: ("compute" | "network")[], live = true) =>
    api.db.insert(agents).values({
      url: `http://${host}.test`,
      host,
      roles,
      localIp: null,
      lastSeen: new Date(live ? Date.now() : Date.now() - 3600_000),
    });

  beforeEach(async () => {
    api = await createTestApi();
    await register("net1", ["network"]);
    await register("net2", ["network"]);
    await register("net3", ["network"], false);
    await register("cmp1", ["compute"]);
    await register("cmp2", ["compute"]);
    await api.caller.network.create({ name: "n1", "provider:network_type": "vxlan" });
    await api.caller.subnet.create({ name: "s1", network_id: "n1", cidr: "10.1.0.0/24" });
  });
  afterEach(() => api.close());

  it("puts routers on live network nodes, fewest first, and instances on compute hosts", async () => {
    const hosts = [];
    for (const name of ["r1", "r2", "r3"]) hosts.push((await api.caller.router.create({ name })).host);
    expect(hosts).toEqual(["net1", "net2", "net1"]);
    const servers = [];
    for (const name of ["vm1", "vm2", "vm3"])
      servers.push((await api.caller.server.create({ name, network_id: "n1" })).host);
    expect(servers).toEqual(["cmp1", "cmp2", "cmp1"]);
    // The network's DHCP server went to a network node too.
    const [dhcp] = await api.caller.port.list({ device_owner: "network:dhcp" });
    expect(dhcp?.["binding:host_id"]).toBe("net1");
    expect((await api.caller.host.list()).map((h) => [h.host, h.routers, h.instances])).toEqual([
      ["net1", 2, 0],
      ["net2", 1, 0],
      ["net3", 0, 0],
      ["cmp1", 0, 2],
      ["cmp2", 0, 1],
    ]);
  });

  it("takes the host an admin names, and refuses one that cannot take it, writing nothing", async () => {
    expect((await api.caller.router.create({ name: "r1", host: "net2" })).host).toBe("net2");
    expect((await api.caller.server.create({ name: "vm1", network_id: "n1", host: "cmp2" })).host).toBe(
      "cmp2",
    );
    await expectRefused(
      api,
      () => api.caller.router.create({ name: "r2", host: "cmp1" }),
      "Host cmp1 is not a network node (roles: compute): it cannot host a router.",
    );
    await expectRefused(
      api,
      () => api.caller.server.create({ name: "vm2", network_id: "n1", host: "net1" }),
      "Host net1 is not a compute node (roles: network): it cannot host an instance.",
    );
    await expectRefused(
      api,
      () => api.caller.router.create({ name: "r2", host: "ghost" }),
      "Host ghost has no agent (known hosts: net1, net2, net3, cmp1, cmp2).",
    );
    await expectRefused(
      api,
      () => api.caller.router.create({ name: "r2", host: "not_a host" }),
      "Host name: DNS labels of A-Z a-z 0-9 and -, separated by dots",
    );
  });

  it("moves a router with its ports to another network node", async () => {
    const router = await api.caller.router.create({ name: "r1" });
    await api.caller.router.addInterface({ id: router.id, subnet_id: "s1" });
    expect(router.host).toBe("net1");
    const moved = await api.caller.router.update({ id: router.id, host: "net2" });
    expect(moved).toMatchObject({
      host: "net2",
      status: "PENDING",
      interfaces: [{ ip_address: "10.1.0.1" }],
    });
    const [qr] = await api.db.select().from(ports).where(eq(ports.deviceId, router.id));
    expect(qr).toMatchObject({ hostId: "net2", vifType: "ovs" });
    await expectRefused(
      api,
      () => api.caller.router.update({ id: router.id, host: "cmp1" }),
      /Host cmp1 is not a network node/,
    );
  });

  it("moves a router with a gateway only to a network node that maps the gateway's physical network", async () => {
    await api.db
      .update(agents)
      .set({ bridgeMappings: { public: "br-ex" } })
      .where(eq(agents.host, "net1"));
    await api.db.update(agents).set({ bridgeMappings: {} }).where(eq(agents.host, "net2"));
    await api.caller.network.create({
      name: "ext",
      "router:external": true,
      "provider:network_type": "flat",
      "provider:physical_network": "public",
    });
    await api.caller.subnet.create({
      name: "ext-sub",
      network_id: "ext",
      cidr: "198.51.100.0/24",
      enable_dhcp: false,
    });
    const router = await api.caller.router.create({
      name: "r1",
      external_gateway_info: { network_id: "ext" },
    });
    expect(router.host).toBe("net1");
    await expectRefused(
      api,
      () => api.caller.router.update({ id: router.id, host: "net2" }),
      "Physical network public has no bridge mapping on host net2",
    );
  });

  it("leaves a router PENDING with the reason while no network node is alive", async () => {
    await api.db
      .update(agents)
      .set({ lastSeen: new Date(0) })
      .where(eq(agents.host, "net1"));
    await api.db.update(agents).set({ lastError: "connect ECONNREFUSED" }).where(eq(agents.host, "net2"));
    const router = await api.caller.router.create({ name: "r1" });
    expect(router).toMatchObject({
      host: null,
      status: "PENDING",
      status_message:
        "No live network node to host router r1: it stays PENDING and is scheduled when one registers.",
    });
    // Still saying so after a change that is not a move.
    const renamed = await api.caller.router.update({ id: router.id, name: "r1b" });
    expect(renamed.status_message).toMatch(/^No live network node to host router r1b/);
    // Waiting is no failure on a host: a member reads why, without any host's name.
    const member = await testUser(api.services, "waiting-member", "admin", "member");
    expect((await member.caller.router.show({ id: router.id })).status_message).toBe(renamed.status_message);
  });

  it("shows a router's and an instance's host to admins only", async () => {
    const member = await testUser(api.services, "tenant-member", "tenant", "member");
    const router = await api.caller.router.create({ name: "r1", project_id: "tenant" });
    await api.caller.network.create({ name: "tn", project_id: "tenant" });
    await api.caller.subnet.create({
      name: "ts",
      network_id: "tn",
      cidr: "10.2.0.0/24",
      project_id: "tenant",
    });
    const server = await api.caller.server.create({ name: "vm1", network_id: "tn", project_id: "tenant" });
    expect([router.host, server.host]).toEqual(["net1", "cmp1"]);
    expect((await member.caller.router.show({ id: router.id })).host).toBeNull();
    expect((await member.caller.server.show({ id: server.id })).host).toBeNull();
  });
});
