// Every validation rule of DESIGN.md §3: the error wording, and that a refused change writes nothing.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agents, ports } from "../db/schema";
import { createTestApi, expectRefused, type TestApi } from "../testkit";

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ demo: true });
});
afterAll(() => api.close());

describe("subnets", () => {
  beforeAll(async () => {
    await api.caller.network.create({ name: "lab-net" });
  });

  it("refuses an invalid CIDR", async () => {
    await expectRefused(
      api,
      () => api.caller.subnet.create({ name: "x", network_id: "lab-net", cidr: "10.5.0.5/24" }),
      /Invalid input for cidr. Reason: Invalid CIDR 10.5.0.5\/24: host bits set \(did you mean 10.5.0.0\/24\?\)/,
    );
    await expectRefused(
      api,
      () => api.caller.subnet.create({ name: "x", network_id: "lab-net", cidr: "10.5.0.0/33" }),
      "Invalid input for cidr",
    );
  });

  it("refuses a gateway outside the subnet", async () => {
    await expectRefused(
      api,
      () =>
        api.caller.subnet.create({
          name: "x",
          network_id: "lab-net",
          cidr: "10.0.0.0/24",
          gateway_ip: "10.1.0.1",
        }),
      "Gateway IP 10.1.0.1 is not in subnet 10.0.0.0/24",
    );
  });

  it("refuses a pool that holds the gateway, leaves the cidr, or overlaps another pool", async () => {
    const create = (pools: { start: string; end: string }[], gateway_ip?: string) => () =>
      api.caller.subnet.create({
        name: "x",
        network_id: "lab-net",
        cidr: "10.1.0.0/24",
        gateway_ip,
        allocation_pools: pools,
      });
    await expectRefused(
      api,
      create([{ start: "10.1.0.1", end: "10.1.0.50" }], "10.1.0.1"),
      "Gateway ip 10.1.0.1 conflicts with allocation pool 10.1.0.1-10.1.0.50",
    );
    await expectRefused(
      api,
      () =>
        api.caller.subnet.create({
          name: "x",
          network_id: "lab-net",
          cidr: "10.0.0.0/24",
          allocation_pools: [{ start: "10.0.1.10", end: "10.0.1.20" }],
        }),
      "The allocation pool 10.0.1.10-10.0.1.20 spans beyond the subnet cidr 10.0.0.0/24",
    );
    await expectRefused(
      api,
      create([
        { start: "10.1.0.10", end: "10.1.0.20" },
        { start: "10.1.0.20", end: "10.1.0.30" },
      ]),
      "Found overlapping allocation pools",
    );
  });

  it("refuses overlapping subnets on one network", async () => {
    await expectRefused(
      api,
      () => api.caller.subnet.create({ name: "x", network_id: "demo-net", cidr: "10.0.0.0/25" }),
      "Invalid CIDR 10.0.0.0/25 for subnet: it overlaps with subnet demo-subnet (10.0.0.0/24) on network demo-net",
    );
  });

  it("refuses a CIDR not written as a.b.c.d/n in decimal, which would be stored as typed", async () => {
    // ipaddr.js reads these as 10.0.0.0/8 (octal, hexadecimal, one 32-bit number, a zero-padded prefix), and
    // "010.0.0.0/8" as 8.0.0.0/8: stored as typed, they never compare equal to what the host reports.
    for (const cidr of ["012.0.0.0/8", "0xa000000/8", "167772160/8", "10.0.0.0/08", "010.0.0.0/8"]) {
      await expectRefused(
        api,
        () => api.caller.subnet.create({ name: "x", network_id: "lab-net", cidr }),
        `Invalid input for cidr. Reason: Invalid CIDR ${cidr}: write the address as four decimal numbers`,
      );
    }
    await expectRefused(
      api,
      () =>
        api.caller.subnet.create({
          name: "x",
          network_id: "lab-net",
          cidr: "10.9.0.0/24",
          host_routes: [{ destination: "0xc0a80000/16", nexthop: "10.9.0.1" }],
        }),
      "Invalid input for destination. Reason: Invalid CIDR 0xc0a80000/16",
    );
    await expectRefused(
      api,
      () =>
        api.caller.router.update({
          id: "demo-router",
          routes: [{ destination: "192.168.0.0/016", nexthop: "10.0.0.5" }],
        }),
      "Invalid input for destination. Reason: Invalid CIDR 192.168.0.0/016",
    );
  });

  it("refuses an address not written as a.b.c.d in decimal", async () => {
    for (const ip of ["010.0.0.5", "0xa.0.0.5", "167772165", "10.5"]) {
      await expectRefused(
        api,
        () => api.caller.port.create({ network_id: "demo-net", fixed_ips: [{ ip_address: ip }] }),
        `Invalid IP address ${ip}`,
      );
    }
  });

  it("refuses to delete a subnet with allocations", async () => {
    await expectRefused(
      api,
      () => api.caller.subnet.delete({ id: "demo-subnet" }),
      "Unable to complete operation on subnet demo-subnet: One or more ports have an IP allocation from this subnet",
    );
  });
});

