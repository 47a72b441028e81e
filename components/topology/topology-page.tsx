"use client";
// The home page: toolbar (project filter, search, create), the graph, and the side panel of the selected node.
import { useQuery } from "@tanstack/react-query";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { AdminOnly, useIsAdmin } from "../auth/viewer";
import { useDialogs } from "../forms/dialog-context";
import { useTRPC } from "../trpc/provider";
import { Button, Checkbox, Select } from "../ui/controls";
import { BenchProbe } from "./bench-probe";
import { TopologyCanvas } from "./canvas";
import { TopologyActionsContext } from "./context";
import { findNode, matchNodes, NODE_WIDTH, nodeHeight, type TopologyNode } from "./graph";
import { defaultCollapsed, filterByProject } from "./model";
import { SidePanel } from "./side-panel";
import { useTopologyLayout } from "./use-layout";
import { useTopologyData } from "./use-topology";

export function TopologyPage() {
  const trpc = useTRPC();
  const { open } = useDialogs();
  const projects = useQuery(trpc.project.list.queryOptions());
  const [projectId, setProjectId] = useState<string>();
  const { topology, error } = useTopologyData();
  const visible = useMemo(
    () => (topology ? filterByProject(topology, projectId) : undefined),
    [topology, projectId],
  );
  const [collapsedChoice, setCollapsed] = useState<ReadonlySet<string> | null>(null);
  const collapsed = useMemo<ReadonlySet<string>>(() => {
    if (collapsedChoice) return collapsedChoice;
    return visible ? defaultCollapsed(visible) : new Set<string>();
  }, [collapsedChoice, visible]);
  const toggleCollapse = useCallback(
    (id: string) =>
      setCollapsed(() => {
        const next = new Set(collapsed);
        if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      }),
    [collapsed],
  );
  const actions = useMemo(() => ({ toggleCollapse }), [toggleCollapse]);
  // One lane per host: hosts are for admins, and only they are offered the grouping (a member's topology has none).
  const isAdmin = useIsAdmin();
  const [byHostChoice, setByHost] = useState(false);
  const laid = useTopologyLayout(visible, collapsed, byHostChoice && isAdmin);
  const [selected, setSelected] = useState<string | null>(null);
  // What the search box matches as it is typed: lit on the graph before Enter picks the best.
  const [matches, setMatches] = useState<ReadonlySet<string>>(NO_MATCHES);
  const selectedNode = laid.nodes.find((n) => n.id === selected);
  // bench:ui measures this page as users get it: `/?bench=1` adds its probe (read after hydration).
  const [benched, setBenched] = useState(false);
  useEffect(() => setBenched(new URLSearchParams(window.location.search).has("bench")), []);
  const [fitted, setFitted] = useState(false);
  const onFitted = useCallback(() => setFitted(true), []);

  return (
    <TopologyActionsContext.Provider value={actions}>
      <ReactFlowProvider>
        <div className="flex h-full flex-col">
          <div className="flex flex-wrap items-center gap-2 border-b border-[var(--border)] bg-[var(--panel)] px-3 py-2">
            <h1 className="sr-only">Topology</h1>
            <label className="flex items-center gap-2 text-sm" htmlFor="project-filter">
              <span className="text-[var(--muted)]">Project</span>
            </label>
            <span className="w-44">
              <Select
                id="project-filter"
                data-testid="project-filter"
                value={projectId ?? ""}
                onChange={(e) => setProjectId(e.target.value || undefined)}
              >
                <option value="">All projects</option>
                {projects.data?.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </Select>
            </span>
            <SearchBox nodes={laid.nodes} onFound={setSelected} onMatches={setMatches} />
            <AdminOnly>
              <Checkbox
                label="Group by host"
                checked={byHostChoice}
                onChange={(e) => setByHost(e.target.checked)}
                data-testid="group-by-host"
              />
            </AdminOnly>
            <AdminOnly>
              <span className="mx-1 h-5 w-px bg-[var(--border)]" />
              <Button onClick={() => open({ type: "network-create" })} data-testid="create-network">
                + Network
              </Button>
              <Button onClick={() => open({ type: "subnet-create" })} data-testid="create-subnet">
                + Subnet
              </Button>
              <Button onClick={() => open({ type: "router-create" })} data-testid="create-router">
                + Router
              </Button>
              <Button onClick={() => open({ type: "server-create" })} data-testid="create-server">
                + Instance
              </Button>
              <Button onClick={() => open({ type: "fip-create" })} data-testid="create-fip">
                + Floating IP
              </Button>
            </AdminOnly>
            <span className="ml-auto flex items-center gap-3 text-xs text-[var(--muted)]">
              {laid.ready ? (
                <span data-testid="graph-stats">
                  {laid.nodes.length} nodes · {laid.edges.length} ports
                </span>
              ) : null}
            </span>
          </div>
          {error ? (
            <p
              role="alert"
              className="bg-[var(--color-state-error)]/10 px-3 py-1 text-sm text-[var(--color-state-error)]"
            >
              {error}
            </p>
          ) : null}
          {/* On a phone the graph fills the screen and the panel rises from the bottom as a sheet. */}
          <div className="flex min-h-0 flex-1 flex-col md:flex-row">
            <div className="relative min-h-0 min-w-0 flex-1" data-testid="topology" data-ready={laid.ready}>
              <TopologyCanvas
                laid={laid}
                selected={selected}
                matches={matches}
                onSelect={setSelected}
                onFitted={onFitted}
                arrangement={byHostChoice && isAdmin ? "lanes" : "layers"}
              />
              {benched ? <BenchProbe fitted={fitted} laid={laid} /> : null}
            </div>
            {selectedNode ? <SidePanel node={selectedNode} onClose={() => setSelected(null)} /> : null}
          </div>
        </div>
      </ReactFlowProvider>
    </TopologyActionsContext.Provider>
  );
}

const NO_MATCHES: ReadonlySet<string> = new Set();

/**
 * Search a name, id or address: every match lights up while typing; Enter centres the graph on the best one (the
 * instance holding an address before the router that NATs it) and selects it.
 */
function SearchBox({
  nodes,
  onFound,
  onMatches,
}: {
  nodes: TopologyNode[];
  onFound: (id: string) => void;
  onMatches: (ids: ReadonlySet<string>) => void;
}) {
  const { setCenter } = useReactFlow();
  const [query, setQuery] = useState("");
  const [miss, setMiss] = useState(false);
  useEffect(() => {
    onMatches(query.trim() === "" ? NO_MATCHES : new Set(matchNodes(nodes, query).map((n) => n.id)));
  }, [nodes, query, onMatches]);
  return (
    <search>
      <form
        className="flex items-center gap-1"
        onSubmit={(e) => {
          e.preventDefault();
          const node = findNode(nodes, query);
          setMiss(node === undefined);
          if (!node) return;
          onFound(node.id);
          void setCenter(
            node.position.x + NODE_WIDTH[node.type] / 2,
            node.position.y + nodeHeight(node) / 2,
            {
              zoom: 1.2,
              duration: 400,
            },
          );
        }}
      >
        <input
          type="search"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setMiss(false);
          }}
          placeholder="Find name or address…"
          aria-label="Find a name or address"
          aria-invalid={miss}
          data-testid="search"
          className="w-56 rounded-md border border-[var(--border)] bg-[var(--bg)] px-2 py-1.5 text-sm aria-invalid:border-[var(--color-state-error)]"
        />
        {miss ? <span className="text-xs text-[var(--color-state-error)]">not found</span> : null}
      </form>
    </search>
  );
}
