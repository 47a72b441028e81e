// Layout: a pure async function from graph data to positions. It uses what we know of the domain instead of
// asking elk to solve the whole graph: elk (layered, DOWN) places only the skeleton — external networks,
// routers and networks, each kind pinned to its own layer by partitions — and instances are set out in a grid
// under their network by arithmetic. A few hundred skeleton nodes lay out in well under a second, where elk on
// every instance would take seconds; and adding an instance never moves anything else.
import type { ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api";
import { NODE_WIDTH, type NodeKind, nodeHeight, type TopologyEdge, type TopologyNode } from "./graph";

/** Runs elk on a graph: in a web worker in the browser (see elk-runner.ts), in-thread in Node. */
export type ElkRun = (graph: ElkNode) => Promise<ElkNode>;
export type Positions = ReadonlyMap<string, { x: number; y: number }>;

const LAYER: Record<Exclude<NodeKind, "instance">, number> = { external: 0, router: 1, network: 2 };
const GRID_COLUMNS = 2;
const GRID_GAP_X = 16;
const GRID_TOP = 56;
/** One row fits an instance with two floating IPs; fixed so a new floating IP does not shift the rows below. */
const GRID_ROW = 100;
/** Every network group is this wide whether or not it has instances, so a first instance moves nothing. */
const GROUP_WIDTH = Math.max(NODE_WIDTH.network, GRID_COLUMNS * NODE_WIDTH.instance + GRID_GAP_X);

export const layoutOptions: Record<string, string> = {
  "elk.algorithm": "layered",
  "elk.direction": "DOWN",
  "elk.partitioning.activate": "true",
  // One layered graph, not one per connected component: partitions must line up across the whole picture
  // (an unattached network still belongs in the networks' row).
  "elk.separateConnectedComponents": "false",
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  "elk.layered.crossingMinimization.forceNodeModelOrder": "false",
  "elk.spacing.nodeNode": "48",
  "elk.layered.spacing.nodeNodeBetweenLayers": "110",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  "elk.padding": "[top=20,left=20,bottom=20,right=20]",
};

type Instance = Extract<TopologyNode, { type: "instance" }>;

function instancesByNetwork(nodes: readonly TopologyNode[], edges: readonly TopologyEdge[]) {
  const networkOf = new Map<string, string>();
  for (const e of edges) if (e.data?.kind === "instance") networkOf.set(e.target, e.source);
  const groups = new Map<string, Instance[]>();
  for (const n of nodes) {
    if (n.type !== "instance") continue;
    const net = networkOf.get(n.id) ?? "";
    groups.set(net, [...(groups.get(net) ?? []), n]);
  }
  return groups;
}

function gridHeight(count: number): number {
  return count === 0 ? 0 : GRID_TOP + Math.ceil(count / GRID_COLUMNS) * GRID_ROW;
}

/** The elk input for the skeleton. Its JSON is also the cache key: same skeleton, same positions. */
export function skeletonGraph(nodes: readonly TopologyNode[], edges: readonly TopologyEdge[]): ElkNode {
  const groups = instancesByNetwork(nodes, edges);
  const children: ElkNode[] = [];
  for (const n of nodes) {
    if (n.type === "instance") continue;
    const isNetworkish = n.type === "network" || n.type === "external";
    // Tenant networks are the last layer: their instances hang below without pushing anything. An external
    // network's instances (rare: a lab probe on the public network) must push the routers' row down.
    const extra = n.type === "external" ? gridHeight(groups.get(n.id)?.length ?? 0) : 0;
    children.push({
      id: n.id,
      width: isNetworkish ? Math.max(GROUP_WIDTH, NODE_WIDTH[n.type]) : NODE_WIDTH[n.type],
      height: nodeHeight(n) + extra,
      layoutOptions: { "elk.partitioning.partition": String(LAYER[n.type]) },
    });
  }
  const ids = new Set(children.map((c) => c.id));
  const elkEdges: ElkExtendedEdge[] = edges
    .filter((e) => e.data?.kind !== "instance" && ids.has(e.source) && ids.has(e.target))
    .map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] }));
  // elk's crossing minimisation is most of its time; the model order already gives a good start, so big
  // graphs take one sweep (measured: 221 skeleton nodes, 656 ms -> 365 ms) and small ones the thorough default.
  const options =
    children.length > 100 ? { ...layoutOptions, "elk.layered.thoroughness": "1" } : layoutOptions;
  return { id: "root", layoutOptions: options, children, edges: elkEdges };
}

export async function layoutSkeleton(graph: ElkNode, run: ElkRun): Promise<Positions> {
  const result = await run(graph);
  const positions = new Map<string, { x: number; y: number }>();
  for (const c of result.children ?? []) positions.set(c.id, { x: c.x ?? 0, y: c.y ?? 0 });
  return positions;
}

/**
 * Gives every node its position: skeleton nodes centred in their elk box (top-aligned), instances in a grid
 * of GRID_COLUMNS under their network. Node objects whose position did not change are returned as they were.
 */
export function applyPositions(
  nodes: readonly TopologyNode[],
  edges: readonly TopologyEdge[],
  skeleton: Positions,
): TopologyNode[] {
  const groups = instancesByNetwork(nodes, edges);
  const place = new Map<string, { x: number; y: number }>();
  for (const n of nodes) {
    if (n.type === "instance") continue;
    const box = skeleton.get(n.id) ?? { x: 0, y: 0 };
    const boxWidth = n.type === "router" ? NODE_WIDTH.router : Math.max(GROUP_WIDTH, NODE_WIDTH[n.type]);
    const x = box.x + (boxWidth - NODE_WIDTH[n.type]) / 2;
    place.set(n.id, { x, y: box.y });
    const members = groups.get(n.id) ?? [];
    const gridWidth = GRID_COLUMNS * NODE_WIDTH.instance + (GRID_COLUMNS - 1) * GRID_GAP_X;
    const left = box.x + (boxWidth - gridWidth) / 2;
    const top = box.y + nodeHeight(n) + GRID_TOP;
    members.forEach((m, i) => {
      place.set(m.id, {
        x: left + (i % GRID_COLUMNS) * (NODE_WIDTH.instance + GRID_GAP_X),
        y: top + Math.floor(i / GRID_COLUMNS) * GRID_ROW,
      });
    });
  }
  // Instances on no known network (filtered out by project) go to a row of their own below everything.
  const bottom = Math.max(0, ...[...place.values()].map((p) => p.y)) + 400;
  let orphan = 0;
  return nodes.map((n) => {
    const p = place.get(n.id) ?? { x: orphan++ * (NODE_WIDTH.instance + GRID_GAP_X), y: bottom };
    if (n.position.x === p.x && n.position.y === p.y) return n;
    return { ...n, position: p, width: NODE_WIDTH[n.type], height: nodeHeight(n) } as TopologyNode;
  });
}

/** The whole layout in one call, for tests and the bench: graph in, positioned nodes out. */
export async function layoutTopology(
  nodes: readonly TopologyNode[],
  edges: readonly TopologyEdge[],
  run: ElkRun,
): Promise<TopologyNode[]> {
  const skeleton = await layoutSkeleton(skeletonGraph(nodes, edges), run);
  return applyPositions(nodes, edges, skeleton);
}
