// Layout: a pure, synchronous function from graph data to positions, built on what we know of the domain instead
// of a general graph-layout engine. The picture has fixed layers — external networks, routers, tenant networks —
// and every instance hangs in a grid under its network. Only the order within each layer is a real choice: model
// order (names) first, then barycenter sweeps, keeping the order with the fewest crossings (none for the usual
// tree of external -> routers -> networks). x comes from the networks' row: networks are packed side by side and
// each router is centred over its networks, each external network over its routers, as close as the spacing lets
// them (least squares under order and spacing: pool-adjacent-violators). 2,221 nodes take a few milliseconds
// (bench:ui prints it), where elkjs took seconds on the skeleton alone; an instance added later moves nothing else.
import { type NodeHandle, Position } from "@xyflow/react";
import {
  append,
  NODE_ENDS,
  NODE_WIDTH,
  type NodeKind,
  nodeHeight,
  type TopologyEdge,
  type TopologyNode,
} from "./graph";

type SkeletonKind = Exclude<NodeKind, "instance">;
const LAYER: Record<SkeletonKind, number> = { external: 0, router: 1, network: 2 };
const LAYERS = 3;

export const PADDING = 20;
/** Between neighbours in a layer, and between layers. */
const NODE_GAP = 48;
const LAYER_GAP = 110;
/** Barycenter sweeps (each one up and one down) at most; a tree needs none after the first down sweep. */
const SWEEPS = 4;

const GRID_COLUMNS = 2;
const GRID_GAP_X = 16;
/** Between a network and its instance grid (the zoomed-out block draws its line across it). */
export const GRID_TOP = 56;
/** One row fits an instance with two floating IPs; fixed so a new floating IP does not shift the rows below. */
const GRID_ROW = 100;
const GRID_WIDTH = GRID_COLUMNS * NODE_WIDTH.instance + (GRID_COLUMNS - 1) * GRID_GAP_X;
/** Every network's box is this wide whether or not it has instances, so a first instance moves nothing. */
const GROUP_WIDTH = Math.max(NODE_WIDTH.network, GRID_WIDTH);

/** The width a skeleton node takes in its layer: networks reserve room for their instance grid. */
function boxWidth(kind: SkeletonKind): number {
  return kind === "router" ? NODE_WIDTH.router : Math.max(GROUP_WIDTH, NODE_WIDTH[kind]);
}

function gridHeight(count: number): number {
  return count === 0 ? 0 : GRID_TOP + Math.ceil(count / GRID_COLUMNS) * GRID_ROW;
}

/** Where edges meet a node: React Flow draws edges from these before it has measured the node's DOM. */
function handlesOf(kind: NodeKind, width: number, height: number): NodeHandle[] {
  // As nodes.tsx draws them, with React Flow's stylesheet: 6 px handles centred on the top and bottom edge.
  const at = (type: "source" | "target", position: Position, y: number): NodeHandle => ({
    type,
    position,
    x: width / 2 - 3,
    y,
    width: 6,
    height: 6,
  });
  return [
    ...(NODE_ENDS[kind].target ? [at("target", Position.Top, -3)] : []),
    ...(NODE_ENDS[kind].source ? [at("source", Position.Bottom, height - 3)] : []),
  ];
}

/** Crossings between two adjacent layers: inversions among the edges sorted by their upper end. */
function crossings(upper: readonly string[], lower: readonly string[], links: Links): number {
  const lowerPos = new Map(lower.map((id, i) => [id, i]));
  const ends: [number, number][] = [];
  upper.forEach((id, i) => {
    for (const other of links.get(id) ?? []) {
      const j = lowerPos.get(other);
      if (j !== undefined) ends.push([i, j]);
    }
  });
  ends.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  // Fenwick tree over lower positions: for each edge, count earlier edges that end further right.
  const tree = new Array<number>(lower.length + 1).fill(0);
  let count = 0;
  ends.forEach(([, j], seen) => {
    let below = 0;
    for (let k = j + 1; k > 0; k -= k & -k) below += tree[k] ?? 0;
    count += seen - below;
    for (let k = j + 1; k <= lower.length; k += k & -k) tree[k] = (tree[k] ?? 0) + 1;
  });
  return count;
}

