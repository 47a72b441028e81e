// Bindings on the graph: each instance says where its port is bound (the host, "not bound", or "bound" for a
// viewer who may not see hosts), and each network's card shows its DHCP port and the host serving it.
import { describe, expect, it } from "vitest";
import { generateTopology } from "./generate";
import { buildGraph, findNode, nodeHeight } from "./graph";

describe("instance bindings on the graph", () => {
  it("shows the host a port is bound on, or that it is not bound", () => {
    const topology = generateTopology(1, 1, 3);
    const [a, b, c] = topology.instances;
    if (!a || !b || !c) throw new Error("expected three instances");
    a.binding = { host: "compute-1", bound: true };
    b.binding = { host: "compute-1", bound: false };
    c.binding = { host: "", bound: true };
    const shown = new Map(
      buildGraph(topology).nodes.flatMap((n) => (n.type === "instance" ? [[n.id, n.data.binding]] : [])),
    );
    expect(shown.get(a.id)).toBe("on compute-1");
    expect(shown.get(b.id)).toBe("not bound");
    expect(shown.get(c.id)).toBe("bound");
  });
});

describe("DHCP ports on the graph", () => {
  it("puts each network's DHCP port on its card: its addresses and the host serving it", () => {
    const topology = generateTopology(1, 2, 0);
    const [served, plain] = topology.networks.filter((n) => !n.external);
    if (!served || !plain) throw new Error("expected two tenant networks");
    served.dhcp = {
      port_id: "dhcp-port",
      ip_addresses: ["10.9.0.2"],
      status: "ACTIVE",
      binding: { host: "compute-1", bound: true },
    };
    const { nodes } = buildGraph(topology);
    const card = (id: string) => nodes.find((n) => n.id === id);
    const withDhcp = card(served.id);
    const without = card(plain.id);
    if (withDhcp?.type !== "network" || without?.type !== "network") throw new Error("network nodes");
    expect(withDhcp.data.dhcp).toEqual({
      portId: "dhcp-port",
      ips: ["10.9.0.2"],
      binding: "on compute-1",
      status: "ACTIVE",
    });
    expect(without.data.dhcp).toBeNull();
    // One more line on the card, so that layout leaves room for it.
    expect(nodeHeight(withDhcp) - nodeHeight({ ...withDhcp, data: { ...withDhcp.data, dhcp: null } })).toBe(
      16,
    );
    expect(findNode(nodes, "10.9.0.2")?.id).toBe(served.id);
  });
});
