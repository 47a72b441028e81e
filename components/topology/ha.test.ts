// HA routers on the graph: the card says HA; for admins it lists both network nodes, the active one first, one
// line each (its height follows); a member's card says HA and names no host.
import { describe, expect, it } from "vitest";
import { generateTopology } from "./generate";
import { buildGraph, nodeHeight, type RouterNode } from "./graph";

const routerNode = (topology: ReturnType<typeof generateTopology>, id: string) => {
  const node = buildGraph(topology).nodes.find((n): n is RouterNode => n.type === "router" && n.id === id);
  if (!node) throw new Error("router node");
  return node;
};

describe("HA routers on the graph", () => {
  it("lists an HA router's nodes for admins, the active one first", () => {
    const topology = generateTopology(1, 1, 0);
    const [router] = topology.routers;
    if (!router) throw new Error("expected a router");
    router.host = "network1";
    const legacy = routerNode(topology, router.id);
    router.ha = true;
    router.ha_state = [
      { host: "network1", ha_state: "standby" },
      { host: "network2", ha_state: "active" },
    ];
    const ha = routerNode(topology, router.id);
    expect(ha.data.ha).toBe(true);
    expect(ha.data.haHosts.map((h) => `${h.ha_state} ${h.host}`)).toEqual([
      "active network2",
      "standby network1",
    ]);
    // One line per node where the legacy router had one for its host.
    expect(nodeHeight(ha) - nodeHeight(legacy)).toBe(16);
  });

  it("says HA to a member without naming a host", () => {
    const topology = generateTopology(1, 1, 0);
    const [router] = topology.routers;
    if (!router) throw new Error("expected a router");
    Object.assign(router, { host: null, ha: true, ha_state: null });
    const node = routerNode(topology, router.id);
    expect(node.data).toMatchObject({ ha: true, haHosts: [], host: null });
  });
});
