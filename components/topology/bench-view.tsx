"use client";
// The UI bench's page (bench/ui.ts drives it): the real canvas, layout and node components on a generated
// topology, timed from navigation start to the first complete picture; plus a panning loop that counts frames.
import { ReactFlowProvider, useReactFlow, useStoreApi } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { TopologyCanvas } from "./canvas";
import { TopologyActionsContext } from "./context";
import { generateTopology } from "./generate";
import { defaultCollapsed, type Topology } from "./model";
import { useTopologyLayout } from "./use-layout";

export type BenchResult = {
  nodes: number;
  edges: number;
  /** React Flow nodes in the DOM (zoomed out, a network's instances are one node). */
  renderedNodes: number;
  /** Instances drawn, as nodes or as boxes of the zoomed-out blocks. */
  drawnInstances: number;
  /** Building the graph and laying it out, on the main thread. */
  layoutMs: number;
  /** From navigation start. */
  completeMs: number;
};
type Pan = { frames: number; fps: number; longestFrameMs: number };

declare global {
  interface Window {
    __netlensBench?: BenchResult;
    __netlensPan?: (ms: number) => Promise<Pan>;
    /** Zooms in on the middle network and resolves, once the picture is complete, with how long that took. */
    __netlensZoom?: (zoom: number) => Promise<number>;
  }
}

/**
 * Resolves on the first frame where everything in view is drawn: every node that overlaps the viewport is in the
 * DOM and visible (React Flow hides nodes it has not measured), and every edge between two of them has its path.
 */
function whenComplete(store: ReturnType<typeof useStoreApi>): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const { nodeLookup, edges, transform, width, height } = store.getState();
      const [tx, ty, zoom] = transform;
      const view = { x: -tx / zoom, y: -ty / zoom, w: width / zoom, h: height / zoom };
      const inView = new Set<string>();
      for (const [id, n] of nodeLookup) {
        const { x, y } = n.internals.positionAbsolute;
        const w = n.width ?? n.measured.width ?? 0;
        const h = n.height ?? n.measured.height ?? 0;
        const overlaps = x + w > view.x && x < view.x + view.w && y + h > view.y && y < view.y + view.h;
        if (!n.hidden && overlaps) inView.add(id);
      }
      const shownNodes = new Set(
        [...document.querySelectorAll<HTMLElement>(".react-flow__node")]
          .filter((el) => el.style.visibility !== "hidden")
          .map((el) => el.dataset.id),
      );
      const drawnEdges = new Set(
        [...document.querySelectorAll<SVGElement>(".react-flow__edge")]
          .filter((el) => el.querySelector("path")?.getAttribute("d"))
          .map((el) => el.dataset.id),
      );
      const done =
        [...inView].every((id) => shownNodes.has(id)) &&
        edges.every(
          (e) => e.hidden || !inView.has(e.source) || !inView.has(e.target) || drawnEdges.has(e.id),
        );
      if (done) resolve();
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
}

function Drive({ fitted, onComplete }: { fitted: boolean; onComplete: () => void }) {
  const { getViewport, setViewport, setCenter, getNodes } = useReactFlow();
  const store = useStoreApi();
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
          void setViewport({
            x: origin.x - 600 * Math.sin((t / 1500) * Math.PI),
            y: origin.y - 150 * Math.sin((t / 900) * Math.PI),
            zoom: origin.zoom,
          });
          if (t < ms) requestAnimationFrame(step);
          else resolve({ frames, fps: (frames * 1000) / t, longestFrameMs: longest });
        };
        requestAnimationFrame(step);
      });
    window.__netlensZoom = async (zoom) => {
      const started = performance.now();
      // The middle network of the row, its instances below it: where an operator reads cards.
      const networks = getNodes()
        .filter((n) => n.type === "network")
        .sort((a, b) => a.position.x - b.position.x);
      const middle = networks[Math.floor(networks.length / 2)];
      if (middle) {
        const x = middle.position.x + (middle.width ?? 0) / 2;
        await setCenter(x, middle.position.y + (middle.height ?? 0) + 150, { zoom });
      }
      await whenComplete(store);
      return performance.now() - started;
    };
  }, [getViewport, setViewport, setCenter, getNodes, store]);
  useEffect(() => {
    if (fitted) void whenComplete(store).then(onComplete);
  }, [fitted, store, onComplete]);
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
  // Made after hydration, as the API's data would arrive (and so that the server does not render the graph).
  const [topology, setTopology] = useState<Topology>();
  useEffect(
    () => setTopology(generateTopology(routers, networks, instances)),
    [routers, networks, instances],
  );
  const collapsed = useMemo(
    () => (expand || !topology ? new Set<string>() : defaultCollapsed(topology)),
    [expand, topology],
  );
  const laid = useTopologyLayout(topology, collapsed);
  const [fitted, setFitted] = useState(false);
  const onFitted = useCallback(() => setFitted(true), []);
  const onComplete = useCallback(() => {
    const completeMs = performance.now();
    const rendered = [...document.querySelectorAll(".react-flow__node")];
    window.__netlensBench = {
      nodes: laid.nodes.length,
      edges: laid.edges.length,
      renderedNodes: rendered.length,
      drawnInstances:
        rendered.filter((n) => n.classList.contains("react-flow__node-instance")).length +
        document.querySelectorAll("[data-instance]").length,
      layoutMs: laid.layoutMs,
      completeMs,
    };
  }, [laid]);
  const actions = useMemo(() => ({ toggleCollapse: () => {} }), []);
  return (
    <TopologyActionsContext.Provider value={actions}>
      <ReactFlowProvider>
        <div className="h-full" data-testid="bench">
          <TopologyCanvas laid={laid} selected={null} onSelect={() => {}} onFitted={onFitted} />
          <Drive fitted={fitted} onComplete={onComplete} />
        </div>
      </ReactFlowProvider>
    </TopologyActionsContext.Provider>
  );
}
