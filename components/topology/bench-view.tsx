"use client";
// The UI bench's page (bench/ui.ts drives it): the real canvas, layout and node components on a generated
// topology, timed from navigation start to the first complete frame; plus a panning loop that counts frames.
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";
import { TopologyCanvas } from "./canvas";
import { TopologyActionsContext } from "./context";
import { generateTopology } from "./generate";
import { defaultCollapsed } from "./model";
import { useTopologyLayout } from "./use-layout";

export type BenchResult = {
  nodes: number;
  edges: number;
  renderedNodes: number;
  dataMs: number;
  layoutMs: number;
  completeMs: number;
};

declare global {
  interface Window {
    __netlensBench?: BenchResult;
    __netlensPan?: (ms: number) => Promise<{ frames: number; fps: number; longestFrameMs: number }>;
  }
}

function Pan() {
  const { getViewport, setViewport } = useReactFlow();
  useEffect(() => {
    window.__netlensPan = (ms) =>
      new Promise((resolve) => {
        const start = performance.now();
        const origin = getViewport();
        let frames = 0;
        let last = start;
        let longest = 0;
        const step = (now: number) => {
          frames++;
          longest = Math.max(longest, now - last);
          last = now;
          const t = now - start;
          // A steady sweep across the graph and back, the way a user drags.
          setViewport({
            x: origin.x - 600 * Math.sin((t / 1500) * Math.PI),
            y: origin.y - 150 * Math.sin((t / 900) * Math.PI),
            zoom: origin.zoom,
          });
          if (t < ms) requestAnimationFrame(step);
          else resolve({ frames, fps: (frames * 1000) / t, longestFrameMs: longest });
        };
        requestAnimationFrame(step);
      });
  }, [getViewport, setViewport]);
  return null;
}

export function BenchView({
  routers,
  networks,
  instances,
  expand,
}: {
  routers: number;
  networks: number;
  instances: number;
  /** Every instance drawn, instead of the page's default of collapsing big topologies. */
  expand: boolean;
}) {
  const [data] = useState(() => {
    const t = performance.now();
    const topology = generateTopology(routers, networks, instances);
    return { topology, ms: performance.now() - t };
  });
  const collapsed = useMemo(
    () => (expand ? new Set<string>() : defaultCollapsed(data.topology)),
    [expand, data.topology],
  );
  const laid = useTopologyLayout(data.topology, collapsed);
  useEffect(() => {
    if (!laid.ready) return;
    const expected = laid.nodes.filter((n) => !n.hidden).length;
    let frame = 0;
    // Complete = every visible node is in the DOM and measured (React Flow keeps unmeasured nodes hidden).
    const check = () => {
      const shown = document.querySelectorAll(".react-flow__node:not([style*='visibility: hidden'])").length;
      if (shown < expected) {
        frame = requestAnimationFrame(check);
        return;
      }
      window.__netlensBench = {
        nodes: laid.nodes.length,
        edges: laid.edges.length,
        renderedNodes: shown,
        dataMs: data.ms,
        layoutMs: laid.layoutMs,
        completeMs: performance.now(),
      };
    };
    frame = requestAnimationFrame(check);
    return () => cancelAnimationFrame(frame);
  }, [laid, data.ms]);
  const actions = useMemo(() => ({ toggleCollapse: () => {} }), []);
  return (
    <TopologyActionsContext.Provider value={actions}>
      <ReactFlowProvider>
        <div className="h-full" data-testid="bench">
          <TopologyCanvas laid={laid} selected={null} onSelect={() => {}} />
          <Pan />
        </div>
      </ReactFlowProvider>
    </TopologyActionsContext.Provider>
  );
}
