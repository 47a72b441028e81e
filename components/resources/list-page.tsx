"use client";
// The frame of every resource list page: a title with its create buttons, then the sortable table.
import type { ReactNode } from "react";
import { type Column, DataTable, PageHeader } from "./table";

export function ListPage<T extends { id: string }>({
  title,
  create,
  rows,
  href,
  columns,
  actions,
}: {
  /** Also the table's accessible name. */
  title: string;
  /** Create buttons (admins only, as PageHeader shows them). */
  create: ReactNode;
  rows: readonly T[] | undefined;
  href: (row: T) => string;
  columns: Column<T>[];
  actions: (row: T) => ReactNode;
}) {
  return (
    <div className="p-4">
      <PageHeader title={title}>{create}</PageHeader>
      <DataTable label={title} rows={rows ?? []} href={href} columns={columns} actions={actions} />
    </div>
  );
}
