"use client";
// The answer as a list: the verdict, then each direction's hops with where, what, the packet after it and what
// decided it (the route, the NAT rule, the OVS flow: monospace, as the host said it; a member reads it in its own
// resources' terms, without the host's names). Failing hops are red, with the diagnosis and its fix under them.
import { useEffect, useRef } from "react";
import { conntrackText } from "@/lib/conntrack";
import type { Diagnosis, Hop, TraceResult } from "@/lib/schemas/trace";
import { ownRuleText } from "@/lib/trace-rule-text";
import type { Topology } from "../topology/model";
import { type Direction, failingHops, TRACE_COLOR } from "./path";

export function HopList({
  result,
  topology,
  stale,
}: {
  result: TraceResult;
  topology: Topology | undefined;
  stale: boolean;
}) {
  const failing = failingHops(result);
  const placed = new Set(failing.keys());
  const unplaced = result.diagnoses.filter((d) => !d.hop || !placed.has(d.hop));
  const delivered = result.verdict === "delivered";
  return (
    <div className={`flex flex-col gap-3 p-3 ${stale ? "opacity-60" : ""}`} data-testid="trace-result">
      <div
        data-testid="trace-verdict"
        data-verdict={result.verdict}
        className={`rounded-md px-3 py-2 text-sm font-medium text-white ${delivered ? "bg-[var(--fill-primary)]" : "bg-[var(--fill-danger)]"}`}
      >
        {delivered ? "Delivered" : "Dropped"} · {endpointLabel(result.from)} → {endpointLabel(result.to)} ·{" "}
        {result.protocol}
        {result.port ? `/${result.port}` : ""}
        <span className="float-right text-xs font-normal">
          {result.mode} · {Math.round(result.duration_ms)} ms
        </span>
      </div>
      {result.probe ? (
        <p data-testid="trace-probe-outcome" className="text-xs text-[var(--muted)]">
          Probe: <b>{result.probe.result}</b>
          {result.probe.rtt_ms !== null ? ` in ${result.probe.rtt_ms} ms` : ""} — {result.probe.detail}
        </p>
      ) : null}
      {unplaced.map((d) => (
        <DiagnosisBox key={`${d.code}:${d.message}`} diagnosis={d} />
      ))}
      <HopSection direction="forward" hops={result.forward} failing={failing} topology={topology} />
      <HopSection direction="reply" hops={result.reply} failing={failing} topology={topology} />
    </div>
  );
}

function HopSection({
  direction,
  hops,
  failing,
  topology,
}: {
  direction: Direction;
  hops: Hop[];
  failing: Map<string, Diagnosis[]>;
  topology: Topology | undefined;
}) {
  return (
    <section data-testid={`hops-${direction}`}>
      <h2 className="mb-1 flex items-center gap-2 text-sm font-semibold">
        <span className="inline-block h-1 w-5 rounded" style={{ background: TRACE_COLOR[direction] }} />
        {direction === "forward" ? "Forward" : "Reply"}{" "}
        <span className="font-normal text-[var(--muted)]">({hops.length} hops)</span>
      </h2>
      {hops.length === 0 ? <p className="text-xs text-[var(--muted)]">No hops.</p> : null}
      <ol className="flex flex-col gap-1.5">
        {hops.map((hop, i) => {
          const key = `${direction}[${i}]`;
          const diagnoses = failing.get(key);
          return (
            <HopRow
              key={key}
              index={i}
              direction={direction}
              hop={hop}
              diagnoses={diagnoses}
              nodeName={nodeName(hop.where.node_id, topology)}
            />
          );
        })}
      </ol>
    </section>
  );
}

