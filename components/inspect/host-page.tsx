"use client";
// The Hosts page (agents online/offline, last seen, applied vs wanted revision, drift) and one host's page:
// `ovs-vsctl show`, its namespaces (addresses, routes, NAT rules), its routers' tracked connections and its
// drift, live from the agent's stream.
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { conntrackInvolves } from "@/lib/conntrack";
import type { HostSnapshot } from "@/lib/host-snapshot";
import { isIpv4 } from "@/lib/ip";
import { DataTable, PageHeader } from "../resources/table";
import { useTRPC } from "../trpc/provider";
import { Button } from "../ui/controls";
import { useToast } from "../ui/toast";
import { annotateOvsShow, filterOvsShow, type HostModel, mentions, namespaceLabel } from "./host-names";
import { type DriftItem, HIGHLIGHT_MS, useInspect, useNow } from "./use-inspect";
import {
  AddressTable,
  ConntrackTable,
  DhcpServer,
  NatRules,
  OvsShow,
  PluggedInterfaces,
  RoutesTable,
} from "./views";

function ago(iso: string | null, now: number): string {
  if (iso === null) return "never";
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  return s < 2 ? "just now" : s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

function OnlineBadge({ online, lastSeen }: { online: boolean; lastSeen: string | null }) {
  const now = useNow();
  const color = online ? "var(--color-state-active)" : "var(--color-state-error)";
  return (
    <span
      data-testid="host-status"
      data-online={online}
      className="inline-flex items-center gap-1 rounded px-1.5 py-0.5 font-mono text-[10px] font-semibold"
      style={{ color, background: `color-mix(in srgb, ${color} 14%, transparent)` }}
      title={lastSeen ?? undefined}
    >
      {online ? "● ONLINE" : `○ OFFLINE · last seen ${ago(lastSeen, now)}`}
    </span>
  );
}

export function HostsList() {
  const trpc = useTRPC();
  const hosts = useQuery(trpc.host.list.queryOptions(undefined));
  const now = useNow();
  const rows = (hosts.data ?? []).map((h) => ({ ...h, id: String(h.id) }));
  return (
    <div className="p-4">
      <PageHeader title="Hosts" />
      <DataTable
        label="Hosts"
        rows={rows}
        href={(h) => `/hosts/${encodeURIComponent(h.host ?? "")}`}
        columns={[
          { key: "host", header: "Host", cell: (h) => h.host ?? h.url, sort: (h) => h.host },
          { key: "roles", header: "Roles", cell: (h) => h.roles.join(", "), sort: (h) => h.roles.join() },
          {
            key: "tunnel",
            header: "Tunnel address",
            cell: (h) => <span className="font-mono text-xs">{h.local_ip ?? "—"}</span>,
            sort: (h) => h.local_ip,
          },
          {
            key: "mappings",
            header: "Bridge mappings",
            cell: (h) => (
              <span className="font-mono text-xs">
                {Object.entries(h.bridge_mappings)
                  .map(([physnet, bridge]) => `${physnet}:${bridge}`)
                  .join(", ")}
              </span>
            ),
          },
          { key: "routers", header: "Routers", cell: (h) => h.routers, sort: (h) => h.routers },
          { key: "instances", header: "Instances", cell: (h) => h.instances, sort: (h) => h.instances },
          {
            key: "state",
            header: "State",
            cell: (h) => <OnlineBadge online={h.online} lastSeen={h.last_seen} />,
            sort: (h) => h.online,
          },
          {
            key: "seen",
            header: "Last seen",
            cell: (h) => (h.online ? "now" : ago(h.last_seen, now)),
            sort: (h) => h.last_seen,
          },
          {
            key: "revision",
            header: "Applied / wanted",
            cell: (h) => (
              <span
                className="font-mono text-xs"
                style={
                  h.applied_revision < h.wanted_revision ? { color: "var(--color-state-pending)" } : undefined
                }
              >
                {h.applied_revision} / {h.wanted_revision}
              </span>
            ),
            sort: (h) => h.wanted_revision - h.applied_revision,
          },
          {
            key: "drift",
            header: "Drift",
            cell: (h) =>
              h.drifted > 0 ? (
                <span className="text-[var(--color-state-error)]">⚠ {h.drifted}</span>
              ) : (
                <span className="text-[var(--muted)]">none</span>
              ),
            sort: (h) => h.drifted,
          },
          {
            key: "error",
            header: "Last error",
            cell: (h) => <span className="text-xs">{h.stream_error ?? h.last_error ?? ""}</span>,
          },
        ]}
      />
    </div>
  );
}

type Tab = "ovs" | "namespaces" | "conntrack" | "plugged" | "drift";

const nsOrder = (ns: string) => (/qrouter-/.test(ns) ? 0 : /qprobe-/.test(ns) ? 1 : 2);

function namespacesOf(snapshot: HostSnapshot | undefined): string[] {
  const names = new Set<string>();
  for (const key of Object.keys(snapshot?.sections ?? {})) {
    const match = /^netns\/(.+)\/(addr|routes|nat|dhcp)$/.exec(key);
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return [...names].sort((a, b) => nsOrder(a) - nsOrder(b) || a.localeCompare(b));
}

export function RepairButton({
  target,
  label = "Repair",
}: {
  target: { id: string } | { all: true };
  label?: string;
}) {
  const trpc = useTRPC();
  const toast = useToast();
  const repair = useMutation(trpc.drift.repair.mutationOptions());
  return (
    <Button
      variant="danger"
      data-testid="repair"
      busy={repair.isPending}
      onClick={() =>
        repair.mutate(target, {
          onSuccess: (r) => toast("success", `Repairing ${r.repaired.map((x) => x.name || x.id).join(", ")}`),
          onError: (e) => toast("error", e.message),
        })
      }
    >
      {label}
    </Button>
  );
}

function DriftTable({ items }: { items: readonly DriftItem[] }) {
  if (items.length === 0)
    return <p className="text-sm text-[var(--muted)]">No drift: the host has what the model asks.</p>;
  return (
    <ul className="flex flex-col gap-2" data-testid="drift-list">
      {items.map((d) => (
        <li
          key={`${d.kind}:${d.id}`}
          data-testid="drift-item"
          data-id={d.id}
          className="rounded border border-[var(--color-state-error)]/40 p-2"
        >
          <div className="flex items-center gap-2 text-sm">
            <span className="text-[var(--color-state-error)]">⚠</span>
            <span className="font-semibold">{d.name || d.id.slice(0, 8)}</span>
            <span className="text-xs text-[var(--muted)] uppercase">{d.kind.replace("_", " ")}</span>
            <span className="text-xs text-[var(--muted)]">
              since {new Date(d.since).toLocaleTimeString()}
            </span>
            <span className="ml-auto">
              <RepairButton target={{ id: d.id }} />
            </span>
          </div>
          <ul className="mt-1 font-mono text-[11px]">
            {d.missing.map((m) => (
              <li key={`m${m.what}${m.text}`} className="text-[var(--color-state-error)]">
                − missing {m.what}: {m.text}
              </li>
            ))}
            {d.extra.map((m) => (
              <li key={`e${m.what}${m.text}`} className="text-[var(--color-state-pending)]">
                + extra {m.what}: {m.text}
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}

/** The names a host's raw ids stand for: routers, instances, networks and their ports. */
function useHostModel(): HostModel {
  const trpc = useTRPC();
  return {
    routers: useQuery(trpc.router.list.queryOptions(undefined)).data ?? [],
    servers: useQuery(trpc.server.list.queryOptions(undefined)).data ?? [],
    networks: useQuery(trpc.network.list.queryOptions(undefined)).data ?? [],
    ports: useQuery(trpc.port.list.queryOptions(undefined)).data ?? [],
  };
}

/** Only the rules that mention the filter, when some do (a namespace matched by its name shows all of them). */
function natFilter(query: string, rules: readonly { rule: string }[]) {
  const narrowed = query.trim() !== "" && rules.some((r) => mentions(query, r.rule));
  return narrowed ? { only: (rule: string) => mentions(query, rule) } : {};
}

/**
 * Each router namespace's tracked connections; the filter keeps, for an address, the connections with that
 * address in either direction (as `host inspect --address`), and otherwise those whose line mentions it.
 */
function trackedConnections(snapshot: HostSnapshot | undefined, query: string) {
  const address = isIpv4(query.trim()) ? query.trim() : null;
  return Object.values(snapshot?.sections ?? {}).flatMap((section) =>
    section?.kind === "conntrack"
      ? [
          {
            namespace: section.namespace,
            entries: section.entries.filter((e) =>
              address !== null ? conntrackInvolves(e, address) : mentions(query, e.text),
            ),
          },
        ]
      : [],
  );
}

export function HostPage({ host }: { host: string }) {
  const trpc = useTRPC();
  const { snapshots, statuses, drift, changed } = useInspect({ host });
  const hosts = useQuery(trpc.host.list.queryOptions(undefined));
  const row = hosts.data?.find((h) => h.host === host);
  const status = statuses[host];
  const snapshot = snapshots[host];
  const now = useNow(500);
  const [tab, setTab] = useState<Tab>("namespaces");
  const fresh = (key: string) => {
    const c = changed[`${host}|${key}`];
    return c !== undefined && now - c.at < HIGHLIGHT_MS ? c : undefined;
  };
  const ovs = snapshot?.sections.ovs;
  const bindings = snapshot?.sections.bindings;
  const plugged = bindings?.kind === "bindings" ? bindings.interfaces : [];
  const unbound = plugged.filter((i) => i.state !== "bound").length;
  // The host list's liveness (the agent's heartbeat within the down time), as the scheduler judges it.
  const online = row?.online ?? false;
  const model = useHostModel();
  const [query, setQuery] = useState("");
  // The filter narrows every section: namespaces that mention it (by name, owner, address, route or rule),
  // their rules to the ones that do, the ports of `ovs-vsctl show`, the drift.
  const namespaces = namespacesOf(snapshot).filter((ns) =>
    mentions(
      query,
      ns,
      namespaceLabel(model, ns),
      ...(["addr", "routes", "nat"] as const).map((k) =>
        JSON.stringify(snapshot?.sections[`netns/${ns}/${k}`]),
      ),
    ),
  );
  const shownDrift = drift.filter((d) => mentions(query, JSON.stringify(d)));
  const connections = trackedConnections(snapshot, query);
  const connectionCount = connections.reduce((n, c) => n + c.entries.length, 0);
  const tabs: { id: Tab; label: string }[] = [
    { id: "ovs", label: "ovs-vsctl show" },
    { id: "namespaces", label: `Namespaces (${namespaces.length})` },
    { id: "conntrack", label: `Connections (${connectionCount})` },
    { id: "plugged", label: `Plugged (${plugged.length}${unbound > 0 ? `, ${unbound} unbound` : ""})` },
    { id: "drift", label: `Drift (${shownDrift.length})` },
  ];
  return (
    <div className="p-4" data-testid="host-page" data-host={host}>
      <PageHeader title={`Host ${host}`}>
        <OnlineBadge online={online} lastSeen={status?.last_seen ?? row?.last_seen ?? null} />
        {row ? (
          <span className="font-mono text-xs text-[var(--muted)]" data-testid="host-revision">
            applied {row.applied_revision} / wanted {row.wanted_revision}
          </span>
        ) : null}
        {drift.length > 0 ? <RepairButton target={{ all: true }} label="Repair all" /> : null}
      </PageHeader>
      <p className="mb-2 text-xs text-[var(--muted)]">
        <Link href="/hosts" className="underline">
          Hosts
        </Link>{" "}
        · snapshot {snapshot?.seq ?? "—"} taken{" "}
        {snapshot ? new Date(snapshot.taken_at).toLocaleTimeString() : "—"}
        {status?.last_error && !online ? ` · ${status.last_error}` : ""}
      </p>
      <search className="mb-2">
        <input
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="Filter: address, name, rule…"
          aria-label="Filter the host's sections by address or name"
          data-testid="host-filter"
          className="w-72 max-w-full rounded-md border border-[var(--border)] bg-[var(--bg)] px-2 py-1.5 text-sm"
        />
      </search>
      <div role="tablist" className="mb-3 flex gap-1 border-b border-[var(--border)]">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            data-testid={`tab-${t.id}`}
            onClick={() => setTab(t.id)}
            className={`px-3 py-1.5 text-sm ${
              tab === t.id
                ? "border-b-2 border-[var(--color-kind-network)] font-medium"
                : "text-[var(--muted)] hover:text-[var(--fg)]"
            }`}
          >
            {t.label}
          </button>
        ))}
      </div>
      {snapshot === undefined ? (
        <p className="text-sm text-[var(--muted)]">Waiting for the host's snapshot…</p>
      ) : null}
      {tab === "ovs" && ovs?.kind === "ovs" ? (
        <OvsShow
          text={filterOvsShow(annotateOvsShow(model, ovs.text), query)}
          fresh={fresh("ovs") !== undefined}
        />
      ) : null}
      {tab === "drift" ? <DriftTable items={shownDrift} /> : null}
      {tab === "conntrack" && snapshot ? (
        <div className="flex flex-col gap-3">
          {connections.map(({ namespace, entries }) => (
            <section key={namespace} aria-label={`Tracked connections in ${namespace}`}>
              <h3 className="font-mono text-xs font-semibold">
                {namespaceLabel(model, namespace)} <span className="text-[var(--muted)]">conntrack -L</span>
              </h3>
              <ConntrackTable entries={entries} />
            </section>
          ))}
        </div>
      ) : null}
      {tab === "plugged" && snapshot ? <PluggedInterfaces interfaces={plugged} /> : null}
      {tab === "namespaces" && snapshot ? (
        <div className="flex flex-col gap-3">
          {namespaces.map((ns) => {
            const addr = snapshot.sections[`netns/${ns}/addr`];
            const routes = snapshot.sections[`netns/${ns}/routes`];
            const nat = snapshot.sections[`netns/${ns}/nat`];
            const dhcp = snapshot.sections[`netns/${ns}/dhcp`];
            const here = drift.filter((d) => d.namespace === ns);
            const missing = (what: string) =>
              here.flatMap((d) => d.missing.filter((m) => m.what === what).map((m) => m.text));
            const extra = here.flatMap((d) => d.extra.filter((m) => m.what === "nat").map((m) => m.text));
            const freshNat = fresh(`netns/${ns}/nat`);
            return (
              <section
                key={ns}
                data-testid="namespace"
                data-namespace={ns}
                data-drift={here.length > 0 || undefined}
                className="rounded-lg border border-[var(--border)] bg-[var(--panel)] p-2"
              >
                <h2 className="mb-1 flex flex-wrap items-center gap-2 font-mono text-sm font-semibold">
                  {ns}
                  {namespaceLabel(model, ns) ? (
                    <span className="font-sans font-normal text-[var(--muted)]" data-testid="namespace-owner">
                      {namespaceLabel(model, ns)}
                    </span>
                  ) : null}
                  {here.length > 0 ? (
                    <span className="text-xs text-[var(--color-state-error)]">⚠ drift</span>
                  ) : null}
                </h2>
                <div className="grid gap-2 lg:grid-cols-2">
                  <div className={fresh(`netns/${ns}/addr`) ? "bg-[var(--color-state-pending)]/25" : ""}>
                    <h3 className="text-xs font-semibold text-[var(--muted)]">Addresses</h3>
                    {addr?.kind === "addr" ? <AddressTable links={addr.links} /> : null}
                  </div>
                  <div className={fresh(`netns/${ns}/routes`) ? "bg-[var(--color-state-pending)]/25" : ""}>
                    <h3 className="text-xs font-semibold text-[var(--muted)]">Routes</h3>
                    {routes?.kind === "routes" ? (
                      <RoutesTable routes={routes.routes} missing={missing("route")} />
                    ) : null}
                  </div>
                </div>
                {nat?.kind === "nat" ? (
                  <div className="mt-2">
                    <h3 className="text-xs font-semibold text-[var(--muted)]">
                      NAT rules (iptables -t nat -S)
                    </h3>
                    <NatRules
                      section={nat}
                      fresh={freshNat?.rules}
                      missing={missing("nat")}
                      extra={extra}
                      {...natFilter(query, nat.rules)}
                    />
                  </div>
                ) : null}
                {dhcp?.kind === "dhcp" ? (
                  <DhcpServer section={dhcp} fresh={fresh(`netns/${ns}/dhcp`) !== undefined} />
                ) : null}
              </section>
            );
          })}
        </div>
      ) : null}
    </div>
  );
}
