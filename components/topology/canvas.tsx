"use client";
import {
  Background,
  Controls,
  getNodesBounds,
  getViewportForBounds,
  MiniMap,
  type NodeMouseHandler,
  ReactFlow,
  type ReactFlowState,
  useReactFlow,
  useStore,
  useStoreApi,
} from "@xyflow/react";
import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from "react";
import { useTheme } from "../ui/theme";
import { NODE_WIDTH, nodeHeight, type TopologyNode } from "./graph";
import type { LaneNode } from "./lanes";
import { nodeTypes } from "./nodes";
import { detailedSelector, type InstanceBlockNode, instanceBlocks, overviewEdges } from "./overview";
import { type PictureNode, pictureOf, pictureSelector } from "./picture";
import { reuseUnchanged } from "./stable";
import type { LaidOut } from "./use-layout";

type CanvasNode = TopologyNode | InstanceBlockNode | PictureNode | LaneNode;

const minimapColor: Record<CanvasNode["type"], string> = {
  external: "#0284c7",
  router: "#9333ea",
  network: "#0d9488",
  instance: "#64748b",
  instances: "#64748b",
  picture: "#64748b",
  lane: "transparent",
};

/**
 * From this many nodes a graph is big: far out (below PICTURE_ZOOM) it is drawn as one picture (picture.tsx),
 * nearer React Flow mounts only the nodes in view (a card costs to mount, and most are off screen). Small graphs
 * keep every node at every zoom.
 */
const VISIBLE_ONLY_FROM = 300;
const NO_MATCHES: ReadonlySet<string> = new Set();
/** The graph size from which the minimap is shown: below it, the whole graph fits the view at a readable zoom. */
const MINIMAP_FROM = 40;
const FIT = { padding: 0.1, minZoom: 0.02, maxZoom: 1.2 };
const sized = (s: ReactFlowState) => s.width > 0 && s.height > 0;

