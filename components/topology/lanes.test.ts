// Grouped by host: one lane per host, labelled, holding exactly that host's routers and instances.
import { describe, expect, it } from "vitest";
import { generateTopology } from "./generate";
import { buildGraph, NODE_WIDTH, type TopologyNode } from "./graph";
import { layoutLanes } from "./lanes";

function placed(hosts: readonly (string | null)[]) {
  const topology = generateTopology(4, 8, 30);
  topology.instances.forEach((i, k) => {
    i.host = hosts[k % hosts.length] ?? null;
  });
  topology.routers.forEach((r, k) => {
    r.host = hosts[k % hosts.length] ?? null;
  });
  const graph = buildGraph(topology);
  return { topology, ...layoutLanes(graph.nodes, graph.edges) };
}

const inside = (
  n: TopologyNode,
  lane: { position: { x: number; y: number }; width?: number; height?: number },
) =>
  n.position.x >= lane.position.x &&
  n.position.x + NODE_WIDTH[n.type] <= lane.position.x + (lane.width ?? 0) &&
  n.position.y >= lane.position.y &&
  n.position.y + (n.height ?? 0) <= lane.position.y + (lane.height ?? 0);

describe("layoutLanes", () => {
  it("puts each router and instance in its host's lane, hosts in name order, the unknown last", () => {
    const { nodes, lanes } = placed(["compute-10", "compute-2", null]);
    expect(lanes.map((l) => l.data.host)).toEqual(["compute-2", "compute-10", null]);
    for (const n of nodes) {
      if (n.type !== "router" && n.type !== "instance") continue;
      const lane = lanes.find((l) => l.data.host === n.data.host);
      if (!lane) throw new Error(`no lane for ${n.data.host}`);
      expect(inside(n, lane)).toBe(true);
      for (const other of lanes.filter((l) => l !== lane)) expect(inside(n, other)).toBe(false);
    }
    expect(lanes.map((l) => l.data.routers + l.data.instances)).toEqual([11, 12, 11]);
    // Lanes below the networks, one under the other.
    const networksBottom = Math.max(
      ...nodes.filter((n) => n.type === "network").map((n) => n.position.y + (n.height ?? 0)),
    );
    expect(lanes[0]?.position.y).toBeGreaterThan(networksBottom);
  });

  it("overlaps nothing", () => {
    const { nodes } = placed(["a", "b"]);
    for (const [i, a] of nodes.entries()) {
      for (const b of nodes.slice(i + 1)) {
        const apart =
          a.position.x + NODE_WIDTH[a.type] <= b.position.x ||
          b.position.x + NODE_WIDTH[b.type] <= a.position.x ||
          a.position.y + (a.height ?? 0) <= b.position.y ||
          b.position.y + (b.height ?? 0) <= a.position.y;
        expect(apart, `${a.id} and ${b.id}`).toBe(true);
      }
    }
  });

  it("takes an instance's host from its binding when it names no host of its own", () => {
    const topology = generateTopology(1, 1, 2);
    const [a, b] = topology.instances;
    if (!a || !b) throw new Error("expected two instances");
    a.binding = { host: "compute-7", bound: true };
    b.binding = { host: "", bound: true };
    const hosts = buildGraph(topology).nodes.flatMap((n) => (n.type === "instance" ? [n.data.host] : []));
    expect(hosts).toEqual(["compute-7", null]);
  });
});
