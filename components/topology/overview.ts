// The zoomed-out picture. Below DETAIL_ZOOM nothing on a card can be read, and what costs while panning is the
// number of things the browser paints: so each network's instances become one node (a block of plain boxes at
// the instances' own places, coloured by state) instead of one React Flow node and one labelled edge each, and
// the remaining edges drop their labels. Zooming in brings back the real nodes at the same places.
import type { Node, ReactFlowState } from "@xyflow/react";
import { append, NODE_WIDTH, type TopologyEdge, type TopologyNode } from "./graph";

/** Below this zoom (a 14 px name is under 5 px), nodes draw as plain shapes. */
const DETAIL_ZOOM = 0.35;
export const detailedSelector = (s: ReactFlowState) => s.transform[2] >= DETAIL_ZOOM;

export type InstanceCell = {
  id: string;
  name: string;
  status: string;
  adminStateUp: boolean;
  /** Relative to the block. */
  x: number;
  y: number;
  height: number;
};
export type InstanceBlockData = {
  networkId: string;
  cells: InstanceCell[];
  /** The selected instance, when it is one of these. */
  selected?: string | null;
};
export type InstanceBlockNode = Node<InstanceBlockData, "instances">;

export const blockId = (networkId: string) => `instances:${networkId}`;

/** One block per network with instances in view (not collapsed), covering exactly its instance grid. */
export function instanceBlocks(
  nodes: readonly TopologyNode[],
  edges: readonly TopologyEdge[],
): InstanceBlockNode[] {
  const networkOf = new Map<string, string>();
  for (const e of edges) if (e.data?.kind === "instance" && !e.hidden) networkOf.set(e.target, e.source);
  const groups = new Map<string, TopologyNode[]>();
  for (const n of nodes) {
    const net = n.type === "instance" && !n.hidden ? networkOf.get(n.id) : undefined;
    if (net !== undefined) append(groups, net, n);
  }
  return [...groups].map(([networkId, members]) => {
    const left = Math.min(...members.map((m) => m.position.x));
    const top = Math.min(...members.map((m) => m.position.y));
    const right = Math.max(...members.map((m) => m.position.x + NODE_WIDTH.instance));
    const bottom = Math.max(...members.map((m) => m.position.y + (m.height ?? 0)));
    return {
      id: blockId(networkId),
      type: "instances",
      position: { x: left, y: top },
      width: right - left,
      height: bottom - top,
      data: {
        networkId,
        cells: members.map((m) => ({
          id: m.id,
          name: m.data.name,
          status: m.data.status,
          adminStateUp: m.data.adminStateUp,
          x: m.position.x - left,
          y: m.position.y - top,
          height: m.height ?? 0,
        })),
      },
    };
  });
}

const unlabelled = new WeakMap<TopologyEdge, TopologyEdge>();

/**
 * The edges of the zoomed-out picture: no instance edges (the blocks stand for them) and no labels (unreadable,
 * and each one is measured when it mounts). Cached per edge object, so unchanged edges stay identical.
 */
export function overviewEdges(edges: readonly TopologyEdge[]): TopologyEdge[] {
  return edges
    .filter((e) => e.data?.kind !== "instance")
    .map((e) => {
      let lite = unlabelled.get(e);
      if (!lite) {
        const { label: _label, ...rest } = e;
        lite = rest;
        unlabelled.set(e, lite);
      }
      return lite;
    });
}
