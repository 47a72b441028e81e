"use client";
// Runs elk in a web worker; falls back to the main thread where workers are unavailable.
import type { ElkNode } from "elkjs/lib/elk-api";
import type { ElkRun } from "./layout";

type Reply = { id: number; graph?: ElkNode; error?: string };

export function createElkRunner(): { run: ElkRun; dispose: () => void } {
  if (typeof Worker === "undefined") {
    return {
      run: async (graph) => {
        const { default: ELK } = await import("elkjs/lib/elk.bundled.js");
        return new ELK().layout(graph);
      },
      dispose: () => {},
    };
  }
  const worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
  const waiting = new Map<number, { resolve: (g: ElkNode) => void; reject: (e: Error) => void }>();
  let next = 1;
  worker.onmessage = (event: MessageEvent<Reply>) => {
    const w = waiting.get(event.data.id);
    if (!w) return;
    waiting.delete(event.data.id);
    if (event.data.graph) w.resolve(event.data.graph);
    else w.reject(new Error(event.data.error ?? "layout failed"));
  };
  return {
    run: (graph) =>
      new Promise<ElkNode>((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, graph });
      }),
    dispose: () => {
      worker.terminate();
      for (const w of waiting.values()) w.reject(new Error("layout cancelled"));
      waiting.clear();
    },
  };
}
