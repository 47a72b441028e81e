import { describe, expect, it } from "vitest";
import { generateTopology } from "./generate";
import { buildGraph, NODE_WIDTH, type TopologyNode } from "./graph";
import { layoutGraph, orderLayers } from "./layout";
import type { Topology } from "./model";
import { blockId, instanceBlocks, overviewEdges } from "./overview";
import { reuseUnchanged } from "./stable";

function laidOut(topology: Topology, collapsed: ReadonlySet<string> = new Set()) {
  const graph = buildGraph(topology, collapsed);
  const nodes = layoutGraph(graph.nodes, graph.edges);
  return { nodes, edges: graph.edges, at: new Map(nodes.map((n) => [n.id, n])) };
}

const centre = (n: TopologyNode | undefined) => (n ? n.position.x + NODE_WIDTH[n.type] / 2 : Number.NaN);

/** Pairs of edges between the same two layers whose ends are in opposite order. */
function crossingsOf(pairs: [number, number][]): number {
  let count = 0;
  for (const [i, a] of pairs.entries()) {
    for (const b of pairs.slice(i + 1)) if ((a[0] - b[0]) * (a[1] - b[1]) < 0) count++;
  }
  return count;
}

describe("layoutGraph", () => {
  it("puts external networks on top, then routers, tenant networks, and instances under their network", () => {
    const { nodes, edges, at } = laidOut(generateTopology(3, 7, 20));
    const top = (type: TopologyNode["type"]) => nodes.filter((n) => n.type === type).map((n) => n.position.y);
    expect(Math.max(...top("external"))).toBeLessThan(Math.min(...top("router")));
    expect(Math.max(...top("router"))).toBeLessThan(Math.min(...top("network")));
    for (const e of edges.filter((x) => x.data?.kind === "instance")) {
      const net = at.get(e.source);
      const vm = at.get(e.target);
      if (!net || !vm) throw new Error("missing node");
      expect(vm.position.y).toBeGreaterThan(net.position.y + (net.height ?? 0));
      expect(Math.abs(centre(vm) - centre(net))).toBeLessThan(NODE_WIDTH.instance);
    }
  });

  it("draws a tree of external -> routers -> networks without crossings, each router over its networks", () => {
    const { edges, at } = laidOut(generateTopology(4, 13, 0));
    const interfaces = edges.filter((e) => e.data?.kind === "interface");
    const pairs = interfaces.map((e): [number, number] => [
      centre(at.get(e.source)),
      centre(at.get(e.target)),
    ]);
    expect(crossingsOf(pairs)).toBe(0);
    for (const router of new Set(interfaces.map((e) => e.source))) {
      const links = interfaces.filter((e) => e.source === router);
      const mean = links.reduce((sum, e) => sum + centre(at.get(e.target)), 0) / links.length;
      expect(centre(at.get(router))).toBeCloseTo(mean, 5);
    }
  });

  it("keeps nodes of one layer apart and every node sized, with handles for its edges", () => {
    const { nodes } = laidOut(generateTopology(6, 20, 60));
    for (const type of ["external", "router", "network"] as const) {
      const row = nodes.filter((n) => n.type === type).sort((a, b) => a.position.x - b.position.x);
      for (const [i, n] of row.slice(1).entries()) {
        const before = row[i];
        if (!before) continue;
        expect(n.position.x).toBeGreaterThanOrEqual(before.position.x + NODE_WIDTH[type]);
      }
    }
    for (const n of nodes) {
      expect(n.width).toBe(NODE_WIDTH[n.type]);
      expect(n.height).toBeGreaterThan(0);
      expect(n.handles?.length).toBeGreaterThan(0);
    }
  });

  it("puts a network shared by two routers between their other networks", () => {
    const topology = generateTopology(2, 6, 0);
    const [r0, r1] = topology.routers;
    const shared = topology.networks.find((n) => n.name === "net-0");
    if (!r0 || !r1 || !shared) throw new Error("generator changed");
    // net-0 hangs off router-0; give router-1 an interface on it too.
    r1.interfaces.push({ ...r0.interfaces[0], port_id: "shared-port" } as (typeof r1.interfaces)[number]);
    const { at, edges } = laidOut(topology);
    const xs = (router: string) =>
      edges
        .filter((e) => e.source === router && e.target !== shared.id && e.data?.kind === "interface")
        .map((e) => centre(at.get(e.target)));
    const sharedX = centre(at.get(shared.id));
    const [left, right] = Math.max(...xs(r0.id)) < Math.min(...xs(r1.id)) ? [r0, r1] : [r1, r0];
    expect(sharedX).toBeGreaterThan(Math.max(...xs(left.id)));
    expect(sharedX).toBeLessThan(Math.min(...xs(right.id)));
  });

  it("moves nothing else when an instance is added", () => {
    const topology = generateTopology(3, 9, 27);
    const before = laidOut(topology).at;
    const more = generateTopology(3, 9, 28);
    const after = laidOut(more).at;
    const added = more.instances.at(-1)?.id;
    for (const [id, n] of before) expect(after.get(id)?.position).toEqual(n.position);
    expect(added && after.has(added)).toBe(true);
  });

  it("hands back, after a live update, every node object the update did not change", () => {
    const before = laidOut(generateTopology(3, 9, 27)).nodes;
    const more = generateTopology(3, 9, 28);
    const after = reuseUnchanged(before, laidOut(more).nodes);
    const added = more.instances.at(-1);
    const changed = after.filter((n, i) => n !== before[i]).map((n) => n.id);
    // The new instance, and its network (its instance count).
    expect(changed.sort()).toEqual([added?.id, added?.port.network_id].sort());
  });

  it("keeps collapsed instances at their grid place, hidden", () => {
    const topology = generateTopology(1, 2, 4);
    const open = laidOut(topology).at;
    const closed = laidOut(topology, new Set(topology.networks.map((n) => n.id))).at;
    for (const i of topology.instances) {
      expect(closed.get(i.id)?.hidden).toBe(true);
      expect(closed.get(i.id)?.position).toEqual(open.get(i.id)?.position);
    }
  });
});