type Links = ReadonlyMap<string, readonly string[]>;

/** `layer` sorted by the mean position of each node's links in `fixed`; unlinked nodes last, in their order. */
function byBarycenter(layer: readonly string[], fixed: readonly string[], links: Links): string[] {
  const pos = new Map(fixed.map((id, i) => [id, i]));
  const center = new Map<string, number>();
  for (const id of layer) {
    const at = (links.get(id) ?? []).flatMap((other) => pos.get(other) ?? []);
    center.set(id, at.length === 0 ? Number.POSITIVE_INFINITY : at.reduce((a, b) => a + b, 0) / at.length);
  }
  // Array sort is stable: ties keep the current order, which starts as model order (names).
  return [...layer].sort((a, b) => (center.get(a) ?? 0) - (center.get(b) ?? 0));
}

/** The order within each layer, top to bottom. Starts from model order; returns the best order seen. */
export function orderLayers(layers: readonly (readonly string[])[], links: Links): string[][] {
  const total = (o: string[][]) =>
    o.slice(1).reduce((sum, lower, i) => sum + crossings(o[i] ?? [], lower, links), 0);
  const sweep = (o: string[][], down: boolean) => {
    const next = [...o];
    if (down)
      for (let l = 1; l < next.length; l++) next[l] = byBarycenter(next[l] ?? [], next[l - 1] ?? [], links);
    else
      for (let l = next.length - 2; l >= 0; l--)
        next[l] = byBarycenter(next[l] ?? [], next[l + 1] ?? [], links);
    return next;
  };
  let order = sweep(
    layers.map((l) => [...l]),
    true,
  );
  let best = { order, crossings: total(order) };
  for (let i = 0; i < SWEEPS && best.crossings > 0; i++) {
    for (const down of [false, true]) {
      order = sweep(order, down);
      const c = total(order);
      if (c < best.crossings) best = { order, crossings: c };
    }
  }
  return best.order;
}

/**
 * Centres as close to `wanted` as order and spacing allow (least squares): with offsets o_i, the sum of the
 * minimum separations before i, y_i = x_i - o_i must be non-decreasing — isotonic regression, solved by pooling
 * adjacent violators.
 */
function spreadInOrder(wanted: readonly number[], widths: readonly number[]): number[] {
  const offsets: number[] = [];
  let offset = 0;
  widths.forEach((w, i) => {
    if (i > 0) offset += ((widths[i - 1] ?? 0) + w) / 2 + NODE_GAP;
    offsets.push(offset);
  });
  const blocks: { mean: number; size: number }[] = [];
  wanted.forEach((x, i) => {
    let block = { mean: x - (offsets[i] ?? 0), size: 1 };
    for (let last = blocks.at(-1); last && last.mean >= block.mean; last = blocks.at(-1)) {
      blocks.pop();
      const size = last.size + block.size;
      block = { mean: (last.mean * last.size + block.mean * block.size) / size, size };
    }
    blocks.push(block);
  });
  const y = blocks.flatMap((b) => new Array<number>(b.size).fill(b.mean));
  return y.map((v, i) => v + (offsets[i] ?? 0));
}

/** A picture wider than this is wrapped into bands (about 20 networks side by side). */
const WRAP_FROM = 10_000;
const BAND_GAP = 2 * LAYER_GAP;

/**
 * A wide picture (1,000 networks side by side are ~490,000 px) is cut along x into k bands stacked one under the
 * other, k chosen so that the whole is about as wide as tall: k ≈ sqrt(width / band height), the band's
 * height being that of the rows under the external networks (with their instances, so opening networks may
 * re-wrap). Each router goes to
 * the band its centre falls in, each network to its first router's band (a router stays over its networks), an
 * unlinked network by its own centre, and instances with their network; a band keeps the order and spacing of the
 * row it was cut from. External networks stay in the top row, centred over the bands. Smaller pictures are left
 * as they are. In place.
 */
