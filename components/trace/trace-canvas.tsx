"use client";
// The topology graph, read-only, with the trace's decorations (see path.ts). Same node kinds and layout as the
// home page; it fits the view whenever a new path is lit. A click on an instance, a router, an external network
// or a floating IP badge picks that end (trace-page.tsx decides which one); the picked ends wear a tag.
import {
  Background,
  Controls,
  type NodeMouseHandler,
  NodeToolbar,
  Position,
  ReactFlow,
  useReactFlow,
} from "@xyflow/react";
import { useEffect, useRef } from "react";
import type { TopologyEdge, TopologyNode } from "../topology/graph";
import { nodeTypes } from "../topology/nodes";
import { useTheme } from "../ui/theme";
import { type Direction, TRACE_COLOR, TRACE_INK } from "./path";

export type Picks = { from: string | null; to: string | null };

/** What in a node a click landed on (nodes.tsx marks them): a floating IP badge, an instance in a zoomed-out block. */
function clickedInside(target: EventTarget | null, attribute: "data-fip" | "data-instance"): string | null {
  return target instanceof Element
    ? (target.closest(`[${attribute}]`)?.getAttribute(attribute) ?? null)
    : null;
}

function PickTag({ nodeId, label, direction }: { nodeId: string; label: string; direction: Direction }) {
  return (
    <NodeToolbar nodeId={nodeId} isVisible position={Position.Top} offset={6}>
      <span
        data-testid="trace-pick-tag"
        data-node={nodeId}
        className="rounded px-1.5 py-0.5 text-[11px] font-semibold shadow"
        style={{ background: TRACE_COLOR[direction], color: TRACE_INK[direction] }}
      >
        {label}
      </span>
    </NodeToolbar>
  );
}

export function TraceCanvas({
  nodes,
  edges,
  ready,
  picks,
  onPick,
}: {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  ready: boolean;
  picks: Picks;
  onPick: (nodeId: string, floatingIp: string | null) => void;
}) {
  const theme = useTheme();
  const { fitView } = useReactFlow();
  const lit = nodes.filter((n) => n.className?.includes("trace-")).map((n) => n.id);
  const key = `${ready}:${nodes.length}:${lit.join(",")}`;
  const last = useRef("");
  useEffect(() => {
    if (!ready || nodes.length === 0 || last.current === key) return;
    last.current = key;
    const ids = key.split(":")[2]?.split(",").filter(Boolean) ?? [];
    requestAnimationFrame(
      () =>
        void fitView({
          padding: 0.15,
          maxZoom: 1.2,
          ...(ids.length > 0 ? { nodes: ids.map((id) => ({ id })) } : {}),
        }),
    );
  }, [key, ready, nodes.length, fitView]);
  const onNodeClick: NodeMouseHandler<TopologyNode> = (event, node) =>
    onPick(clickedInside(event.target, "data-instance") ?? node.id, clickedInside(event.target, "data-fip"));
  return (
    <ReactFlow<TopologyNode, TopologyEdge>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      colorMode={theme}
      onNodeClick={onNodeClick}
      nodesDraggable={false}
      nodesConnectable={false}
      edgesFocusable={false}
      elementsSelectable={false}
      minZoom={0.02}
      maxZoom={2}
      proOptions={{ hideAttribution: true }}
      className="[&_[data-testid=node-external]]:cursor-pointer [&_[data-testid=node-instance]]:cursor-pointer [&_[data-testid=node-router]]:cursor-pointer"
    >
      <Background gap={24} size={1} />
      <Controls position="bottom-left" showInteractive={false} />
      {picks.from !== null && picks.from === picks.to ? (
        <PickTag nodeId={picks.from} label="From · To" direction="forward" />
      ) : (
        <>
          {picks.from !== null ? <PickTag nodeId={picks.from} label="From" direction="forward" /> : null}
          {picks.to !== null ? <PickTag nodeId={picks.to} label="To" direction="reply" /> : null}
        </>
      )}
    </ReactFlow>
  );
}
