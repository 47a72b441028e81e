"use client";
// The topology graph, read-only, with the trace's decorations (see path.ts). Same node kinds and layout as the
// home page; it fits the view whenever a new path is lit.
import { Background, Controls, ReactFlow, useReactFlow } from "@xyflow/react";
import { useEffect, useRef } from "react";
import type { TopologyEdge, TopologyNode } from "../topology/graph";
import { nodeTypes } from "../topology/nodes";
import { useTheme } from "../ui/theme";

export function TraceCanvas({
  nodes,
  edges,
  ready,
}: {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  ready: boolean;
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
  return (
    <ReactFlow<TopologyNode, TopologyEdge>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      colorMode={theme}
      nodesDraggable={false}
      nodesConnectable={false}
      edgesFocusable={false}
      elementsSelectable={false}
      minZoom={0.02}
      maxZoom={2}
      proOptions={{ hideAttribution: true }}
    >
      <Background gap={24} size={1} />
      <Controls position="bottom-left" showInteractive={false} />
    </ReactFlow>
  );
}
