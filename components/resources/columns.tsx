"use client";
// Columns that several list pages share, so "Project" or "Status" reads and sorts the same on every page.
import { StatusBadge } from "../ui/status";
import type { Column } from "./table";

/** Addresses, ids and numbers: monospace, with a dash where Neutron has nothing. */
export const mono = (v: string | number | null | undefined) => (
  <span className="font-mono text-xs">{v ?? "—"}</span>
);
export const yes = (v: boolean) => (v ? "Yes" : "No");

/** Unnamed resources are common in Neutron: fall back to the id's first 8 characters, as the CLI does. */
export function nameColumn<T extends { id: string; name: string }>(): Column<T> {
  return { key: "name", header: "Name", cell: (r) => r.name || r.id.slice(0, 8), sort: (r) => r.name };
}

/**
 * The owning project by name, its id on hover. A tenant sees only its own projects' names: a shared or external
 * network of another project says so rather than showing a bare UUID.
 */
export function projectColumn<T extends { project_id: string }>(
  projects: Map<string, string>,
  loaded: boolean,
): Column<T> {
  const name = (r: T) => projects.get(r.project_id) ?? (loaded ? "another project" : "…");
  return {
    key: "project",
    header: "Project",
    cell: (r) => <span title={r.project_id}>{name(r)}</span>,
    sort: (r) => name(r),
  };
}

/** Status with the admin state in the badge (DOWN by choice vs DOWN by fault). */
export function statusColumn<T extends { status: string; admin_state_up: boolean }>(): Column<T> {
  return {
    key: "status",
    header: "Status",
    cell: (r) => <StatusBadge status={r.status} adminStateUp={r.admin_state_up} />,
    sort: (r) => r.status,
  };
}