function HopRow({
  index,
  direction,
  hop,
  diagnoses,
  nodeName,
}: {
  index: number;
  direction: Direction;
  hop: Hop;
  diagnoses: Diagnosis[] | undefined;
  nodeName: string;
}) {
  const failed = diagnoses !== undefined;
  const row = useRef<HTMLLIElement>(null);
  // The failing hop is what the operator came for: bring it into view.
  useEffect(() => {
    if (failed) row.current?.scrollIntoView({ block: "nearest" });
  }, [failed]);
  const where = [hop.where.host, hop.where.bridge, hop.where.namespace, hop.where.interface]
    .filter(Boolean)
    .join(" / ");
  return (
    <li
      ref={row}
      data-testid="hop"
      data-direction={direction}
      data-index={index}
      data-action={hop.action}
      data-node-id={hop.where.node_id}
      data-failing={failed}
      className={`rounded-md border px-2 py-1.5 text-xs ${failed ? "border-[var(--color-state-error)] bg-[var(--color-state-error)]/10" : "border-[var(--border)]"}`}
    >
      <div className="flex items-baseline gap-2">
        <span className="text-[var(--muted)]">{index + 1}.</span>
        <span
          className={`font-semibold uppercase ${failed ? "text-[var(--color-state-error)]" : ""}`}
          data-testid="hop-action"
        >
          {hop.action}
        </span>
        {hop.vlan !== undefined ? (
          // br-int's own tag for the network on this host, not the network's segment (the graph shows that).
          <span
            className="text-[var(--muted)]"
            data-testid="hop-local-tag"
            title="The local VLAN tag Open vSwitch gives the network on br-int of this host; the network's own segment (VXLAN, VLAN) is on the graph"
          >
            local tag {hop.vlan}
          </span>
        ) : null}
        <span className="break-all">{nodeName}</span>
        <span className="ml-auto font-mono text-[var(--muted)]">
          {hop.packet.src} → {hop.packet.dst}
        </span>
      </div>
      {where ? (
        <div data-testid="hop-where" className="truncate font-mono text-[var(--muted)]">
          {where}
        </div>
      ) : null}
      <div className="mt-1 flex gap-1">
        <span className="shrink-0 rounded bg-[var(--hover)] px-1 text-[10px] uppercase text-[var(--fg)]">
          {hop.decided_by.kind.replace("_", " ")}
        </span>
        {hop.decided_by.kind === "ovs_flow" ? (
          <FlowSteps text={hop.decided_by.text} switched={hop.action === "switched"} />
        ) : (
          <pre
            data-testid="hop-rule"
            className="min-w-0 flex-1 whitespace-pre-wrap break-all font-mono text-[11px] leading-snug"
          >
            {hop.decided_by.text}
          </pre>
        )}
      </div>
      {ownRuleText(hop.rule) !== null ? (
        // The security group rule that let the packet through a port's filter, or the port forwarding it took.
        <p data-testid="hop-resource-rule" className="mt-1 text-[11px]">
          {ownRuleText(hop.rule)}
        </p>
      ) : null}
      {hop.conntrack !== undefined ? (
        // The connection's entry in the router: once it exists, it (not the nat rules) translates the
        // connection's packets and lets its replies back.
        <p
          data-testid="hop-conntrack"
          data-found={hop.conntrack.entry !== null}
          className="mt-1 flex gap-1 text-[11px]"
        >
          <span className="shrink-0 rounded bg-[var(--hover)] px-1 text-[10px] uppercase text-[var(--fg)]">
            conntrack entry
          </span>
          <span
            className={`font-mono break-all ${hop.conntrack.entry !== null && !hop.conntrack.agrees ? "text-[var(--color-state-error)]" : ""}`}
          >
            {conntrackText(hop.conntrack)}
          </span>
        </p>
      ) : null}
      {hop.probe ? (
        <div
          data-testid="hop-probe"
          className={hop.probe.seen ? "text-[var(--color-kind-network)]" : "text-[var(--color-state-error)]"}
        >
          probe: {hop.probe.seen ? "seen" : "not seen"}
          {hop.probe.evidence.length > 0 ? (
            <pre className="whitespace-pre-wrap break-all font-mono text-[10px] text-[var(--muted)]">
              {hop.probe.evidence.join("\n")}
            </pre>
          ) : null}
        </div>
      ) : null}
      {diagnoses?.map((d) => (
        <DiagnosisBox key={`${d.code}:${d.message}`} diagnosis={d} />
      ))}
    </li>
  );
}

/**
 * `ofproto/trace`'s answer: its outcome ("out: tap…") in view, the flow steps behind "details". On a hop that got
 * through, a step that ends in drop is a branch the packet did not take (a copy of a flooded frame, a patch port
 * that does not carry it): dimmed and said to be so, rather than alarming.
 */
function FlowSteps({ text, switched }: { text: string; switched: boolean }) {
  const lines = text.split("\n");
  const outcome = lines.at(-1) ?? "";
  const steps = lines.slice(0, -1);
  const dropped = (line: string) => switched && /->\s*drop\s*$/.test(line);
  // No flows to show (a member's view says what the network did in one line): the outcome alone.
  if (steps.length === 0)
    return (
      <p data-testid="hop-outcome" className="min-w-0 flex-1 font-mono text-[11px]">
        {outcome}
      </p>
    );
  return (
    <details className="min-w-0 flex-1" data-testid="hop-flows">
      <summary className="cursor-pointer font-mono text-[11px]" data-testid="hop-outcome">
        {outcome} <span className="font-sans text-[var(--muted)]">· {steps.length} flow steps</span>
      </summary>
      <pre className="font-mono text-[11px] leading-snug break-all whitespace-pre-wrap">
        {steps.map((line, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the steps of one trace, in order, never reordered
          <span key={i} className={dropped(line) ? "text-[var(--muted)]" : ""}>
            {line}
            {dropped(line) ? "  (a branch, not the way this packet went)" : ""}
            {"\n"}
          </span>
        ))}
      </pre>
    </details>
  );
}

function DiagnosisBox({ diagnosis }: { diagnosis: Diagnosis }) {
  return (
    <div
      data-testid="diagnosis"
      data-code={diagnosis.code}
      className="mt-1.5 rounded border-l-4 border-[var(--color-state-error)] bg-[var(--color-state-error)]/10 px-2 py-1 text-xs"
    >
      <div className="font-semibold text-[var(--color-state-error)]">
        <span className="font-mono">{diagnosis.code}</span>
      </div>
      <p data-testid="diagnosis-message">{diagnosis.message}</p>
      <p data-testid="diagnosis-fix" className="mt-1">
        <b>Fix:</b> <span className="font-mono">{diagnosis.fix}</span>
      </p>
    </div>
  );
}

function nodeName(id: string, topology: Topology | undefined): string {
  if (!topology) return id;
  const fip = topology.floatingIps.find((f) => f.id === id);
  if (fip) return `floating IP ${fip.floating_ip_address}`;
  const named =
    topology.instances.find((i) => i.id === id) ??
    topology.routers.find((r) => r.id === id) ??
    topology.networks.find((n) => n.id === id);
  return named?.name ?? id;
}

function endpointLabel(e: TraceResult["from"]): string {
  return e.name && e.name !== e.address ? `${e.name} (${e.address})` : e.address || e.name;
}
