"use client";
// A sortable table: click a column header (or Enter/Space on it) to sort; aria-sort tells screen readers.
import Link from "next/link";
import { type ReactNode, useMemo, useState } from "react";
import { AdminOnly, useIsAdmin } from "../auth/viewer";
import { ScrollBox } from "../ui/scroll-box";

export type Column<T> = {
  key: string;
  header: string;
  cell: (row: T) => ReactNode;
  /** What the column sorts by; without it the column is not sortable. */
  sort?: (row: T) => string | number | boolean | null;
};

function compare(a: string | number | boolean | null, b: string | number | boolean | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === "string" && typeof b === "string") return a.localeCompare(b, "en", { numeric: true });
  return a < b ? -1 : 1;
}

export function DataTable<T extends { id: string }>({
  rows,
  columns,
  href,
  actions,
  label,
  empty = "None yet.",
}: {
  rows: readonly T[];
  columns: Column<T>[];
  href?: (row: T) => string;
  /** Controls that change the row: shown to admins only (tenants have a read-only view). */
  actions?: (row: T) => ReactNode;
  label: string;
  /** What an empty table says (a filtered one: that nothing matches). */
  empty?: ReactNode;
}) {
  const isAdmin = useIsAdmin();
  if (!isAdmin) actions = undefined;
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 }>({ key: columns[0]?.key ?? "", dir: 1 });
  const sorted = useMemo(() => {
    const col = columns.find((c) => c.key === sort.key);
    const by = col?.sort;
    if (!by) return rows;
    return [...rows].sort((a, b) => sort.dir * compare(by(a), by(b)));
  }, [rows, columns, sort]);
  return (
    <ScrollBox label={label} className="max-w-full" data-testid="table-scroll">
      <table className="w-full border-collapse text-sm" aria-label={label} data-testid="table">
        <thead>
          <tr className="border-b border-[var(--border)] text-left text-xs text-[var(--muted)]">
            {columns.map((c) => {
              const active = sort.key === c.key;
              return (
                <th
                  key={c.key}
                  scope="col"
                  className="px-2 py-2 font-medium whitespace-nowrap"
                  aria-sort={active ? (sort.dir === 1 ? "ascending" : "descending") : undefined}
                >
                  {c.sort ? (
                    <button
                      type="button"
                      className="inline-flex items-center gap-1 hover:text-[var(--fg)]"
                      onClick={() => setSort({ key: c.key, dir: active ? (sort.dir === 1 ? -1 : 1) : 1 })}
                    >
                      {c.header}
                      <span aria-hidden>{active ? (sort.dir === 1 ? "▲" : "▼") : "↕"}</span>
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
            {actions ? <th className="px-2 py-2 text-right font-medium">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr
              key={row.id}
              data-id={row.id}
              className="border-b border-[var(--border)] hover:bg-[var(--hover)]"
            >
              {columns.map((c, i) => (
                <td key={c.key} className="px-2 py-1.5 align-top">
                  {i === 0 && href ? (
                    <Link
                      href={href(row)}
                      className="font-medium text-[var(--color-kind-external)] hover:underline"
                    >
                      {c.cell(row)}
                    </Link>
                  ) : (
                    c.cell(row)
                  )}
                </td>
              ))}
              {actions ? <td className="px-2 py-1.5 text-right whitespace-nowrap">{actions(row)}</td> : null}
            </tr>
          ))}
          {sorted.length === 0 ? (
            <tr>
              <td
                colSpan={columns.length + (actions ? 1 : 0)}
                className="px-2 py-6 text-center text-[var(--muted)]"
              >
                {empty}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </ScrollBox>
  );
}

/** `children`: the page's actions (create, edit, delete), shown to admins only. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-3 flex items-center gap-2">
      <h1 className="text-lg font-semibold">{title}</h1>
      <div className="ml-auto flex gap-2">
        <AdminOnly>{children}</AdminOnly>
      </div>
    </div>
  );
}