describe("networks", () => {
  it("derives the MTU from the type and allocates segments", async () => {
    const vx1 = await api.caller.network.create({ name: "vx1", "provider:network_type": "vxlan" });
    const vx2 = await api.caller.network.create({ name: "vx2" });
    const vlan = await api.caller.network.create({
      name: "vl",
      "provider:network_type": "vlan",
      "provider:physical_network": "physnet2",
    });
    const local = await api.caller.network.create({ name: "lo", "provider:network_type": "local" });
    expect([vx1.mtu, vlan.mtu, local.mtu]).toEqual([1450, 1500, 1500]);
    expect((await api.caller.network.show({ id: "public" })).mtu).toBe(1500);
    expect(vx2["provider:segmentation_id"]).not.toBe(vx1["provider:segmentation_id"]);
    expect(vlan["provider:segmentation_id"]).toBe(1);
    expect(local["provider:segmentation_id"]).toBeNull();
  });

  it("refuses a second flat network on a physical network", async () => {
    await expectRefused(
      api,
      () =>
        api.caller.network.create({
          name: "x",
          "provider:network_type": "flat",
          "provider:physical_network": "public",
        }),
      "Unable to create the flat network. Physical network public is in use",
    );
  });

  it("refuses a taken VLAN, a VLAN out of range, and a VLAN without physical network", async () => {
    const vlan = (segment?: number, physnet?: string) => () =>
      api.caller.network.create({
        name: "x",
        "provider:network_type": "vlan",
        "provider:physical_network": physnet,
        "provider:segmentation_id": segment,
      });
    await vlan(100, "public")();
    await expectRefused(
      api,
      vlan(100, "public"),
      "Unable to create the network. The VLAN 100 on physical network public is in use",
    );
    await expectRefused(api, vlan(5000, "public"), "segmentation_id out of range (1 through 4094)");
    await expectRefused(api, vlan(7), "physical_network required for VLAN provider network");
  });

  it("refuses a taken VXLAN id and an MTU above the type's", async () => {
    await api.caller.network.create({ name: "vx-77", "provider:segmentation_id": 77 });
    await expectRefused(
      api,
      () => api.caller.network.create({ name: "x", "provider:segmentation_id": 77 }),
      "Unable to create the network. The tunnel ID 77 is in use",
    );
    await expectRefused(
      api,
      () => api.caller.network.create({ name: "x", mtu: 1500 }),
      "Requested MTU is too big, maximum is 1450",
    );
  });

  it("refuses to delete a network with ports", async () => {
    await expectRefused(
      api,
      () => api.caller.network.delete({ id: "demo-net" }),
      "Unable to complete operation on network demo-net. There are one or more ports still in use on the network",
    );
  });
});

describe("routers", () => {
  it("refuses a gateway on a network that is not external", async () => {
    await expectRefused(
      api,
      () => api.caller.router.create({ name: "r", external_gateway_info: { network_id: "demo-net" } }),
      "Bad router request: Network demo-net is not an external network",
    );
  });

  it("refuses two overlapping subnets on one router", async () => {
    await api.caller.network.create({ name: "twin-net" });
    await api.caller.subnet.create({ name: "twin-subnet", network_id: "twin-net", cidr: "10.0.0.0/24" });
    await expectRefused(
      api,
      () => api.caller.router.addInterface({ id: "demo-router", subnet_id: "twin-subnet" }),
      "Bad router request: Cidr 10.0.0.0/24 of subnet twin-subnet overlaps with cidr 10.0.0.0/24 of subnet demo-subnet",
    );
  });

  it("refuses to delete a router with interfaces", async () => {
    await expectRefused(
      api,
      () => api.caller.router.delete({ id: "demo-router" }),
      "Router demo-router still has ports",
    );
  });

  it("refuses an interface that needs the floating IP", async () => {
    await expectRefused(
      api,
      () => api.caller.router.removeInterface({ id: "demo-router", subnet_id: "demo-subnet" }),
      "Router interface for subnet demo-subnet on router demo-router cannot be deleted, as it is required by one or more floating IPs",
    );
  });

  it("refuses a gateway whose physical network has no bridge on the host, writing nothing", async () => {
    await api.db
      .insert(agents)
      .values({ url: "http://agent.test", host: "h1", bridgeMappings: { physnet9: "br-9" } });
    try {
      await expectRefused(
        api,
        () => api.caller.router.create({ name: "r", external_gateway_info: { network_id: "public" } }),
        "Physical network public has no bridge mapping on host h1",
      );
    } finally {
      await api.db.delete(agents);
    }
  });
});

