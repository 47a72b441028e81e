"use client";
// Topology data -> positioned, identity-stable nodes and edges, on the main thread: the domain layout (layout.ts)
// costs a few milliseconds even at 2,000 instances, less than handing the graph to a worker and back would.
import { useMemo, useRef } from "react";
import { buildGraph, type TopologyEdge, type TopologyNode } from "./graph";
import { type LaneNode, layoutLanes } from "./lanes";
import { layoutGraph } from "./layout";
import type { Topology } from "./model";
import { reuseUnchanged } from "./stable";

export type LaidOut = {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  /** False until there is data to draw. */
  ready: boolean;
  /** How long building the graph and laying it out took, the last time (for bench:ui). */
  layoutMs: number;
  /** Grouped by host: one lane per host, behind its routers and instances (empty otherwise). */
  lanes: LaneNode[];
};

const empty: LaidOut = { nodes: [], edges: [], ready: false, layoutMs: 0, lanes: [] };

export function useTopologyLayout(
  topology: Topology | undefined,
  collapsed: ReadonlySet<string>,
  byHost = false,
): LaidOut {
  const previous = useRef<{ nodes: TopologyNode[]; edges: TopologyEdge[] }>({ nodes: [], edges: [] });
  return useMemo(() => {
    if (!topology) return empty;
    const started = performance.now();
    const graph = buildGraph(topology, collapsed);
    const { nodes: laid, lanes } = byHost
      ? layoutLanes(graph.nodes, graph.edges)
      : { nodes: layoutGraph(graph.nodes, graph.edges), lanes: [] };
    const layoutMs = performance.now() - started;
    // React Flow re-processes every node object whose identity changed: hand back the previous objects for
    // everything a live update did not change.
    const nodes = reuseUnchanged(previous.current.nodes, laid);
    const edges = reuseUnchanged(previous.current.edges, graph.edges);
    previous.current = { nodes, edges };
    return { nodes, edges, ready: true, layoutMs, lanes };
  }, [topology, collapsed, byHost]);
}
