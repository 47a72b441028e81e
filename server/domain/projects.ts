import { eq, sql } from "drizzle-orm";
import type { Executor } from "../db/client";
import {
  floatingIps,
  instances,
  networks,
  type ProjectRow,
  ports,
  projects,
  roleAssignments,
  routers,
  subnets,
} from "../db/schema";
import { conflict, uniqueViolation } from "./errors";
import { ownedBy, type RefSpec, resolveRef } from "./refs";
import type { Actor, Tx } from "./tx";

export const projectSpec: RefSpec<ProjectRow> = {
  label: "Project",
  plural: "projects",
  byId: async (ex, id) => (await ex.select().from(projects).where(eq(projects.id, id)))[0],
  byName: (ex, name) => ex.select().from(projects).where(eq(projects.name, name)),
  visible: (row, actor) => ownedBy(actor, row.id),
};

const projectView = (p: ProjectRow) => ({ id: p.id, name: p.name, description: p.description });
export type ProjectView = ReturnType<typeof projectView>;

/** The project a new resource belongs to: the one asked for, else the caller's. */
export async function owningProject(tx: Tx, ref: string | undefined): Promise<string> {
  if (ref === undefined) return tx.actor.projectId;
  return (await resolveRef(tx.db, tx.actor, projectSpec, ref)).id;
}

/** Idempotent: the built-in projects exist before anyone logs in. */
export async function ensureProject(ex: Executor, name: string, description = ""): Promise<ProjectRow> {
  await ex.insert(projects).values({ name, description }).onConflictDoNothing();
  const [row] = await ex.select().from(projects).where(eq(projects.name, name));
  if (!row) throw new Error(`Project ${name} vanished while being created`);
  return row;
}

export async function listProjects(ex: Executor, actor: Actor): Promise<ProjectView[]> {
  const rows = await ex.select().from(projects).orderBy(projects.createdAt);
  return rows.filter((p) => ownedBy(actor, p.id)).map(projectView);
}

export async function showProject(ex: Executor, actor: Actor, ref: string): Promise<ProjectView> {
  return projectView(await resolveRef(ex, actor, projectSpec, ref));
}

export async function createProject(
  tx: Tx,
  input: { name: string; description: string },
): Promise<ProjectView> {
  try {
    const [row] = await tx.db.insert(projects).values(input).returning();
    if (!row) throw new Error("insert returned nothing");
    tx.changed({ kind: "project", id: row.id, action: "create", project_id: row.id });
    return projectView(row);
  } catch (error) {
    if (uniqueViolation(error)) throw conflict(`Project ${input.name} already exists`);
    throw error;
  }
}

export async function deleteProject(tx: Tx, ref: string): Promise<void> {
  const project = await resolveRef(tx.db, tx.actor, projectSpec, ref);
  if (project.id === tx.actor.projectId)
    throw conflict(`Project ${project.name} is the caller's own project`);
  const owned = await Promise.all(
    [networks, subnets, ports, routers, floatingIps, instances].map(async (table) => {
      const [row] = await tx.db
        .select({ n: sql<number>`count(*)::int` })
        .from(table)
        .where(eq(table.projectId, project.id));
      return row?.n ?? 0;
    }),
  );
  if (owned.some((n) => n > 0)) {
    throw conflict(`Project ${project.name} still owns resources; delete them first`);
  }
  // Deleting a project removes its role assignments; the deployment must keep an admin somewhere.
  const admins = await tx.db
    .select({ projectId: roleAssignments.projectId })
    .from(roleAssignments)
    .where(eq(roleAssignments.role, "admin"))
    .for("update");
  if (admins.length > 0 && admins.every((a) => a.projectId === project.id)) {
    throw conflict(`Project ${project.name} holds the only admin role assignments; it cannot be deleted`);
  }
  await tx.db.delete(projects).where(eq(projects.id, project.id));
  tx.changed({ kind: "project", id: project.id, action: "delete", project_id: project.id });
}
