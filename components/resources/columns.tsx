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

/** The owning project by name (the id until the project list has loaded). */
export function projectColumn<T extends { project_id: string }>(projects: Map<string, string>): Column<T> {
  return {
    key: "project",
    header: "Project",
    cell: (r) => projects.get(r.project_id) ?? r.project_id,
    sort: (r) => projects.get(r.project_id) ?? "",
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