function wrapWide(
  place: Map<string, { x: number; y: number }>,
  order: readonly (readonly string[])[],
  byId: ReadonlyMap<string, TopologyNode>,
  linked: Links,
  members: ReadonlyMap<string, readonly TopologyNode[]>,
): void {
  const widthOf = (id: string) => {
    const n = byId.get(id);
    return n ? NODE_WIDTH[n.type] : 0;
  };
  const skeleton = order.flat();
  const right = Math.max(0, ...skeleton.map((id) => (place.get(id)?.x ?? 0) + widthOf(id)));
  const width = right - PADDING;
  if (width <= WRAP_FROM) return;
  // The rows under the external networks, instances included: what each band repeats.
  const rows = [...(order[LAYER.router] ?? []), ...(order[LAYER.network] ?? [])];
  let rowsTop = Number.POSITIVE_INFINITY;
  let rowsBottom = 0;
  for (const n of rows.flatMap((id) => [byId.get(id) ?? [], ...(members.get(id) ?? [])].flat())) {
    const at = place.get(n.id);
    if (!at) continue;
    rowsTop = Math.min(rowsTop, at.y);
    rowsBottom = Math.max(rowsBottom, at.y + nodeHeight(n));
  }
  const span = rowsBottom - rowsTop + BAND_GAP;
  const bands = Math.max(1, Math.round(Math.sqrt(width / span)));
  const bandWidth = width / bands;
  const centreBand = (id: string) => {
    const x = (place.get(id)?.x ?? 0) + widthOf(id) / 2 - PADDING;
    return Math.min(bands - 1, Math.max(0, Math.floor(x / bandWidth)));
  };
  const band = new Map<string, number>();
  for (const id of order[LAYER.router] ?? []) band.set(id, centreBand(id));
  for (const id of order[LAYER.network] ?? []) {
    const router = (linked.get(id) ?? []).find((other) => band.has(other));
    band.set(id, router === undefined ? centreBand(id) : (band.get(router) ?? 0));
  }
  const lefts = new Array<number>(bands).fill(Number.POSITIVE_INFINITY);
  const rights = new Array<number>(bands).fill(PADDING);
  const each = (visit: (id: string, b: number, node: TopologyNode) => void) => {
    for (const [id, b] of band) {
      const n = byId.get(id);
      if (!n) continue;
      visit(id, b, n);
      for (const m of members.get(id) ?? []) visit(m.id, b, m);
    }
  };
  each((id, b, n) => {
    const at = place.get(id);
    if (!at) return;
    lefts[b] = Math.min(lefts[b] ?? 0, at.x);
    rights[b] = Math.max(rights[b] ?? 0, at.x + NODE_WIDTH[n.type]);
  });
  each((id, b) => {
    const at = place.get(id);
    if (at) place.set(id, { x: at.x - (lefts[b] ?? 0) + PADDING, y: at.y + b * span });
  });
  // The external networks' row, with their own instances, centred over the widest band.
  const wrapped = Math.max(...rights.map((r, b) => r - (lefts[b] ?? 0)));
  const top = order[LAYER.external] ?? [];
  const topIds = top.flatMap((id) => [id, ...(members.get(id) ?? []).map((m) => m.id)]);
  const topLeft = Math.min(...top.map((id) => place.get(id)?.x ?? 0));
  const topRight = Math.max(...top.map((id) => (place.get(id)?.x ?? 0) + widthOf(id)));
  const shift = PADDING + (wrapped - (topRight - topLeft)) / 2 - topLeft;
  for (const id of topIds) {
    const at = place.get(id);
    if (at) place.set(id, { x: at.x + shift, y: at.y });
  }
}

/**
 * Gives every node its position, size and handles. Skeleton nodes are centred in their box, top-aligned in
 * their layer; instances fill a grid of GRID_COLUMNS under their network, in name order.
 */
