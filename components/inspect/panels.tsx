"use client";
// The graph's side panel, from the host's point of view: a router's namespace routes and NAT rules, an
// instance's OVS port (tag, ofport) and the rules naming its address, each floating IP's rules; drift marks on
// nodes. Admins only (a tenant sees none of a host's raw state): for anyone else nothing is asked or shown.
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { HostSnapshot, NatSection } from "@/lib/host-snapshot";
import { useIsAdmin } from "../auth/viewer";
import { useTRPC } from "../trpc/provider";
import { RepairButton } from "./host-page";
import { type DriftItem, findNamespace, HIGHLIGHT_MS, useInspect, useNow } from "./use-inspect";
import { NatRules, RoutesTable } from "./views";

/** Drifted resources by id (routers, floating IPs, instances, networks); empty for tenants. */
function useDriftIndex(): Map<string, DriftItem> {
  const trpc = useTRPC();
  const admin = useIsAdmin();
  const drift = useQuery({ ...trpc.drift.list.queryOptions(undefined), retry: false, enabled: admin });
  return useMemo(() => new Map((drift.data ?? []).map((d) => [d.id, d])), [drift.data]);
}

export function DriftMark({ id, compact = false }: { id: string; compact?: boolean }) {
  const item = useDriftIndex().get(id);
  if (item === undefined) return null;
  const what = [...item.missing.map((m) => `missing ${m.text}`), ...item.extra.map((m) => `extra ${m.text}`)];
  return (
    <span
      data-testid="drift-badge"
      title={`Drift on the host:\n${what.join("\n")}`}
      className="rounded bg-[var(--fill-danger)] px-1 font-mono text-[10px] font-semibold text-white"
    >
      ⚠{compact ? "" : " DRIFT"}
    </span>
  );
}

/** Whether a rule names this address (as -d/-s/--to-destination/--to-source). */
const naming = (address: string) => (rule: string) =>
  rule.split(" ").some((word) => word === address || word === `${address}/32`);

function hostOf(snapshots: Record<string, HostSnapshot>, suffix: string) {
  for (const snapshot of Object.values(snapshots)) {
    const ns = findNamespace(snapshot, suffix);
    if (ns !== null) return { snapshot, ns };
  }
  return null;
}

function Heading({ children }: { children: string }) {
  return <h3 className="mt-2 mb-1 text-xs font-semibold text-[var(--muted)] uppercase">{children}</h3>;
}

function useFresh(changed: Record<string, { at: number; rules: string[] }>, host: string, key: string) {
  const now = useNow(500);
  const c = changed[`${host}|${key}`];
  return c !== undefined && now - c.at < HIGHLIGHT_MS ? c.rules : [];
}

export function RouterHostPanel({ routerId, fipIds }: { routerId: string; fipIds: readonly string[] }) {
  const { snapshots, drift, changed } = useInspect({ enabled: useIsAdmin() });
  const found = hostOf(snapshots, `qrouter-${routerId}`);
  const fresh = useFresh(changed, found?.snapshot.host ?? "", `netns/${found?.ns}/nat`);
  if (found === null) return null;
  const { snapshot, ns } = found;
  const routes = snapshot.sections[`netns/${ns}/routes`];
  const nat = snapshot.sections[`netns/${ns}/nat`];
  const mine = drift.filter((d) => d.id === routerId || fipIds.includes(d.id) || d.namespace === ns);
  return (
    <section data-testid="host-panel" data-namespace={ns}>
      <Heading>{`On host ${snapshot.host}: ${ns}`}</Heading>
      {mine.length > 0 ? <RepairButton target={{ id: routerId }} label="Repair router" /> : null}
      <Heading>Routes</Heading>
      {routes?.kind === "routes" ? (
        <RoutesTable
          routes={routes.routes}
          missing={mine.flatMap((d) => d.missing.filter((m) => m.what === "route").map((m) => m.text))}
        />
      ) : null}
      <Heading>NAT rules</Heading>
      <NatRules
        section={nat?.kind === "nat" ? nat : undefined}
        fresh={fresh}
        missing={mine.flatMap((d) => d.missing.filter((m) => m.what === "nat").map((m) => m.text))}
        extra={mine.flatMap((d) => d.extra.filter((m) => m.what === "nat").map((m) => m.text))}
      />
    </section>
  );
}

export function InstanceHostPanel({
  portId,
  ip,
  floatingIps,
}: {
  portId: string;
  ip: string | null;
  floatingIps: readonly { id: string; floating: string }[];
}) {
  const { snapshots, drift } = useInspect({ enabled: useIsAdmin() });
  const tap = `tap${portId.slice(0, 11)}`;
  let port: { bridge: string; tag: number | null; ofport: number | null; host: string } | null = null;
  const nats: NatSection[] = [];
  for (const snapshot of Object.values(snapshots)) {
    for (const section of Object.values(snapshot.sections)) {
      if (section?.kind === "nat") nats.push(section);
      if (section?.kind === "ovsPorts") {
        const p = section.ports.find((x) => x.name === tap);
        if (p)
          port = {
            bridge: p.bridge,
            tag: p.tag,
            ofport: p.interfaces[0]?.ofport ?? null,
            host: snapshot.host,
          };
      }
    }
  }
  const missing = (id: string) =>
    drift
      .filter((d) => d.id === id)
      .flatMap((d) => d.missing.filter((m) => m.what === "nat").map((m) => m.text));
  if (port === null && nats.length === 0) return null;
  return (
    <section data-testid="host-panel">
      <Heading>OVS port</Heading>
      {port ? (
        <p className="font-mono text-xs" data-testid="ovs-port" data-tag={port.tag ?? ""}>
          {tap} on {port.bridge} · tag {port.tag ?? "none"} · ofport {port.ofport ?? "?"} · host {port.host}
        </p>
      ) : (
        <p className="text-xs text-[var(--color-state-error)]">{tap} is not on the host</p>
      )}
      {ip !== null ? (
        <>
          <Heading>{`NAT rules naming ${ip}`}</Heading>
          {/* Only the namespaces that have such a rule, each labelled: no empty tables from other routers. */}
          {nats.some((nat) => nat.rules.some((r) => naming(ip)(r.rule))) ? (
            nats
              .filter((nat) => nat.rules.some((r) => naming(ip)(r.rule)))
              .map((nat) => (
                <div key={nat.namespace} data-testid="nat-namespace">
                  <p className="font-mono text-[11px] text-[var(--muted)]">in {nat.namespace}</p>
                  <NatRules section={nat} only={naming(ip)} />
                </div>
              ))
          ) : (
            <p className="text-xs text-[var(--muted)]">No NAT rule names {ip}.</p>
          )}
        </>
      ) : null}
      {floatingIps.map((f) => (
        <div key={f.id}>
          <Heading>{`Floating IP ${f.floating}`}</Heading>
          {nats
            .filter((nat) => nat.rules.some((r) => naming(f.floating)(r.rule)) || missing(f.id).length > 0)
            .slice(0, 1)
            .map((nat) => (
              <NatRules key={nat.namespace} section={nat} only={naming(f.floating)} missing={missing(f.id)} />
            ))}
        </div>
      ))}
    </section>
  );
}
