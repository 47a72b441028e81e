"use client";
// Trace mode: pick a source and a destination, by search or on the graph, Explain (the hosts' own
// answers) or Probe (a real packet); the path lights up on the graph, forward and reply in two colours, with the
// hop list beside it. On the graph a click sets the end the "Click on graph sets" switch names (From, until one
// is picked; then To), or the end whose field has the focus, and the link (?from=&to=) follows.
import { useMutation } from "@tanstack/react-query";
import { ReactFlowProvider } from "@xyflow/react";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { type TraceProtocol, type TraceResult, traceProtocols } from "@/lib/schemas/trace";
import { TopologyActionsContext } from "../topology/context";
import { useTopologyLayout } from "../topology/use-layout";
import { useTopologyData } from "../topology/use-topology";
import { useTRPC } from "../trpc/provider";
import { Button, Select } from "../ui/controls";
import { endpointAt, endpointOptions, nodeOf } from "./endpoints";
import { HopList } from "./hop-list";
import { type Direction, decorate, TRACE_COLOR, TRACE_INK } from "./path";
import { EndpointPicker } from "./picker";
import { TraceCanvas } from "./trace-canvas";

export type TraceQuery = { from: string; to: string; protocol: TraceProtocol; port: string };

type End = "from" | "to";

/** `/trace?from=..&to=..[&protocol=..&port=..]`: the shareable link of a query. */
function traceUrl(q: TraceQuery): string {
  const params = new URLSearchParams({ from: q.from.trim(), to: q.to.trim() });
  if (q.protocol !== "icmp") params.set("protocol", q.protocol);
  if (q.protocol !== "icmp" && q.port) params.set("port", q.port);
  return `/trace?${params}`;
}