export function layoutGraph(nodes: readonly TopologyNode[], edges: readonly TopologyEdge[]): TopologyNode[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const networkOf = new Map<string, string>();
  const linked = new Map<string, string[]>();
  for (const e of edges) {
    if (e.data?.kind === "instance") {
      networkOf.set(e.target, e.source);
      continue;
    }
    const a = byId.get(e.source);
    const b = byId.get(e.target);
    if (!a || !b || a.type === "instance" || b.type === "instance") continue;
    append(linked, a.id, b.id);
    append(linked, b.id, a.id);
  }
  const members = new Map<string, TopologyNode[]>();
  for (const n of nodes) {
    const net = n.type === "instance" ? networkOf.get(n.id) : undefined;
    if (net !== undefined && byId.has(net)) append(members, net, n);
  }

  const layers: string[][] = Array.from({ length: LAYERS }, () => []);
  for (const n of nodes) if (n.type !== "instance") layers[LAYER[n.type]]?.push(n.id);
  const order = orderLayers(layers, linked);
  const kindOf = (id: string) => byId.get(id)?.type as SkeletonKind;

  // x: the bottom row packed, each row above centred over what it links to below.
  const center = new Map<string, number>();
  for (let l = LAYERS - 1; l >= 0; l--) {
    const row = order[l] ?? [];
    const widths = row.map((id) => boxWidth(kindOf(id)));
    let previous = Number.NaN;
    const wanted = row.map((id, i) => {
      const below = (linked.get(id) ?? []).flatMap((other) => center.get(other) ?? []);
      const packed = Number.isNaN(previous)
        ? 0
        : previous + ((widths[i - 1] ?? 0) + (widths[i] ?? 0)) / 2 + NODE_GAP;
      previous = below.length > 0 ? below.reduce((a, b) => a + b, 0) / below.length : packed;
      return previous;
    });
    spreadInOrder(wanted, widths).forEach((x, i) => {
      center.set(row[i] ?? "", x);
    });
  }
  const boxLefts = order.flat().map((id) => (center.get(id) ?? 0) - boxWidth(kindOf(id)) / 2);
  const left = boxLefts.length > 0 ? Math.min(...boxLefts) : 0;

  // y: each non-empty layer below the tallest node of the one above (an external network's instances included).
  const top: number[] = [];
  let y = PADDING;
  order.forEach((row, l) => {
    top[l] = y;
    if (row.length === 0) return;
    const tallest = Math.max(
      ...row.map((id) => {
        const n = byId.get(id);
        if (!n) return 0;
        return nodeHeight(n) + (n.type === "external" ? gridHeight(members.get(id)?.length ?? 0) : 0);
      }),
    );
    y += tallest + LAYER_GAP;
  });

  const place = new Map<string, { x: number; y: number }>();
  order.forEach((row, l) => {
    for (const id of row) {
      const n = byId.get(id);
      if (!n || n.type === "instance") continue;
      const boxLeft = (center.get(id) ?? 0) - boxWidth(n.type) / 2 - left + PADDING;
      const nodeTop = top[l] ?? 0;
      place.set(id, { x: boxLeft + (boxWidth(n.type) - NODE_WIDTH[n.type]) / 2, y: nodeTop });
      const gridLeft = boxLeft + (boxWidth(n.type) - GRID_WIDTH) / 2;
      const gridTop = nodeTop + nodeHeight(n) + GRID_TOP;
      (members.get(id) ?? []).forEach((m, i) => {
        place.set(m.id, {
          x: gridLeft + (i % GRID_COLUMNS) * (NODE_WIDTH.instance + GRID_GAP_X),
          y: gridTop + Math.floor(i / GRID_COLUMNS) * GRID_ROW,
        });
      });
    }
  });

  wrapWide(place, order, byId, linked, members);

  // Instances on no network in view (filtered out by project) get a row of their own below everything.
  const bottom =
    nodes.reduce((max, n) => Math.max(max, (place.get(n.id)?.y ?? 0) + nodeHeight(n)), y) + LAYER_GAP;
  let orphan = 0;
  return nodes.map((n) => {
    const position = place.get(n.id) ?? {
      x: PADDING + orphan++ * (NODE_WIDTH.instance + GRID_GAP_X),
      y: bottom,
    };
    return sizedNode(n, position);
  });
}

/** The node at `position`, with its size and handles. */
export function sizedNode(n: TopologyNode, position: { x: number; y: number }): TopologyNode {
  const width = NODE_WIDTH[n.type];
  const height = nodeHeight(n);
  return { ...n, position, width, height, handles: handlesOf(n.type, width, height) } as TopologyNode;
}