export function TopologyCanvas({
  laid,
  selected,
  matches = NO_MATCHES,
  onSelect,
  onFitted,
  arrangement = "layers",
}: {
  laid: LaidOut;
  selected: string | null;
  /** Nodes the search box matches: outlined while typing. */
  matches?: ReadonlySet<string>;
  onSelect: (id: string | null) => void;
  /** Called once the first picture is fitted to the view and handed to React Flow (bench:ui times from it). */
  onFitted?: () => void;
  /** How the graph is arranged: the view is fitted again when it changes. */
  arrangement?: string;
}) {
  const theme = useTheme();
  const { setViewport, setCenter, screenToFlowPosition } = useReactFlow();
  const store = useStoreApi<CanvasNode>();
  const detailed = useStore(detailedSelector);
  const far = useStore(pictureSelector);
  const hasSize = useStore(sized);
  const shown = useMemo(() => laid.nodes.filter((n) => !n.hidden), [laid.nodes]);
  const big = shown.length >= VISIBLE_ONLY_FROM;
  const picture = big && far;

  const previousBlocks = useRef<InstanceBlockNode[]>([]);
  const blocks = useMemo(() => {
    const next = reuseUnchanged(previousBlocks.current, instanceBlocks(laid.nodes, laid.edges));
    previousBlocks.current = next;
    return next;
  }, [laid.nodes, laid.edges]);
  const pictured = useMemo(
    () => (picture ? pictureOf(shown, laid.edges) : null),
    [picture, shown, laid.edges],
  );
  // Hidden nodes and edges (collapsed networks' instances) are not handed over: React Flow would still process
  // them on every change.
  const edges = useMemo(() => {
    if (pictured) return [];
    return detailed ? laid.edges.filter((e) => !e.hidden) : overviewEdges(laid.edges);
  }, [pictured, detailed, laid.edges]);
  // Selection is ours (one node, from a click or a search); only the selected node gets a new object.
  const nodes = useMemo(() => {
    if (pictured) return [pictured];
    const base: CanvasNode[] = [
      ...laid.lanes,
      ...(detailed ? shown : [...shown.filter((n) => n.type !== "instance"), ...blocks]),
    ];
    return base.map((n): CanvasNode => {
      const matched = matches.has(n.id) ? { className: "search-match" } : {};
      if (n.id === selected) return { ...n, ...matched, selected: true } as CanvasNode;
      if (matches.has(n.id)) return { ...n, ...matched } as CanvasNode;
      // Zoomed out, a selected instance is a box of its network's block.
      if (n.type === "instances" && n.data.cells.some((c) => c.id === selected)) {
        return { ...n, data: { ...n.data, selected } };
      }
      return n;
    });
  }, [pictured, laid.lanes, detailed, shown, blocks, selected, matches]);

  // Fit before React Flow gets the nodes: the first picture is drawn at the zoom it will be seen at (zoomed
  // out, the overview), not at zoom 1 and then again. Live updates keep the user's viewport; a new arrangement
  // (`arrangement` changed: grouped by host or not) is fitted again.
  const [fitted, setFitted] = useState(false);
  const fittedFor = useRef<string | null>(null);
  useEffect(() => {
    if (fittedFor.current === arrangement || !laid.ready || !hasSize) return;
    fittedFor.current = arrangement;
    const visible = laid.nodes.filter((n) => !n.hidden);
    if (visible.length > 0) {
      const { width, height } = store.getState();
      const bounds = getNodesBounds(visible);
      void setViewport(getViewportForBounds(bounds, width, height, FIT.minZoom, FIT.maxZoom, FIT.padding));
    }
    setFitted(true);
  }, [arrangement, laid.ready, laid.nodes, hasSize, store, setViewport]);
  useEffect(() => {
    if (fitted) onFitted?.();
  }, [fitted, onFitted]);

  const onNodeClick: NodeMouseHandler<CanvasNode> = (event, node) => {
    if (node.type === "picture") {
      // Far out, a click picks the node drawn under the pointer (the last drawn on top), or nothing.
      const at = screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const hit = shown.findLast(
        (n) =>
          at.x >= n.position.x &&
          at.x <= n.position.x + NODE_WIDTH[n.type] &&
          at.y >= n.position.y &&
          at.y <= n.position.y + nodeHeight(n),
      );
      return onSelect(hit?.id ?? null);
    }
    if (node.type === "lane") return onSelect(null);
    if (node.type !== "instances") return onSelect(node.id);
    // Zoomed out, a click on an instance's box picks the instance; elsewhere in the block, its network.
    const cell = event.target instanceof Element ? event.target.closest("[data-instance]") : null;
    onSelect(cell?.getAttribute("data-instance") ?? node.data.networkId);
  };
  // The side panel takes room from the graph (and a phone's bottom sheet, height): the selected node stays in view.
  // Only when the selection or the size changes: a live update must not pull back a view the user moved.
  const size = useStore((st) => `${st.width}x${st.height}`);
  const latestNodes = useRef(laid.nodes);
  latestNodes.current = laid.nodes;
  useEffect(() => {
    const node = selected === null ? undefined : latestNodes.current.find((n) => n.id === selected);
    if (!node || size === "0x0") return;
    const { width, height, transform } = store.getState();
    const [x, y, zoom] = transform;
    const cx = node.position.x + NODE_WIDTH[node.type] / 2;
    const cy = node.position.y + nodeHeight(node) / 2;
    const sx = cx * zoom + x;
    const sy = cy * zoom + y;
    if (sx < 0 || sx > width || sy < 0 || sy > height) void setCenter(cx, cy, { zoom, duration: 300 });
  }, [selected, size, store, setCenter]);

  // React Flow makes nodes focusable, but Enter and Space only select in its own store: open the panel, as a click.
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const target = event.target instanceof HTMLElement ? event.target : null;
    if (!target?.classList.contains("react-flow__node")) return;
    const node = nodes.find((n) => n.id === target.dataset.id);
    if (!node || node.type === "picture" || node.type === "lane") return;
    event.preventDefault();
    onSelect(node.type === "instances" ? node.data.networkId : node.id);
  };
  return (
    <ReactFlow<CanvasNode>
      onKeyDown={onKeyDown}
      nodes={fitted ? nodes : []}
      edges={fitted ? edges : []}
      nodeTypes={nodeTypes}
      colorMode={theme}
      onNodeClick={onNodeClick}
      onPaneClick={() => onSelect(null)}
      nodesDraggable={false}
      nodesConnectable={false}
      edgesFocusable={false}
      onlyRenderVisibleElements={big && !picture}
      minZoom={FIT.minZoom}
      maxZoom={2}
      proOptions={{ hideAttribution: true }}
    >
      {/* Zoomed out the dots would be closer than a pixel: costly to paint, and no help. */}
      {detailed ? <Background gap={24} size={1} /> : null}
      <Controls position="bottom-left" />
      {/* A map helps find one's way in a graph bigger than the screen; on a small one it only covers nodes (an
          instance's status, its floating IP). On a phone it would cover much of the graph: pinch and drag. */}
      {/* The picture is its own map. */}
      {shown.length >= MINIMAP_FROM && !picture ? (
        <MiniMap
          className="max-md:hidden"
          position="bottom-right"
          pannable
          zoomable
          nodeColor={(n) => minimapColor[(n as CanvasNode).type]}
          ariaLabel="Topology overview"
        />
      ) : null}
    </ReactFlow>
  );
}
