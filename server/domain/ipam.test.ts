import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApi, expectRefused, type TestApi } from "../testkit";
import { defaultGateway, defaultPools, validatePools } from "./ipam";

describe("subnet defaults (pure)", () => {
  it("puts the gateway on the first host and the pool on the others", () => {
    expect(defaultGateway("10.0.0.0/24")).toBe("10.0.0.1");
    expect(defaultPools("10.0.0.0/24", "10.0.0.1")).toEqual([{ start: "10.0.0.2", end: "10.0.0.254" }]);
  });
  it("splits the pool around a gateway in the middle, and keeps every host without a gateway", () => {
    expect(defaultPools("10.0.0.0/24", "10.0.0.100")).toEqual([
      { start: "10.0.0.1", end: "10.0.0.99" },
      { start: "10.0.0.101", end: "10.0.0.254" },
    ]);
    expect(defaultPools("10.0.0.0/24", null)).toEqual([{ start: "10.0.0.1", end: "10.0.0.254" }]);
  });
  it("refuses a pool holding the network or broadcast address", () => {
    expect(() => validatePools("10.0.0.0/24", null, [{ start: "10.0.0.0", end: "10.0.0.9" }])).toThrow(
      "includes the network or broadcast address",
    );
  });
});

describe("allocation", () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await createTestApi();
    await api.caller.network.create({ name: "net" });
  });
  afterEach(() => api.close());

  it("creates subnets with Neutron's defaults", async () => {
    const subnet = await api.caller.subnet.create({ name: "sub", network_id: "net", cidr: "10.1.0.0/24" });
    expect(subnet.gateway_ip).toBe("10.1.0.1");
    expect(subnet.allocation_pools).toEqual([{ start: "10.1.0.2", end: "10.1.0.254" }]);
    const none = await api.caller.subnet.create({
      name: "nogw",
      network_id: "net",
      cidr: "10.2.0.0/29",
      gateway_ip: null,
    });
    expect(none.gateway_ip).toBeNull();
    expect(none.allocation_pools).toEqual([{ start: "10.2.0.1", end: "10.2.0.6" }]);
  });

  it("hands out the lowest free address of the pools, in order", async () => {
    await api.caller.subnet.create({
      name: "sub",
      network_id: "net",
      cidr: "10.1.0.0/24",
      allocation_pools: [
        { start: "10.1.0.50", end: "10.1.0.51" },
        { start: "10.1.0.10", end: "10.1.0.10" },
      ],
      enable_dhcp: false, // the DHCP port's own address: dhcp.test.ts
    });
    const ips = [];
    for (let i = 0; i < 3; i++)
      ips.push((await api.caller.port.create({ network_id: "net" })).fixed_ips[0]?.ip_address);
    expect(ips).toEqual(["10.1.0.50", "10.1.0.51", "10.1.0.10"]);
    await expectRefused(
      api,
      () => api.caller.port.create({ network_id: "net" }),
      "No more IP addresses available on network net",
    );
  });

  it("gives an explicit address, even outside the pools, once", async () => {
    await api.caller.subnet.create({ name: "sub", network_id: "net", cidr: "10.1.0.0/24" });
    const port = await api.caller.port.create({ network_id: "net", fixed_ips: [{ ip_address: "10.1.0.7" }] });
    expect(port.fixed_ips).toEqual([{ subnet_id: expect.any(String), ip_address: "10.1.0.7" }]);
    await expectRefused(
      api,
      () =>
        api.caller.port.create({
          network_id: "net",
          fixed_ips: [{ subnet_id: "sub", ip_address: "10.1.0.7" }],
        }),
      "IP address 10.1.0.7 already allocated in subnet sub",
    );
    await expectRefused(
      api,
      () => api.caller.port.create({ network_id: "net", fixed_ips: [{ ip_address: "10.9.0.7" }] }),
      "IP address 10.9.0.7 is not a valid IP for any of the subnets on the specified network",
    );
  });

  it("releases addresses when the port goes", async () => {
    // No DHCP: its port would take the /30's only free address.
    await api.caller.subnet.create({
      name: "sub",
      network_id: "net",
      cidr: "10.1.0.0/30",
      enable_dhcp: false,
    });
    const port = await api.caller.port.create({ name: "p", network_id: "net" });
    expect(port.fixed_ips[0]?.ip_address).toBe("10.1.0.2");
    await expectRefused(
      api,
      () => api.caller.port.create({ network_id: "net" }),
      "No more IP addresses available",
    );
    await api.caller.port.delete({ id: "p" });
    expect((await api.caller.port.create({ network_id: "net" })).fixed_ips[0]?.ip_address).toBe("10.1.0.2");
  });

  it("creates a port without address on a network without subnet", async () => {
    expect((await api.caller.port.create({ network_id: "net" })).fixed_ips).toEqual([]);
  });
});
