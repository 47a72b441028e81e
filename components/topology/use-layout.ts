"use client";
// Topology data -> positioned, identity-stable nodes and edges. elk runs only when the skeleton (external
// networks, routers, networks and the links between them) changed; everything else is placed by arithmetic.
import { useEffect, useMemo, useRef, useState } from "react";
import { createElkRunner } from "./elk-runner";
import { buildGraph, type TopologyEdge, type TopologyNode } from "./graph";
import { applyPositions, layoutSkeleton, type Positions, skeletonGraph } from "./layout";
import type { Topology } from "./model";
import { reuseUnchanged } from "./stable";

export type LaidOut = {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  /** False until the first layout is done. */
  ready: boolean;
  /** How long the last elk run took (0 when the cached skeleton was reused). */
  layoutMs: number;
};

export function useTopologyLayout(topology: Topology | undefined, collapsed: ReadonlySet<string>): LaidOut {
  const graph = useMemo(
    () => (topology ? buildGraph(topology, collapsed) : undefined),
    [topology, collapsed],
  );
  const skeleton = useMemo(() => (graph ? skeletonGraph(graph.nodes, graph.edges) : undefined), [graph]);
  const key = useMemo(() => (skeleton ? JSON.stringify(skeleton) : ""), [skeleton]);
  const [positions, setPositions] = useState<{ key: string; positions: Positions; ms: number }>();
  const runner = useRef<ReturnType<typeof createElkRunner> | null>(null);

  useEffect(() => {
    runner.current = createElkRunner();
    return () => {
      runner.current?.dispose();
      runner.current = null;
    };
  }, []);

  useEffect(() => {
    if (!skeleton || positions?.key === key) return;
    const run = runner.current?.run;
    if (!run) return;
    let cancelled = false;
    const started = performance.now();
    layoutSkeleton(skeleton, run).then(
      (p) => {
        if (!cancelled) setPositions({ key, positions: p, ms: performance.now() - started });
      },
      () => {
        // A cancelled or failed layout keeps the previous picture; the next change lays out again.
      },
    );
    return () => {
      cancelled = true;
    };
  }, [key, skeleton, positions?.key]);

  const previous = useRef<{ nodes: TopologyNode[]; edges: TopologyEdge[] }>({ nodes: [], edges: [] });
  return useMemo(() => {
    if (!graph || !positions) return { nodes: [], edges: [], ready: false, layoutMs: 0 };
    // While a new skeleton is being laid out, the old positions still place the old nodes; new ones wait
    // at their network's grid or at the bottom for a moment rather than the whole picture blanking.
    const nodes = reuseUnchanged(
      previous.current.nodes,
      applyPositions(graph.nodes, graph.edges, positions.positions),
    );
    const edges = reuseUnchanged(previous.current.edges, graph.edges);
    previous.current = { nodes, edges };
    return { nodes, edges, ready: true, layoutMs: positions.key === key ? positions.ms : 0 };
  }, [graph, positions, key]);
}
