import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agents } from "../db/schema";
import { createTestApi, expectRefused, type TestApi } from "../testkit";
import { dhcpDeviceId } from "./dhcp";

describe("the DHCP port of a network", () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi();
    await api.caller.network.create({ name: "net" });
  });
  afterEach(() => api.close());

  const dhcpPorts = () => api.caller.port.list({ network_id: "net", device_owner: "network:dhcp" });
  const addresses = async () => (await dhcpPorts()).flatMap((p) => p.fixed_ips.map((f) => f.ip_address));

  it("comes with the first DHCP subnet, holding the first free address of its pool", async () => {
    await api.caller.subnet.create({
      name: "off",
      network_id: "net",
      cidr: "10.1.0.0/24",
      enable_dhcp: false,
    });
    expect(await dhcpPorts()).toEqual([]);
    await api.caller.subnet.create({
      name: "on",
      network_id: "net",
      cidr: "10.2.0.0/24",
      allocation_pools: [{ start: "10.2.0.20", end: "10.2.0.30" }],
    });
    const [port, ...more] = await dhcpPorts();
    expect(more).toEqual([]);
    expect(port?.device_owner).toBe("network:dhcp");
    expect(port?.device_id).toBe("reserved_dhcp_port");
    expect(port?.fixed_ips.map((f) => f.ip_address)).toEqual(["10.2.0.20"]);
    // A user's port takes the next one.
    const user = await api.caller.port.create({ network_id: "net", fixed_ips: [{ subnet_id: "on" }] });
    expect(user.fixed_ips[0]?.ip_address).toBe("10.2.0.21");
  });

  it("is placed on the agent's host under Neutron's device_id once an agent is known", async () => {
    await api.db.insert(agents).values({ url: "http://agent.test", host: "h1" });
    await api.caller.subnet.create({ name: "on", network_id: "net", cidr: "10.2.0.0/24" });
    const net = await api.caller.network.show({ id: "net" });
    const [port] = await dhcpPorts();
    // uuid.uuid5(uuid.NAMESPACE_DNS, "h1") in Python
    expect(dhcpDeviceId("h1", net.id)).toBe(`dhcp8839d356-f787-5a0b-8010-d454645c55f8-${net.id}`);
    expect(port?.device_id).toBe(dhcpDeviceId("h1", net.id));
    expect(port?.["binding:host_id"]).toBe("h1");
    // Wired there by the agent, as router ports are: ACTIVE once applied, bound on the graph.
    expect(port?.["binding:vif_type"]).toBe("ovs");
  });

  it("gains and loses an address as subnets turn DHCP on and off, and goes with the last", async () => {
    await api.caller.subnet.create({ name: "a", network_id: "net", cidr: "10.1.0.0/24" });
    await api.caller.subnet.create({ name: "b", network_id: "net", cidr: "10.2.0.0/24", enable_dhcp: false });
    expect(await addresses()).toEqual(["10.1.0.2"]);
    await api.caller.subnet.update({ id: "b", enable_dhcp: true });
    expect((await addresses()).sort()).toEqual(["10.1.0.2", "10.2.0.2"]);
    const [before] = await dhcpPorts();
    await api.caller.subnet.update({ id: "a", enable_dhcp: false });
    expect(await addresses()).toEqual(["10.2.0.2"]);
    expect((await dhcpPorts())[0]?.id).toBe(before?.id); // the same port: its MAC (and the clients' leases) stay
    await api.caller.subnet.update({ id: "b", enable_dhcp: false });
    expect(await dhcpPorts()).toEqual([]);
  });

  it("lets its subnet and its network be deleted, its address released with them", async () => {
    await api.caller.subnet.create({ name: "a", network_id: "net", cidr: "10.1.0.0/24" });
    await api.caller.subnet.create({ name: "b", network_id: "net", cidr: "10.2.0.0/24" });
    await api.caller.subnet.delete({ id: "a" });
    expect(await addresses()).toEqual(["10.2.0.2"]);
    await api.caller.network.delete({ id: "net" });
    expect(await api.caller.port.list({ device_owner: "network:dhcp" })).toEqual([]);
  });

  it("still keeps a subnet that a user's port holds an address of", async () => {
    await api.caller.subnet.create({ name: "a", network_id: "net", cidr: "10.1.0.0/24" });
    await api.caller.port.create({ name: "p", network_id: "net" });
    await expectRefused(
      api,
      () => api.caller.subnet.delete({ id: "a" }),
      "One or more ports have an IP allocation from this subnet",
    );
    expect(await addresses()).toEqual(["10.1.0.2"]);
  });

  it("cannot be deleted or renumbered through the port API", async () => {
    await api.caller.subnet.create({ name: "a", network_id: "net", cidr: "10.1.0.0/24" });
    const [port] = await dhcpPorts();
    const id = port?.id ?? "";
    await expectRefused(
      api,
      () => api.caller.port.delete({ id }),
      `cannot be deleted directly via the port API: has device owner network:dhcp`,
    );
    await expectRefused(
      api,
      () => api.caller.port.update({ id, fixed_ips: [{ ip_address: "10.1.0.9" }] }),
      "is owned by network:dhcp",
    );
    expect(await addresses()).toEqual(["10.1.0.2"]);
  });

  it("refuses a subnet that has no address left for it", async () => {
    await expectRefused(
      api,
      () =>
        api.caller.subnet.create({
          name: "full",
          network_id: "net",
          cidr: "10.1.0.0/24",
          allocation_pools: [],
        }),
      "No more IP addresses available on subnet full for the DHCP port of its network",
    );
  });
});

describe("host routes", () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi();
    await api.caller.network.create({ name: "net" });
  });
  afterEach(() => api.close());

  it("refuses a next hop outside the subnet, on create and on update, writing nothing", async () => {
    const outside = { destination: "192.0.2.0/24", nexthop: "10.9.0.1" };
    await expectRefused(
      api,
      () =>
        api.caller.subnet.create({
          name: "s",
          network_id: "net",
          cidr: "10.1.0.0/24",
          host_routes: [outside],
        }),
      "Invalid input for host_routes. Reason: nexthop 10.9.0.1 of the route to 192.0.2.0/24 is not in subnet 10.1.0.0/24.",
    );
    expect(await api.caller.subnet.list()).toEqual([]);
    const inside = { destination: "192.0.2.0/24", nexthop: "10.1.0.254" };
    await api.caller.subnet.create({
      name: "s",
      network_id: "net",
      cidr: "10.1.0.0/24",
      host_routes: [inside],
    });
    await expectRefused(
      api,
      () => api.caller.subnet.update({ id: "s", host_routes: [inside, outside] }),
      "nexthop 10.9.0.1 of the route to 192.0.2.0/24 is not in subnet 10.1.0.0/24",
    );
    expect((await api.caller.subnet.show({ id: "s" })).host_routes).toEqual([inside]);
  });
});
