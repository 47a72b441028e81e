// The topology grouped by host ("Group by host"): the networks on top (they span hosts: VXLAN, a DHCP port
// anywhere), then one lane per host, labelled with its name, holding the routers whose namespaces live there and
// the instances scheduled there, each network's instances together. Rows wrap at a width chosen so that the whole
// is about as wide as tall. Hosts are for admins: a member's topology names none, so all of theirs would be in
// one "host not known" lane (the page offers the grouping to admins only).
import type { Node } from "@xyflow/react";
import { append, NODE_WIDTH, nodeHeight, type TopologyEdge, type TopologyNode } from "./graph";
import { PADDING, sizedNode } from "./layout";

export type LaneData = { host: string | null; routers: number; instances: number };
export type LaneNode = Node<LaneData, "lane">;

const GAP = 32;
const LAYER_GAP = 110;
/** Room for the lane's label above its first row. */
const LANE_HEAD = 44;
const LANE_PAD = 24;
const MIN_WIDTH = 1_600;

/** What a lane is labelled with. */
export const laneLabel = (host: string | null) => host ?? "host not known";

const numeric = new Intl.Collator("en", { numeric: true });

/** Where a router's or an instance's lane is; null: not known (not scheduled, not bound, or hidden). */
function hostOf(n: TopologyNode): string | null {
  return n.type === "router" || n.type === "instance" ? n.data.host : null;
}

type Box = { node: TopologyNode; width: number; height: number };

/** Left to right in rows no wider than `width`, from `top`; returns the bottom of the last row. */
function packRows(
  boxes: readonly Box[],
  top: number,
  width: number,
  at: Map<string, { x: number; y: number }>,
) {
  let x = PADDING;
  let y = top;
  let rowHeight = 0;
  for (const b of boxes) {
    if (x > PADDING && x + b.width > PADDING + width) {
      x = PADDING;
      y += rowHeight + GAP;
      rowHeight = 0;
    }
    at.set(b.node.id, { x, y });
    x += b.width + GAP;
    rowHeight = Math.max(rowHeight, b.height);
  }
  return boxes.length === 0 ? top : y + rowHeight;
}

export function layoutLanes(
  nodes: readonly TopologyNode[],
  edges: readonly TopologyEdge[],
): { nodes: TopologyNode[]; lanes: LaneNode[] } {
  const box = (n: TopologyNode): Box => ({ node: n, width: NODE_WIDTH[n.type], height: nodeHeight(n) });
  const shown = nodes.filter((n) => !n.hidden);
  const area = shown.reduce((sum, n) => sum + (NODE_WIDTH[n.type] + GAP) * (nodeHeight(n) + GAP), 0);
  const width = Math.max(MIN_WIDTH, Math.round(Math.sqrt(area)));

  const at = new Map<string, { x: number; y: number }>();
  let y = PADDING;
  for (const kind of ["external", "network"] as const) {
    const row = shown.filter((n) => n.type === kind).map(box);
    if (row.length > 0) y = packRows(row, y, width, at) + LAYER_GAP;
  }

  // Instances grouped by their network, in the networks' order (names), then by name.
  const networkRank = new Map(nodes.filter((n) => n.type === "network").map((n, i) => [n.id, i]));
  const networkOf = new Map<string, string>();
  for (const e of edges) if (e.data?.kind === "instance") networkOf.set(e.target, e.source);
  const rank = (n: TopologyNode) => networkRank.get(networkOf.get(n.id) ?? "") ?? Number.POSITIVE_INFINITY;
  const byHost = new Map<string | null, TopologyNode[]>();
  for (const n of shown) if (n.type === "router" || n.type === "instance") append(byHost, hostOf(n), n);
  const hosts = [...byHost.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : numeric.compare(a, b)));

  const lanes: LaneNode[] = [];
  for (const host of hosts) {
    const members = byHost.get(host) ?? [];
    const routers = members.filter((n) => n.type === "router");
    const instances = members.filter((n) => n.type === "instance").sort((a, b) => rank(a) - rank(b));
    const top = y;
    let bottom = top + LANE_HEAD;
    if (routers.length > 0) bottom = packRows(routers.map(box), bottom, width, at) + GAP;
    if (instances.length > 0) bottom = packRows(instances.map(box), bottom, width, at) + GAP;
    lanes.push({
      id: `lane:${host ?? ""}`,
      type: "lane",
      position: { x: PADDING - LANE_PAD, y: top - LANE_PAD },
      width: width + 2 * LANE_PAD,
      height: bottom - top + LANE_PAD,
      zIndex: -1,
      selectable: false,
      focusable: false,
      draggable: false,
      ariaLabel: host === null ? "Host not known" : `Host ${host}`,
      data: { host, routers: routers.length, instances: instances.length },
    });
    y = bottom + LANE_PAD + GAP;
  }
  // Hidden nodes (a collapsed network's instances) are never drawn: any place will do.
  return { nodes: nodes.map((n) => sizedNode(n, at.get(n.id) ?? { x: PADDING, y: PADDING })), lanes };
}
