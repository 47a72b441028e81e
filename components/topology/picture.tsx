"use client";
// The far-out picture of a big graph: one React Flow node holding one <canvas> on which every node is drawn as its
// outlined shape (coloured by kind, or by state when not ACTIVE) and every link between routers and networks as a
// line. At that zoom a card is a few pixels and its name unreadable; what costs is how many things the browser
// paints and composites on every frame of a pan: thousands of DOM nodes there (10 fps at 1,101 nodes), one
// bitmap here, redrawn only when the zoom changes. A click picks the node under the pointer (canvas.tsx).
import { type Node, type NodeProps, useStore } from "@xyflow/react";
import { memo, useEffect, useRef } from "react";
import { type DisplayState, displayState, stateStyle } from "../ui/status";
import { NODE_WIDTH, type NodeKind, type TopologyEdge, type TopologyNode } from "./graph";
import { type LaneNode, laneLabel } from "./lanes";

/** Below this zoom a graph of VISIBLE_ONLY_FROM nodes or more is drawn as one picture (a card under ~30 px). */
export const PICTURE_ZOOM = 0.12;
export const pictureSelector = (s: { transform: [number, number, number] }) => s.transform[2] < PICTURE_ZOOM;

/** The bitmap's largest side in device pixels: past it the browser scales it up (only just below PICTURE_ZOOM). */
const MAX_SIDE = 4096;

type Shape = { x: number; y: number; w: number; h: number; kind: NodeKind; state: DisplayState; up: boolean };
export type PictureData = {
  shapes: Shape[];
  /** Router-network links: from the source's bottom centre to the target's top centre. */
  lines: [number, number, number, number][];
  instances: number;
  /** Grouped by host: each lane's box and its host's name. */
  lanes: { x: number; y: number; w: number; h: number; label: string }[];
};
export type PictureNode = Node<PictureData, "picture">;

export const PICTURE_ID = "picture";

/** The picture of every visible node and link, placed at the graph's bounds. */
export function pictureOf(
  nodes: readonly TopologyNode[],
  edges: readonly TopologyEdge[],
  laneNodes: readonly LaneNode[] = [],
): PictureNode {
  let left = Number.POSITIVE_INFINITY;
  let top = Number.POSITIVE_INFINITY;
  let right = Number.NEGATIVE_INFINITY;
  let bottom = Number.NEGATIVE_INFINITY;
  const byId = new Map<string, TopologyNode>();
  for (const n of nodes) {
    if (n.hidden) continue;
    byId.set(n.id, n);
    left = Math.min(left, n.position.x);
    top = Math.min(top, n.position.y);
    right = Math.max(right, n.position.x + NODE_WIDTH[n.type]);
    bottom = Math.max(bottom, n.position.y + (n.height ?? 0));
  }
  for (const l of laneNodes) {
    left = Math.min(left, l.position.x);
    top = Math.min(top, l.position.y);
    right = Math.max(right, l.position.x + (l.width ?? 0));
    bottom = Math.max(bottom, l.position.y + (l.height ?? 0));
  }
  if (byId.size === 0 && laneNodes.length === 0) left = top = right = bottom = 0;
  const lanes = laneNodes.map((l) => ({
    x: l.position.x - left,
    y: l.position.y - top,
    w: l.width ?? 0,
    h: l.height ?? 0,
    label: laneLabel(l.data.host),
  }));
  const shapes: Shape[] = [];
  let instances = 0;
  for (const n of byId.values()) {
    if (n.type === "instance") instances++;
    shapes.push({
      x: n.position.x - left,
      y: n.position.y - top,
      w: NODE_WIDTH[n.type],
      h: n.height ?? 0,
      kind: n.type,
      state: displayState(n.data.status, n.data.adminStateUp),
      up: n.data.adminStateUp,
    });
  }
  const lines: PictureData["lines"] = [];
  for (const e of edges) {
    const a = byId.get(e.source);
    const b = byId.get(e.target);
    if (!a || !b || e.hidden) continue;
    lines.push([
      a.position.x + NODE_WIDTH[a.type] / 2 - left,
      a.position.y + (a.height ?? 0) - top,
      b.position.x + NODE_WIDTH[b.type] / 2 - left,
      b.position.y - top,
    ]);
  }
  return {
    id: PICTURE_ID,
    type: "picture",
    position: { x: left, y: top },
    width: right - left,
    height: bottom - top,
    selectable: false,
    focusable: false,
    ariaLabel: `Topology picture: ${byId.size} nodes, zoom in to read them`,
    data: { shapes, lines, instances, lanes },
  };
}