describe("addresses and floating IPs", () => {
  it("refuses an address already in use", async () => {
    const vm1 = await api.caller.server.show({ id: "vm1" });
    const [ip] = vm1.addresses["demo-net"] ?? [];
    await expectRefused(
      api,
      () => api.caller.port.create({ network_id: "demo-net", fixed_ips: [{ ip_address: ip }] }),
      `IP address ${ip} already allocated in subnet demo-subnet`,
    );
  });

  it("refuses a floating IP on a network that is not external", async () => {
    await expectRefused(
      api,
      () => api.caller.floatingIp.create({ floating_network_id: "demo-net" }),
      "Network demo-net is not a valid external network",
    );
  });

  it("refuses a port whose subnet has no router to the floating network, writing nothing", async () => {
    await api.caller.network.create({ name: "island-net" });
    await api.caller.subnet.create({ name: "island-subnet", network_id: "island-net", cidr: "10.77.0.0/24" });
    await api.caller.port.create({ name: "island-port", network_id: "island-net" });
    await expectRefused(
      api,
      () => api.caller.floatingIp.create({ floating_network_id: "public", port_id: "island-port" }),
      "External network public is not reachable from subnet island-subnet. Therefore, cannot associate Port island-port with a Floating IP.",
    );
  });

  it("refuses a second floating IP for one fixed IP", async () => {
    const vm1 = await api.caller.server.show({ id: "vm1" });
    const [fixed] = vm1.addresses["demo-net"] ?? [];
    const second = await api.caller.floatingIp.create({ floating_network_id: "public" });
    await expectRefused(
      api,
      () => api.caller.server.addFloatingIp({ id: "vm1", floating_ip_address: second.floating_ip_address }),
      `Cannot associate floating IP ${second.floating_ip_address} with port vm1-port using fixed IP ${fixed}, as that fixed IP already has a floating IP on external network public`,
    );
  });
});

describe("a subnet's gateway address", () => {
  const gatewayTaken = (ip: string, subnet: string) =>
    `Invalid input for operation: IP address ${ip} is the gateway IP of subnet ${subnet}; only a router interface may take it.`;

  it("is refused to a floating IP, a router gateway and a port, writing nothing", async () => {
    await expectRefused(
      api,
      () =>
        api.caller.floatingIp.create({ floating_network_id: "public", floating_ip_address: "203.0.113.1" }),
      gatewayTaken("203.0.113.1", "public-subnet"),
    );
    await expectRefused(
      api,
      () =>
        api.caller.router.create({
          name: "gw-thief",
          external_gateway_info: {
            network_id: "public",
            external_fixed_ips: [{ ip_address: "203.0.113.1" }],
          },
        }),
      gatewayTaken("203.0.113.1", "public-subnet"),
    );
    await expectRefused(
      api,
      () => api.caller.port.create({ network_id: "public", fixed_ips: [{ ip_address: "203.0.113.1" }] }),
      gatewayTaken("203.0.113.1", "public-subnet"),
    );
  });

  it("is refused to a port that moves to it, and still goes to a router interface", async () => {
    await api.caller.network.create({ name: "gw-net" });
    await api.caller.subnet.create({ name: "gw-subnet", network_id: "gw-net", cidr: "10.40.0.0/24" });
    const port = await api.caller.port.create({ name: "gw-mover", network_id: "gw-net" });
    await expectRefused(
      api,
      () => api.caller.port.update({ id: port.id, fixed_ips: [{ ip_address: "10.40.0.1" }] }),
      gatewayTaken("10.40.0.1", "gw-subnet"),
    );
    expect((await api.caller.port.show({ id: port.id })).fixed_ips).toEqual(port.fixed_ips);
    const router = await api.caller.router.create({ name: "gw-router" });
    const attached = await api.caller.router.addInterface({ id: router.id, subnet_id: "gw-subnet" });
    expect(attached.interfaces.map((i) => i.ip_address)).toEqual(["10.40.0.1"]);
  });
});

