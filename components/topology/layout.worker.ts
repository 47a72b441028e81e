// elk off the main thread: a big layout must not freeze panning, typing or the live updates.
import ELK from "elkjs/lib/elk.bundled.js";
import type { ElkNode } from "elkjs/lib/elk-api";

const elk = new ELK();
type Request = { id: number; graph: ElkNode };

// Assigned after the import on purpose: elk's bundle may install its own handler when it finds `self`.
self.onmessage = async (event: MessageEvent<Request>) => {
  const { id, graph } = event.data;
  try {
    postMessage({ id, graph: await elk.layout(graph) });
  } catch (error) {
    postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