describe("orderLayers", () => {
  it("untangles a crossing that model order would draw", () => {
    const links = new Map([
      ["a", ["y"]],
      ["b", ["x"]],
      ["x", ["b"]],
      ["y", ["a"]],
    ]);
    const [upper, lower] = orderLayers(
      [
        ["a", "b"],
        ["x", "y"],
      ],
      links,
    );
    expect(upper).toEqual(["a", "b"]);
    expect(lower).toEqual(["y", "x"]);
  });
});

describe("overview", () => {
  it("draws each open network's instances as one block over their grid", () => {
    const topology = generateTopology(1, 3, 7);
    const closedNet = topology.networks[1]?.id ?? "";
    const { nodes, edges, at } = laidOut(topology, new Set([closedNet]));
    const blocks = instanceBlocks(nodes, edges);
    expect(blocks.map((b) => b.id)).not.toContain(blockId(closedNet));
    const cells = blocks.flatMap((b) => b.data.cells.map((c) => ({ b, c })));
    expect(cells).toHaveLength(nodes.filter((n) => n.type === "instance" && !n.hidden).length);
    for (const { b, c } of cells) {
      expect(b.position.x + c.x).toBe(at.get(c.id)?.position.x);
      expect(b.position.y + c.y).toBe(at.get(c.id)?.position.y);
    }
  });

  it("keeps the skeleton's edges, without labels, as the same objects while they do not change", () => {
    const { edges } = laidOut(generateTopology(2, 4, 8));
    const first = overviewEdges(edges);
    expect(first.every((e) => e.data?.kind !== "instance" && e.label === undefined)).toBe(true);
    const again = overviewEdges(edges);
    expect(again.every((e, i) => e === first[i])).toBe(true);
  });
});

describe("wrapping a wide picture", () => {
  const bounds = (nodes: readonly TopologyNode[]) => {
    const xs = nodes.flatMap((n) => [n.position.x, n.position.x + NODE_WIDTH[n.type]]);
    const ys = nodes.flatMap((n) => [n.position.y, n.position.y + (n.height ?? 0)]);
    return { width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
  };
  const overlaps = (nodes: readonly TopologyNode[]) => {
    const boxes = nodes.map((n) => ({
      n,
      right: n.position.x + NODE_WIDTH[n.type],
      bottom: n.position.y + (n.height ?? 0),
    }));
    boxes.sort((a, b) => a.n.position.x - b.n.position.x);
    let count = 0;
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        if (b.n.position.x >= a.right) break;
        if (b.n.position.y < a.bottom && a.n.position.y < b.bottom) count++;
      }
    }
    return count;
  };

  it("wraps 1,000 networks and 10,000 instances into bands about as wide as tall, nothing overlapping", () => {
    const { nodes, edges, at } = laidOut(generateTopology(100, 1000, 10_000));
    const { width, height } = bounds(nodes);
    // One row was ~490,000 px wide.
    expect(width).toBeLessThan(60_000);
    expect(width / height).toBeGreaterThan(0.5);
    expect(width / height).toBeLessThan(2);
    expect(overlaps(nodes)).toBe(0);
    // Each router is still above its networks and instances below their network.
    for (const e of edges) {
      const a = at.get(e.source);
      const b = at.get(e.target);
      if (!a || !b) throw new Error("missing node");
      if (e.data?.kind !== "gateway") expect(b.position.y).toBeGreaterThan(a.position.y);
      if (e.data?.kind === "interface") expect(Math.abs(centre(a) - centre(b))).toBeLessThan(width / 4);
    }
  });

  it("leaves a picture of a few networks in one row", () => {
    const { nodes } = laidOut(generateTopology(2, 6, 12));
    const networks = nodes.filter((n) => n.type === "network");
    expect(new Set(networks.map((n) => n.position.y)).size).toBe(1);
  });
});
