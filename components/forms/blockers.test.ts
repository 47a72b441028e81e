// The delete dialogs' foresight against the server's own decision: over the demo plus a second subnet on the demo
// router, what `assess` calls blocked the API refuses, and what it lets through the API does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TestApi } from "@/server/testkit";
import { assess, type DeleteTarget, type Lists } from "./blockers";

let api: TestApi;
let demoSubnet = "";
let uxSubnet = "";
let routerId = "";

async function lists(): Promise<Lists> {
  const c = api.caller;
  const [ports, subnets, floatingIps, routers, servers] = await Promise.all([
    c.port.list(undefined),
    c.subnet.list(undefined),
    c.floatingIp.list(undefined),
    c.router.list(undefined),
    c.server.list(undefined),
  ]);
  return { ports, subnets, floatingIps, routers, servers };
}

const iface = (subnetId: string, name: string): DeleteTarget => ({
  kind: "routerInterface",
  id: routerId,
  subnetId,
  name,
  noun: "interface",
});

beforeAll(async () => {
  api = await createTestApi({ demo: true });
  const c = api.caller;
  await c.network.create({ name: "ux-net" });
  uxSubnet = (await c.subnet.create({ name: "ux-subnet", network_id: "ux-net", cidr: "10.77.0.0/24" })).id;
  demoSubnet = (await c.subnet.show({ id: "demo-subnet" })).id;
  routerId = (await c.router.show({ id: "demo-router" })).id;
  await c.router.addInterface({ id: routerId, subnet_id: uxSubnet });
});
afterAll(() => api.close());

describe("removing a router interface", () => {
  it("is blocked by the floating IP NATed through that subnet, named with its instance, offering Disassociate", async () => {
    const { blockers } = assess(iface(demoSubnet, "10.0.0.1"), await lists());
    expect(blockers).toHaveLength(1);
    expect(blockers[0]?.what).toMatch(/^floating IP 203\.0\.113\.\d+ → 10\.0\.0\.\d+ \(vm1\)$/);
    expect(blockers[0]?.fix?.type).toBe("disassociate");
    await expect(api.caller.router.removeInterface({ id: routerId, subnet_id: demoSubnet })).rejects.toThrow(
      "required by one or more floating IPs",
    );
  });

  it("is not blocked (nor warned about) by another subnet's floating IP; the API agrees", async () => {
    const { blockers, effects } = assess(iface(uxSubnet, "10.77.0.1"), await lists());
    expect(blockers).toEqual([]);
    expect(effects.join(" ")).not.toContain("203.0.113.");
    await api.caller.router.removeInterface({ id: routerId, subnet_id: uxSubnet });
    await api.caller.router.addInterface({ id: routerId, subnet_id: uxSubnet });
  });
});

describe("deleting a network", () => {
  it("names the router interface and the instance that hold it, each with its way out", async () => {
    await api.caller.server.create({ name: "ux-vm", network_id: "ux-net" });
    const net = await api.caller.network.show({ id: "ux-net" });
    const { blockers, effects } = assess(
      { kind: "network", id: net.id, name: "ux-net", noun: "network" },
      await lists(),
    );
    expect(blockers.map((b) => b.what).sort()).toEqual([
      expect.stringMatching(/^instance ux-vm \(10\.77\.0\.\d+\)$/),
      "interface 10.77.0.1 of router demo-router",
    ]);
    expect(blockers.map((b) => b.fix?.type)).toEqual(["delete", "delete"]);
    expect(effects).toEqual(["subnet ux-subnet 10.77.0.0/24 is deleted with it"]);
    await expect(api.caller.network.delete({ id: net.id })).rejects.toThrow("ports still in use");
  });

  it("is clear once the blockers are gone, and the API then deletes it", async () => {
    await api.caller.server.delete({ id: "ux-vm" });
    await api.caller.router.removeInterface({ id: routerId, subnet_id: uxSubnet });
    const net = await api.caller.network.show({ id: "ux-net" });
    expect(
      assess({ kind: "network", id: net.id, name: "ux-net", noun: "network" }, await lists()).blockers,
    ).toEqual([]);
    await api.caller.network.delete({ id: net.id });
  });
});

describe("deleting a subnet or a router", () => {
  it("the demo subnet is held by vm1's and the router's ports; the demo router by its interface", async () => {
    const l = await lists();
    const subnet = assess({ kind: "subnet", id: demoSubnet, name: "demo-subnet", noun: "subnet" }, l);
    expect(subnet.blockers.map((b) => b.what)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^instance vm1 /),
        "interface 10.0.0.1 of router demo-router",
      ]),
    );
    await expect(api.caller.subnet.delete({ id: demoSubnet })).rejects.toThrow("IP allocation");
    const router = assess({ kind: "router", id: routerId, name: "demo-router", noun: "router" }, l);
    expect(router.blockers.map((b) => b.what)).toEqual(["interface 10.0.0.1 of router demo-router"]);
    await expect(api.caller.router.delete({ id: routerId })).rejects.toThrow("still has ports");
  });
});
