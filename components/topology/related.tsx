"use client";
// What hangs off the selected node (a network's subnets, a router's interfaces, an instance's floating IPs): one
// compact line each, with that line's own actions for admins.
import type { ReactNode } from "react";
import { AdminOnly } from "../auth/viewer";

/** Renders nothing when there is nothing attached, so an empty heading never shows. */
export function RelatedList<T>({
  title,
  items,
  children,
}: {
  title: string;
  items: readonly T[] | undefined;
  children: (item: T) => ReactNode;
}) {
  if (!items || items.length === 0) return null;
  return (
    <section className="mt-3">
      <h3 className="mb-1 text-xs font-semibold text-[var(--muted)] uppercase">{title}</h3>
      <ul className="flex flex-col gap-1 text-xs">{items.map(children)}</ul>
    </section>
  );
}

/** `actions` change the item: admins only (tenants have a read-only view). */
export function RelatedItem({ children, actions }: { children: ReactNode; actions: ReactNode }) {
  return (
    <li className="flex items-center gap-2 font-mono">
      <span className="flex-1">{children}</span>
      <AdminOnly>{actions}</AdminOnly>
    </li>
  );
}