export function TracePage({ initial }: { initial: TraceQuery }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [query, setQuery] = useState<TraceQuery>(initial);
  const { topology, error: topologyError } = useTopologyData();
  const options = useMemo(() => endpointOptions(topology), [topology]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const toggleCollapse = useCallback(
    (id: string) =>
      setCollapsed((c) => {
        const next = new Set(c);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
    [],
  );
  const actions = useMemo(() => ({ toggleCollapse }), [toggleCollapse]);
  const laid = useTopologyLayout(topology, collapsed);
  const run = useMutation(trpc.trace.run.mutationOptions());
  const result: TraceResult | undefined = run.data;
  const lit = useMemo(
    () => decorate(laid.nodes, laid.edges, result, topology),
    [laid.nodes, laid.edges, result, topology],
  );

  const needsPort = query.protocol !== "icmp";
  const canRun = query.from.trim() !== "" && query.to.trim() !== "" && (!needsPort || query.port !== "");
  const start = useCallback(
    (probe: boolean, q: TraceQuery = query) => {
      router.replace(traceUrl(q), { scroll: false });
      run.mutate({
        from: q.from.trim(),
        to: q.to.trim(),
        protocol: q.protocol,
        ...(q.protocol !== "icmp" && q.port ? { port: Number(q.port) } : {}),
        probe,
      });
    },
    [query, router, run],
  );
  // A shared link (/trace?from=..&to=..) explains at once; only the link the page was opened with (the URL
  // changes after a pick or a run do not start a trace by themselves).
  const autoRun = useRef(false);
  useEffect(() => {
    if (autoRun.current) return;
    autoRun.current = true;
    if (initial.from && initial.to) start(false, initial);
  }, [initial, start]);

  // Picking on the graph: the end the next click sets.
  const [pickEnd, setPickEnd] = useState<End>(initial.from ? "to" : "from");
  const [pickHint, setPickHint] = useState("");
  const pick = useCallback(
    (nodeId: string, floatingIp: string | null) => {
      const option = endpointAt(options, nodeId, floatingIp);
      if (option === null) {
        setPickHint("Pick an instance, a router, an external network or a floating IP.");
        return;
      }
      setPickHint("");
      const next = { ...query, [pickEnd]: option.value };
      setQuery(next);
      // Only the address bar: the page is not fetched again, and nothing runs until Explain or Probe.
      window.history.replaceState(null, "", traceUrl(next));
      if (pickEnd === "from") setPickEnd("to");
    },
    [options, query, pickEnd],
  );
  const picks = useMemo(
    () => ({ from: nodeOf(options, query.from), to: nodeOf(options, query.to) }),
    [options, query.from, query.to],
  );

  return (
    <TopologyActionsContext.Provider value={actions}>
      <ReactFlowProvider>
        <div className="flex h-full flex-col" data-testid="trace-page">
          <h1 className="sr-only">Packet trace</h1>
          <form
            className="flex flex-wrap items-end gap-2 border-b border-[var(--border)] bg-[var(--panel)] px-3 py-2"
            onSubmit={(e) => {
              e.preventDefault();
              if (canRun) start(false);
            }}
          >
            <EndpointPicker
              label="From"
              testId="trace-from"
              value={query.from}
              options={options}
              picking={pickEnd === "from"}
              onFocus={() => setPickEnd("from")}
              onChange={(from) => setQuery((q) => ({ ...q, from }))}
              onChoose={() => setPickEnd("to")}
            />
            <EndpointPicker
              label="To"
              testId="trace-to"
              value={query.to}
              options={options}
              picking={pickEnd === "to"}
              onFocus={() => setPickEnd("to")}
              onChange={(to) => setQuery((q) => ({ ...q, to }))}
            />
            <PickSwitch end={pickEnd} onChange={setPickEnd} />
            <div className="flex flex-col text-xs text-[var(--muted)]">
              <label htmlFor="trace-protocol">Protocol</label>
              <span className="w-24">
                <Select
                  id="trace-protocol"
                  data-testid="trace-protocol"
                  value={query.protocol}
                  onChange={(e) =>
                    setQuery((q) => ({
                      ...q,
                      protocol: e.target.value as TraceProtocol,
                      port: e.target.value === "icmp" ? "" : q.port,
                    }))
                  }
                >
                  {traceProtocols.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </Select>
              </span>
            </div>
            <label className="flex flex-col text-xs text-[var(--muted)]">
              Port
              <input
                data-testid="trace-port"
                type="number"
                min={1}
                max={65535}
                disabled={!needsPort}
                value={query.port}
                onChange={(e) => setQuery((q) => ({ ...q, port: e.target.value }))}
                className="w-24 rounded-md border border-[var(--border)] bg-[var(--bg)] px-2 py-1.5 font-mono text-sm text-[var(--fg)] disabled:opacity-50"
              />
            </label>
            <Button
              type="submit"
              variant="primary"
              data-testid="trace-explain"
              disabled={!canRun}
              busy={run.isPending && run.variables?.probe === false}
              title="Ask the hosts: routes, NAT rules, OVS flows"
            >
              Explain
            </Button>
            <Button
              data-testid="trace-probe"
              disabled={!canRun || run.isPending}
              busy={run.isPending && run.variables?.probe === true}
              onClick={() => start(true)}
              title="Send a real packet and see where it passes"
            >
              Probe
            </Button>
            <span className="ml-auto flex items-center gap-3 text-xs text-[var(--muted)]">
              <Legend />
            </span>
          </form>
          {pickHint ? (
            <p role="status" data-testid="trace-pick-hint" className="px-3 py-1 text-xs text-[var(--muted)]">
              {pickHint}
            </p>
          ) : null}
          {topologyError ? (
            <p role="alert" className="px-3 py-1 text-sm text-[var(--color-state-error)]">
              {topologyError}
            </p>
          ) : null}
          {/* On a phone the hop list goes under the graph, as the topology's panel does. */}
          <div className="flex min-h-0 flex-1 flex-col md:flex-row">
            <div
              className="relative min-h-0 min-w-0 flex-1"
              data-testid="trace-graph"
              data-ready={laid.ready}
              data-forward-edges={lit.forwardEdges}
              data-reply-edges={lit.replyEdges}
            >
              <TraceCanvas
                nodes={lit.nodes}
                edges={lit.edges}
                ready={laid.ready}
                picks={picks}
                onPick={pick}
              />
            </div>
            <aside
              className="max-h-[55%] w-full shrink-0 overflow-auto border-t border-[var(--border)] bg-[var(--panel)] md:max-h-none md:w-[26rem] md:border-t-0 md:border-l"
              data-testid="trace-panel"
            >
              {run.error ? (
                <p
                  role="alert"
                  data-testid="trace-error"
                  className="m-3 text-sm text-[var(--color-state-error)]"
                >
                  {run.error.message}
                </p>
              ) : result ? (
                <HopList result={result} topology={topology} stale={run.isPending} />
              ) : (
                <p className="m-3 text-sm text-[var(--muted)]">
                  {run.isPending
                    ? "Tracing…"
                    : "Pick where the packet starts and where it goes (search, or click on the graph), then Explain (asks the hosts) or Probe (sends a real packet)."}
                </p>
              )}
            </aside>
          </div>
        </div>
      </ReactFlowProvider>
    </TopologyActionsContext.Provider>
  );
}

const pickStyle = (d: Direction) => ({ background: TRACE_COLOR[d], color: TRACE_INK[d] });

/** Which end a click on the graph sets: a two-way switch, as a map's "directions from / to here". */
function PickSwitch({ end, onChange }: { end: End; onChange: (end: End) => void }) {
  return (
    <fieldset className="flex flex-col text-xs text-[var(--muted)]">
      <legend className="float-left">Click on graph sets</legend>
      <div className="flex overflow-hidden rounded-md border border-[var(--border)]">
        {(["from", "to"] as const).map((e) => (
          <button
            key={e}
            type="button"
            data-testid={`trace-pick-${e}`}
            aria-pressed={end === e}
            onClick={() => onChange(e)}
            className={`px-3 py-1.5 text-sm font-medium ${
              end === e ? "" : "bg-[var(--bg)] text-[var(--fg)] hover:bg-[var(--hover)]"
            }`}
            style={end === e ? pickStyle(e === "from" ? "forward" : "reply") : {}}
          >
            {e === "from" ? "From" : "To"}
          </button>
        ))}
      </div>
    </fieldset>
  );
}

function Legend() {
  return (
    <>
      <span className="flex items-center gap-1">
        <span className="inline-block h-1 w-5 rounded bg-[#2563eb]" /> forward
      </span>
      <span className="flex items-center gap-1">
        <span className="inline-block h-1 w-5 rounded border-t-2 border-dashed border-[#f59e0b]" /> reply
      </span>
      <span className="flex items-center gap-1">
        <span className="inline-block h-1 w-5 rounded bg-[#dc2626]" /> failing hop
      </span>
    </>
  );
}
