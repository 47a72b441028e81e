"use client";
// The Audit page (admins): every change made through the API, newest first — who (and with which token), when,
// from where, what it changed field by field, and how it ended. The filters are a GET form (next/form): they
// work before hydration, and the filtered view is an address that can be shared. New changes appear by
// themselves (the server's change events refetch what is on screen).
import { useQuery } from "@tanstack/react-query";
import Form from "next/form";
import Link from "next/link";
import { DataTable, PageHeader } from "../resources/table";
import { useTRPC } from "../trpc/provider";
import type { RouterOutputs } from "../trpc/types";
import { Button, Field, Select, TextInput } from "../ui/controls";
import { brief, changedFields } from "./changes";

/** An entry as the table holds it: its number kept for order, its ID a string as rows have. */
type Entry = Omit<RouterOutputs["audit"]["list"][number], "id"> & { id: string; seq: number };
export type AuditFilter = { user: string; resource: string; kind: string; since: string; until: string };

const KINDS = [
  "network",
  "subnet",
  "port",
  "router",
  "floating_ip",
  "server",
  "project",
  "user",
  "token",
  "session",
  "drift",
  "trace",
] as const;

/** A `datetime-local` value is the browser's local time: the API wants an instant. */
function instant(local: string): string | undefined {
  if (local === "") return undefined;
  const time = new Date(local);
  return Number.isNaN(time.getTime()) ? local : time.toISOString();
}

const orUndefined = (value: string) => (value.trim() === "" ? undefined : value.trim());

function Filters({ filter }: { filter: AuditFilter }) {
  return (
    <Form
      action="/audit"
      aria-label="Filter the audit log"
      className="mb-4 grid grid-cols-2 items-end gap-2 lg:grid-cols-6"
    >
      <Field label="User" name="user">
        {(p) => <TextInput {...p} defaultValue={filter.user} placeholder="name or ID" />}
      </Field>
      <Field label="Resource" name="resource">
        {(p) => <TextInput {...p} defaultValue={filter.resource} placeholder="name or ID" />}
      </Field>
      <Field label="Kind" name="kind">
        {(p) => (
          <Select {...p} defaultValue={filter.kind}>
            <option value="">any</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </Select>
        )}
      </Field>
      <Field label="Since" name="since">
        {(p) => <TextInput {...p} type="datetime-local" step={1} defaultValue={filter.since} />}
      </Field>
      <Field label="Until" name="until">
        {(p) => <TextInput {...p} type="datetime-local" step={1} defaultValue={filter.until} />}
      </Field>
      <div className="flex gap-2">
        <Button type="submit" variant="primary" data-testid="audit-filter">
          Filter
        </Button>
        <Link href="/audit" className="self-center text-sm text-[var(--color-kind-external)] underline">
          Clear
        </Link>
      </div>
    </Form>
  );
}

function Who({ entry }: { entry: Entry }) {
  return (
    <span title={entry.user_id ?? undefined}>
      {entry.user}
      {entry.via === "token" ? (
        <span className="text-[var(--muted)]"> · token {entry.token_name || entry.token_id}</span>
      ) : null}
    </span>
  );
}

function Changes({ entry }: { entry: Entry }) {
  if (entry.outcome === "error") {
    return (
      <span className="text-[var(--color-state-error)]" data-testid="audit-error">
        {entry.error_code}: {entry.error}
      </span>
    );
  }
  const fields = changedFields(entry.before, entry.after);
  if (entry.before === null && entry.after === null) return <span className="text-[var(--muted)]">—</span>;
  if (entry.before === null) return <span>created</span>;
  if (entry.after === null) return <span>deleted</span>;
  if (fields.length === 0) return <span className="text-[var(--muted)]">no visible change</span>;
  return (
    <ul className="font-mono text-xs">
      {fields.map((f) => (
        <li key={f.field}>
          {f.field}: {brief(f.before)} → {brief(f.after)}
        </li>
      ))}
    </ul>
  );
}

function Details({ entry }: { entry: Entry }) {
  const { input, before, after, changes, user_agent, project_id } = entry;
  return (
    <details>
      <summary className="cursor-pointer text-xs text-[var(--muted)]">details</summary>
      <pre className="mt-1 max-h-80 max-w-xl overflow-auto rounded bg-[var(--hover)] p-2 text-[11px]">
        {JSON.stringify({ input, before, after, changes, user_agent, project_id }, null, 2)}
      </pre>
    </details>
  );
}

export function AuditLog({ filter }: { filter: AuditFilter }) {
  const trpc = useTRPC();
  const log = useQuery(
    trpc.audit.list.queryOptions({
      user: orUndefined(filter.user),
      resource: orUndefined(filter.resource),
      kind: orUndefined(filter.kind),
      since: instant(filter.since),
      until: instant(filter.until),
      limit: 200,
    }),
  );
  const rows: Entry[] = (log.data ?? []).map((e) => ({ ...e, id: String(e.id), seq: e.id }));
  return (
    <div className="p-4" data-testid="audit-log" data-ready={log.isSuccess || log.isError}>
      <PageHeader title="Audit log" />
      <Filters filter={filter} />
      {log.error ? (
        <p role="alert" className="mb-2 text-sm text-[var(--color-state-error)]">
          {log.error.message}
        </p>
      ) : null}
      <DataTable
        label="Audit log"
        rows={rows}
        empty={
          log.isPending
            ? "Loading…"
            : Object.values(filter).some((v) => v !== "")
              ? "No change matches these filters."
              : "No change recorded yet."
        }
        columns={[
          {
            key: "at",
            header: "Time",
            cell: (e) => <time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time>,
            // Newest first: the table sorts by its first column, ascending.
            sort: (e) => -e.seq,
          },
          { key: "user", header: "User", cell: (e) => <Who entry={e} />, sort: (e) => e.user },
          { key: "procedure", header: "Procedure", cell: (e) => e.procedure, sort: (e) => e.procedure },
          {
            key: "resource",
            header: "Resource",
            cell: (e) =>
              e.resource_kind ? (
                <span title={e.resource_id ?? undefined}>
                  {e.resource_kind} {e.resource_name ?? e.resource_id ?? ""}
                </span>
              ) : null,
            sort: (e) => `${e.resource_kind ?? ""} ${e.resource_name ?? ""}`,
          },
          { key: "change", header: "Change", cell: (e) => <Changes entry={e} /> },
          {
            key: "from",
            header: "From",
            cell: (e) => <span title={e.user_agent ?? undefined}>{e.address ?? "in-process"}</span>,
            sort: (e) => e.address,
          },
          { key: "details", header: "", cell: (e) => <Details entry={e} /> },
        ]}
      />
    </div>
  );
}