const kindVar: Record<NodeKind, string> = {
  external: "--color-kind-external",
  router: "--color-kind-router",
  network: "--color-kind-network",
  instance: "--color-kind-instance",
};

/** A `var(--x)` colour as the canvas needs it: the computed value. */
function resolve(style: CSSStyleDeclaration, color: string): string {
  const name = /^var\((--[\w-]+)\)$/.exec(color)?.[1];
  return name === undefined ? color : style.getPropertyValue(name).trim() || "#888";
}

function draw(canvas: HTMLCanvasElement, data: PictureData, width: number, height: number, scale: number) {
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const style = getComputedStyle(canvas);
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  // Lanes first, behind everything: a dashed box and the host's name, large enough to read far out.
  ctx.strokeStyle = resolve(style, "var(--border)");
  ctx.fillStyle = resolve(style, "var(--fg)");
  ctx.lineWidth = Math.max(1 / scale, 4);
  ctx.setLineDash([24, 16]);
  const font = Math.max(14 / scale, 40);
  ctx.font = `600 ${font}px sans-serif`;
  for (const l of data.lanes) {
    ctx.strokeRect(l.x, l.y, l.w, l.h);
    ctx.fillText(l.label, l.x + 16, l.y - font / 3);
  }
  ctx.setLineDash([]);
  ctx.strokeStyle = resolve(style, "var(--muted)");
  ctx.globalAlpha = 0.6;
  ctx.lineWidth = Math.max(1 / scale, 2);
  ctx.beginPath();
  for (const [x1, y1, x2, y2] of data.lines) {
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
  }
  ctx.stroke();
  ctx.globalAlpha = 1;
  const border = Math.max(1.5 / scale, 6);
  ctx.lineWidth = border;
  // Grouped by colour: one path per colour, a few strokes for thousands of shapes.
  const groups = new Map<string, Shape[]>();
  for (const s of data.shapes) {
    const color = s.state === "active" ? `var(${kindVar[s.kind]})` : stateStyle[s.state].color;
    const list = groups.get(color);
    if (list) list.push(s);
    else groups.set(color, [s]);
  }
  for (const [color, shapes] of groups) {
    const c = resolve(style, color);
    ctx.fillStyle = c;
    ctx.globalAlpha = 0.18;
    for (const s of shapes) ctx.fillRect(s.x, s.y, s.w, s.h);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = c;
    ctx.beginPath();
    for (const s of shapes) ctx.rect(s.x + border / 2, s.y + border / 2, s.w - border, s.h - border);
    ctx.stroke();
  }
}

/** Redrawn when the data or the zoom changes; a pan moves the bitmap as it is. */
export const PictureView = memo(function PictureView({
  data,
  width = 0,
  height = 0,
}: NodeProps<PictureNode>) {
  const zoom = useStore((s) => s.transform[2]);
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const wanted = zoom * window.devicePixelRatio;
    draw(canvas, data, width, height, Math.min(wanted, MAX_SIDE / Math.max(width, height, 1)));
    canvas.dataset.drawn = String(data.shapes.length);
  }, [data, width, height, zoom]);
  return (
    <canvas
      ref={ref}
      data-testid="topology-picture"
      data-nodes={data.shapes.length}
      data-instances={data.instances}
      style={{ width, height, display: "block" }}
    />
  );
});
