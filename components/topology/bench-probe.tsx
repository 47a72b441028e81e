"use client";
// What bench:ui reads in the page: the first complete picture (timed from navigation start) and hooks that pan and
// zoom the canvas while counting frames. Mounted by the bench page, and by the topology page when its URL asks
// (`/?bench=1`), so that the real page, with the API's data, is measured the same way.
import { useReactFlow, useStoreApi } from "@xyflow/react";
import { useEffect, useRef } from "react";
import type { LaidOut } from "./use-layout";

export type BenchResult = {
  nodes: number;
  edges: number;
  /** React Flow nodes in the DOM (zoomed out, a network's instances are one node; far out, all are one picture). */
  renderedNodes: number;
  /** Instances drawn, as nodes, as boxes of the zoomed-out blocks or in the picture. */
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
      // Far out, the picture's canvas must have drawn every node it holds.
      const pictures = [...document.querySelectorAll<HTMLElement>("[data-testid=topology-picture]")];
      const done =
        pictures.every((el) => el.dataset.drawn === el.dataset.nodes) &&
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

/** Records the bench result on the first complete frame after the canvas fitted `laid`, and installs the hooks. */
export function BenchProbe({ fitted, laid }: { fitted: boolean; laid: LaidOut }) {
  const { getViewport, setViewport, setCenter } = useReactFlow();
  const nodes = useRef(laid.nodes);
  nodes.current = laid.nodes;
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
      // The middle network in reading order, its instances below it: where an operator reads cards. From the
      // laid-out graph: far out, React Flow holds only the picture.
      const networks = nodes.current
        .filter((n) => n.type === "network")
        .sort((a, b) => a.position.y - b.position.y || a.position.x - b.position.x);
      const middle = networks[Math.floor(networks.length / 2)];
      if (!middle) throw new Error("no network to zoom in on");
      const x = middle.position.x + (middle.width ?? 0) / 2;
      await setCenter(x, middle.position.y + (middle.height ?? 0) + 150, { zoom });
      await whenComplete(store);
      return performance.now() - started;
    };
  }, [getViewport, setViewport, setCenter, store]);
  useEffect(() => {
    if (!fitted) return;
    void whenComplete(store).then(() => {
      const completeMs = performance.now();
      const rendered = [...document.querySelectorAll(".react-flow__node")];
      window.__netlensBench = {
        nodes: laid.nodes.length,
        edges: laid.edges.length,
        renderedNodes: rendered.length,
        drawnInstances:
          rendered.filter((n) => n.classList.contains("react-flow__node-instance")).length +
          document.querySelectorAll("[data-instance]").length +
          [...document.querySelectorAll<HTMLElement>("[data-testid=topology-picture]")].reduce(
            (sum, el) => sum + Number(el.dataset.instances ?? 0),
            0,
          ),
        layoutMs: laid.layoutMs,
        completeMs,
      };
    });
  }, [fitted, store, laid]);
  return null;
}