describe("ports a network device owns", () => {
  const owned = (id: string, owner: string, device: string) =>
    `Port ${id} is owned by ${owner} ${device}; its fixed IPs cannot be changed through the port API.`;

  it("keep their fixed IPs: floating IP, router gateway, router interface and DHCP ports", async () => {
    for (const owner of [
      "network:floatingip",
      "network:router_gateway",
      "network:router_interface",
    ] as const) {
      const [port] = await api.caller.port.list({ device_owner: owner });
      if (!port) throw new Error(`the demo has no ${owner} port`);
      const subnet = port.fixed_ips[0]?.subnet_id ?? "";
      await expectRefused(
        api,
        () => api.caller.port.update({ id: port.id, fixed_ips: [{ subnet_id: subnet }] }),
        owned(port.id, owner, port.device_id),
      );
      expect((await api.caller.port.show({ id: port.id })).fixed_ips).toEqual(port.fixed_ips);
    }
    // No API makes DHCP ports yet; the rule holds for the owner, whoever made the port.
    const dhcp = await api.caller.port.create({ name: "dhcp-port", network_id: "demo-net" });
    await api.db
      .update(ports)
      .set({ deviceOwner: "network:dhcp", deviceId: "dhcp-demo" })
      .where(eq(ports.id, dhcp.id));
    await expectRefused(
      api,
      () => api.caller.port.update({ id: dhcp.id, fixed_ips: [{ subnet_id: "demo-subnet" }] }),
      owned("dhcp-port", "network:dhcp", "dhcp-demo"),
    );
  });

  it("still lets a port of a server change its fixed IPs, as Neutron does", async () => {
    const moved = await api.caller.port.update({ id: "vm2-port", fixed_ips: [{ ip_address: "10.0.0.77" }] });
    expect(moved.fixed_ips.map((f) => f.ip_address)).toEqual(["10.0.0.77"]);
  });
});

describe("router interfaces by port", () => {
  it("refuse a subnet the router already has a port on, as by subnet", async () => {
    await api.caller.port.create({ name: "second-leg", network_id: "demo-net" });
    await expectRefused(
      api,
      () => api.caller.router.addInterface({ id: "demo-router", port_id: "second-leg" }),
      "Bad router request: Router already has a port on subnet demo-subnet.",
    );
    // The gateway is a port on the external subnet too.
    await api.caller.port.create({ name: "outside-leg", network_id: "public" });
    await expectRefused(
      api,
      () => api.caller.router.addInterface({ id: "demo-router", port_id: "outside-leg" }),
      "Bad router request: Router already has a port on subnet public-subnet.",
    );
    await expectRefused(
      api,
      () => api.caller.router.addInterface({ id: "demo-router", subnet_id: "public-subnet" }),
      "Bad router request: Router already has a port on subnet public-subnet.",
    );
  });

  it("refuse a port with several fixed IPs, which the host would only half plug", async () => {
    await api.caller.network.create({ name: "multi-net" });
    await api.caller.subnet.create({ name: "multi-a", network_id: "multi-net", cidr: "10.60.0.0/24" });
    await api.caller.subnet.create({ name: "multi-b", network_id: "multi-net", cidr: "10.61.0.0/24" });
    await api.caller.router.create({ name: "multi-router" });
    await api.caller.port.create({
      name: "two-subnets",
      network_id: "multi-net",
      fixed_ips: [{ subnet_id: "multi-a" }, { subnet_id: "multi-b" }],
    });
    await api.caller.port.create({
      name: "two-addresses",
      network_id: "multi-net",
      fixed_ips: [{ subnet_id: "multi-a" }, { subnet_id: "multi-a" }],
    });
    for (const port of ["two-subnets", "two-addresses"]) {
      await expectRefused(
        api,
        () => api.caller.router.addInterface({ id: "multi-router", port_id: port }),
        "Bad router request: Cannot have multiple IPv4 subnets on router port.",
      );
    }
  });
});

describe("name resolution", () => {
  it("accepts an ID or a unique name, and says which when neither works", async () => {
    const net = await api.caller.network.show({ id: "demo-net" });
    expect((await api.caller.network.show({ id: net.id })).name).toBe("demo-net");
    await expect(api.caller.network.show({ id: "no-such-net" })).rejects.toThrow(
      "Network no-such-net not found",
    );
    await api.caller.network.create({ name: "twin" });
    await api.caller.network.create({ name: "twin" });
    await expect(api.caller.network.show({ id: "twin" })).rejects.toThrow(
      "Multiple networks match name twin",
    );
  });

  it("names floating IPs by address", async () => {
    const [fip] = await api.caller.floatingIp.list();
    expect(fip).toBeDefined();
    const byAddress = await api.caller.floatingIp.show({ id: fip?.floating_ip_address ?? "" });
    expect(byAddress.id).toBe(fip?.id);
  });

  it("answers NOT_FOUND with the resource's kind", async () => {
    await expect(api.caller.router.delete({ id: "ghost" })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "Router ghost not found",
    });
  });
});
