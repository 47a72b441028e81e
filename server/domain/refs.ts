// Resolving what a caller names: every `id` / `*_id` input is an ID or a unique name among what the caller sees.
import { inArray, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { Executor } from "../db/client";
import { conflict, notFound } from "./errors";
import type { Actor } from "./tx";

export type RefSpec<T> = {
  /** "Network": used in "Network X not found". */
  label: string;
  /** "networks": used in "Multiple networks match name X". */
  plural: string;
  /** Neutron's name for the not-found error, when it is not the label's words run together. */
  notFoundType?: string;
  byId(ex: Executor, id: string): Promise<T | undefined>;
  byName(ex: Executor, name: string): Promise<T[]>;
  /** Whether the actor sees the row; `ex` for a rule that reads more than the row (members and HA networks). */
  visible(row: T, actor: Actor, ex: Executor): boolean | Promise<boolean>;
};

const uuid = z.uuid();
export const isUuid = (value: string) => uuid.safeParse(value).success;

export async function resolveRef<T>(ex: Executor, actor: Actor, spec: RefSpec<T>, ref: string): Promise<T> {
  // IDs first, as the openstack CLI does; a name that happens to look like an ID still resolves by name.
  if (isUuid(ref)) {
    const row = await spec.byId(ex, ref);
    if (row && (await spec.visible(row, actor, ex))) return row;
  }
  const rows: T[] = [];
  for (const row of await spec.byName(ex, ref)) if (await spec.visible(row, actor, ex)) rows.push(row);
  const [only, ...others] = rows;
  if (!only)
    throw notFound(
      `${spec.label} ${ref} not found`,
      spec.notFoundType ?? `${spec.label.replaceAll(" ", "")}NotFound`,
    );
  if (others.length > 0) throw conflict(`Multiple ${spec.plural} match name ${ref}`);
  return only;
}

export function ownedBy(actor: Actor, projectId: string): boolean {
  return actor.role === "admin" || actor.projectIds.includes(projectId);
}

/** What a member reads in place of the agent's own words on why a resource failed. */
export const MEMBER_STATUS_MESSAGE = "The host could not apply this resource; an admin can see why";

/**
 * Where a resource lives on a host (binding:host_id, the host, its namespace's name) is for admins, as in
 * Neutron's default policy: members see those fields blanked. `hidden` is what they see instead. So is why the
 * host could not apply it: the agent's message names namespaces, devices and commands.
 */
export function hostFieldsFor<T extends { status_message: string | null }>(
  actor: Actor,
  view: T,
  hidden: Partial<T>,
): T {
  if (actor.role === "admin") return view;
  const statusMessage = view.status_message === null ? null : MEMBER_STATUS_MESSAGE;
  return { ...view, status_message: statusMessage, ...hidden };
}

/** The SQL form of `ownedBy` for list queries; undefined = no restriction. */
export function ownedScope(actor: Actor, column: PgColumn): SQL | undefined {
  return actor.role === "admin" ? undefined : inArray(column, [...actor.projectIds]);
}

/** How messages name a resource: its name when it has one, else its ID (as Neutron prints). */
export const label = (row: { id: string; name: string }) => row.name || row.id;
