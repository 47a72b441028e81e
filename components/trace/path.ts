// From a trace answer to what the graph lights: the graph nodes each direction crosses (a floating IP's hop is
// drawn on the router that NATs it; it is a badge, not a node) and the edges between consecutive ones.
import type { Diagnosis, Hop, TraceResult } from "@/lib/schemas/trace";
import type { TopologyEdge, TopologyNode } from "../topology/graph";
import type { Topology } from "../topology/model";

export type Direction = "forward" | "reply";

export const TRACE_COLOR: Record<Direction | "failed", string> = {
  forward: "#2563eb",
  reply: "#f59e0b",
  failed: "#dc2626",
};

/** Text on a TRACE_COLOR fill: white reads on blue and red (5:1), not on amber (2:1), which takes near-black. */
export const TRACE_INK: Record<Direction | "failed", string> = {
  forward: "#ffffff",
  reply: "#1c1917",
  failed: "#ffffff",
};

/** The graph node a hop sits on: floating IP ids become their router, unknown ids stay as they are. */
function graphNodeOf(hop: Hop, topology: Topology | undefined): string {
  const id = hop.where.node_id;
  const fip = topology?.floatingIps.find((f) => f.id === id);
  return fip?.router_id ?? id;
}

/** The graph nodes a hop list crosses, in order, without repeats in a row. */
function nodeSequence(hops: readonly Hop[], topology: Topology | undefined): string[] {
  const seq: string[] = [];
  for (const h of hops) {
    const id = graphNodeOf(h, topology);
    if (seq.at(-1) !== id) seq.push(id);
  }
  return seq;
}

const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

/** "forward[3]" -> {direction, index}. */
function parseHopRef(ref: string | null): { direction: Direction; index: number } | null {
  const m = ref?.match(/^(forward|reply)\[(\d+)\]$/);
  return m ? { direction: m[1] as Direction, index: Number(m[2]) } : null;
}

/** The hops that failed: named by a diagnosis, or dropped. Keys are "forward[N]" / "reply[N]". */
export function failingHops(result: TraceResult): Map<string, Diagnosis[]> {
  const failing = new Map<string, Diagnosis[]>();
  for (const d of result.diagnoses) {
    if (d.hop && parseHopRef(d.hop)) failing.set(d.hop, [...(failing.get(d.hop) ?? []), d]);
  }
  for (const direction of ["forward", "reply"] as const) {
    result[direction].forEach((h, i) => {
      const key = `${direction}[${i}]`;
      if (h.action === "dropped" && !failing.has(key)) failing.set(key, []);
    });
  }
  return failing;
}

/**
 * Decorates laid-out nodes and edges with the trace: forward edges keep their place in a new colour; reply edges
 * are drawn as a second, stepped line beside them so both directions stay visible where they share a link.
 */
export function decorate(
  nodes: readonly TopologyNode[],
  edges: readonly TopologyEdge[],
  result: TraceResult | undefined,
  topology: Topology | undefined,
): { nodes: TopologyNode[]; edges: TopologyEdge[]; forwardEdges: number; replyEdges: number } {
  if (!result) return { nodes: [...nodes], edges: [...edges], forwardEdges: 0, replyEdges: 0 };
  const forward = nodeSequence(result.forward, topology);
  const reply = nodeSequence(result.reply, topology);
  const pairs = (seq: string[]) => new Set(seq.slice(1).map((id, i) => pairKey(seq[i] ?? "", id)));
  const forwardPairs = pairs(forward);
  const replyPairs = pairs(reply);
  const failedNodes = new Set<string>();
  for (const ref of failingHops(result).keys()) {
    const at = parseHopRef(ref);
    const hop = at ? result[at.direction][at.index] : undefined;
    if (hop) failedNodes.add(graphNodeOf(hop, topology));
  }
  const forwardSet = new Set(forward);
  const replySet = new Set(reply);

  const outNodes = nodes.map((n): TopologyNode => {
    const onForward = forwardSet.has(n.id);
    const onReply = replySet.has(n.id);
    const failed = failedNodes.has(n.id);
    // Off the path: grayed, not faded (faded text falls below WCAG's contrast; gray keeps its luminance).
    if (!onForward && !onReply && !failed)
      return { ...n, style: { ...n.style, filter: "grayscale(1)" } } as TopologyNode;
    const colour = failed ? TRACE_COLOR.failed : onForward ? TRACE_COLOR.forward : TRACE_COLOR.reply;
    const trace = [onForward ? "forward" : "", onReply ? "reply" : "", failed ? "failed" : ""].filter(
      Boolean,
    );
    return {
      ...n,
      hidden: false,
      className: trace.map((t) => `trace-${t}`).join(" "),
      style: { ...n.style, outline: `3px solid ${colour}`, outlineOffset: 3, borderRadius: 8 },
      domAttributes: { "data-trace": trace.join(" ") } as Record<string, string>,
    } as TopologyNode;
  });

  const outEdges: TopologyEdge[] = [];
  let forwardEdges = 0;
  let replyEdges = 0;
  for (const e of edges) {
    const key = pairKey(e.source, e.target);
    const onForward = forwardPairs.has(key);
    const onReply = replyPairs.has(key);
    if (onForward) {
      forwardEdges++;
      outEdges.push({
        ...e,
        hidden: false,
        animated: false,
        className: `${e.className ?? ""} trace-forward`,
        style: { stroke: TRACE_COLOR.forward, strokeWidth: 6 },
        zIndex: 10,
        domAttributes: { "data-trace": "forward" } as Record<string, string>,
      });
    } else {
      outEdges.push(onReply ? { ...e, hidden: false } : { ...e, style: { opacity: 0.35 } });
    }
    if (onReply) {
      replyEdges++;
      outEdges.push({
        id: `reply:${e.id}`,
        source: e.source,
        target: e.target,
        type: "smoothstep",
        animated: true,
        className: "trace-reply",
        style: { stroke: TRACE_COLOR.reply, strokeWidth: 2.5, strokeDasharray: "6 4" },
        zIndex: 11,
        domAttributes: { "data-trace": "reply" } as Record<string, string>,
      });
    }
  }
  return { nodes: outNodes, edges: outEdges, forwardEdges, replyEdges };
}
