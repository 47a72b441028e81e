// What the trace pickers offer, and what a click on the graph picks.
import { describe, expect, it } from "vitest";
import type { Topology } from "../topology/model";
import { endpointAt, endpointOptions, nodeOf, searchEndpoints } from "./endpoints";

const port = (id: string, network: string, ip: string) => ({
  port_id: id,
  network_id: network,
  subnet_id: `${network}-sub`,
  ip_address: ip,
  status: "ACTIVE",
});
const common = { project_id: "p", status: "ACTIVE", admin_state_up: true };

const topology: Topology = {
  networks: [
    {
      ...common,
      id: "ext",
      name: "public",
      external: true,
      shared: false,
      network_type: "flat",
      physical_network: "public",
      segmentation_id: null,
      subnets: [{ id: "ext-sub", name: "public-subnet", cidr: "203.0.113.0/24", gateway_ip: "203.0.113.1" }],
    },
    {
      ...common,
      id: "net",
      name: "demo-net",
      external: false,
      shared: false,
      network_type: "local",
      physical_network: null,
      segmentation_id: null,
      subnets: [{ id: "net-sub", name: "demo-subnet", cidr: "10.0.0.0/24", gateway_ip: "10.0.0.1" }],
    },
  ],
  routers: [
    {
      ...common,
      id: "r1",
      name: "demo-router",
      gateway: { ...port("gw", "ext", "203.0.113.100"), enable_snat: true },
      interfaces: [port("qr", "net", "10.0.0.1")],
      routes: [],
    },
  ],
  instances: [
    { id: "i1", name: "vm1", project_id: "p", status: "ACTIVE", port: port("p1", "net", "10.0.0.5") },
    { id: "i2", name: "twin", project_id: "p", status: "ACTIVE", port: port("p2", "net", "10.0.0.6") },
    { id: "i3", name: "twin", project_id: "p", status: "ACTIVE", port: port("p3", "net", "10.0.0.7") },
  ],
  floatingIps: [
    {
      id: "f1",
      floating_ip_address: "203.0.113.150",
      fixed_ip_address: "10.0.0.5",
      port_id: "p1",
      router_id: "r1",
      floating_network_id: "ext",
      project_id: "p",
      status: "ACTIVE",
    },
  ],
};

const options = endpointOptions(topology);

describe("picking trace ends on the graph", () => {
  it("an instance node picks the instance, by name", () => {
    expect(endpointAt(options, "i1", null)).toMatchObject({ kind: "instance", value: "vm1" });
  });

  it("a floating IP badge picks the floating IP, not its instance", () => {
    expect(endpointAt(options, "i1", "203.0.113.150")).toMatchObject({
      kind: "floating_ip",
      value: "203.0.113.150",
    });
  });

  it("an external network picks its outside world (its subnet's gateway); a router picks the router", () => {
    expect(endpointAt(options, "ext", null)).toMatchObject({ kind: "outside", value: "203.0.113.1" });
    expect(endpointAt(options, "r1", null)).toMatchObject({ kind: "router", value: "demo-router" });
  });

  it("a tenant network is no end", () => {
    expect(endpointAt(options, "net", null)).toBeNull();
  });

  it("a name two instances share is no reference: the id is", () => {
    expect(endpointAt(options, "i2", null)?.value).toBe("i2");
    expect(endpointAt(options, "i3", null)?.value).toBe("i3");
  });

  it("the picked values lead back to their nodes (the From / To tags)", () => {
    expect(nodeOf(options, "vm1")).toBe("i1");
    expect(nodeOf(options, "203.0.113.1")).toBe("ext");
    expect(nodeOf(options, "203.0.113.150")).toBe("i1");
    expect(nodeOf(options, "i3")).toBe("i3");
    expect(nodeOf(options, "198.51.100.7")).toBeNull();
    expect(nodeOf(options, " ")).toBeNull();
  });

  it("offers the metadata service as a destination found by name, drawn on no node", () => {
    expect(searchEndpoints(options, "meta")).toEqual([
      expect.objectContaining({ kind: "metadata", value: "metadata", nodeId: null }),
    ]);
    expect(nodeOf(options, "metadata")).toBeNull();
  });
});
