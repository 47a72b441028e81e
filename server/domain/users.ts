// Users and their role assignments (admin-only operations). Passwords arrive in plain text over the API and
// leave this module only as scrypt hashes.
import { and, asc, count, eq } from "drizzle-orm";
import type { z } from "zod";
import type { Role, roleAssign, roleList, roleUnassign, userCreate } from "../../lib/schemas/auth";
import type { Session } from "../auth/access";
import { revokeCredentials } from "../auth/credentials";
import { hashPassword } from "../auth/password";
import type { Executor } from "../db/client";
import { projects, roleAssignments, type UserRow, users } from "../db/schema";
import { conflict, uniqueViolation } from "./errors";
import { projectSpec } from "./projects";
import { type RefSpec, resolveRef } from "./refs";
import type { Tx } from "./tx";

/** Users are only ever resolved by admins, who see all of them. */
const userSpec: RefSpec<UserRow> = {
  label: "User",
  plural: "users",
  byId: async (ex, id) => (await ex.select().from(users).where(eq(users.id, id)))[0],
  byName: (ex, name) => ex.select().from(users).where(eq(users.name, name)),
  visible: () => true,
};

export type AssignmentView = {
  user: string;
  user_id: string;
  project: string;
  project_id: string;
  role: Role;
};

export async function listAssignments(
  ex: Executor,
  filter?: z.infer<typeof roleList>,
): Promise<AssignmentView[]> {
  const actor = { user: "", role: "admin" as const, projectId: "", projectIds: [] };
  const userId = filter?.user ? (await resolveRef(ex, actor, userSpec, filter.user)).id : undefined;
  const projectId = filter?.project
    ? (await resolveRef(ex, actor, projectSpec, filter.project)).id
    : undefined;
  return ex
    .select({
      user: users.name,
      user_id: users.id,
      project: projects.name,
      project_id: projects.id,
      role: roleAssignments.role,
    })
    .from(roleAssignments)
    .innerJoin(users, eq(users.id, roleAssignments.userId))
    .innerJoin(projects, eq(projects.id, roleAssignments.projectId))
    .where(
      and(
        userId ? eq(roleAssignments.userId, userId) : undefined,
        projectId ? eq(roleAssignments.projectId, projectId) : undefined,
      ),
    )
    .orderBy(asc(users.name), asc(projects.name));
}

export async function listUsers(ex: Executor) {
  const [rows, assignments] = await Promise.all([
    ex.select().from(users).orderBy(asc(users.createdAt)),
    listAssignments(ex),
  ]);
  return rows.map((u) => ({
    id: u.id,
    name: u.name,
    created_at: u.createdAt.toISOString(),
    roles: assignments
      .filter((a) => a.user_id === u.id)
      .map((a) => ({ project: a.project, project_id: a.project_id, role: a.role })),
  }));
}
export type UserView = Awaited<ReturnType<typeof listUsers>>[number];

async function userView(ex: Executor, id: string): Promise<UserView> {
  const view = (await listUsers(ex)).find((u) => u.id === id);
  if (!view) throw new Error("user vanished inside its own transaction");
  return view;
}

/**
 * The deployment must keep someone who can manage it. Runs after the change, inside its transaction: the
 * admin rows were locked first (`lockAdmins`), so two concurrent removals cannot both see "one left".
 */
async function checkAnAdminRemains(tx: Tx, what: string): Promise<void> {
  const [row] = await tx.db
    .select({ n: count() })
    .from(roleAssignments)
    .where(eq(roleAssignments.role, "admin"));
  if ((row?.n ?? 0) === 0) throw conflict(`${what} would leave no admin; make another user admin first`);
}

async function lockAdmins(tx: Tx): Promise<void> {
  await tx.db.select().from(roleAssignments).where(eq(roleAssignments.role, "admin")).for("update");
}

/** Creates or replaces the user's role on a project (one role per user and project; admin includes member). */
async function assign(tx: Tx, userId: string, projectId: string, role: Role): Promise<void> {
  await tx.db
    .insert(roleAssignments)
    .values({ userId, projectId, role })
    .onConflictDoUpdate({ target: [roleAssignments.userId, roleAssignments.projectId], set: { role } });
}

export async function createUser(tx: Tx, input: z.infer<typeof userCreate>): Promise<UserView> {
  const project = input.project ? await resolveRef(tx.db, tx.actor, projectSpec, input.project) : undefined;
  const passwordHash = await hashPassword(input.password);
  try {
    const [row] = await tx.db.insert(users).values({ name: input.name, passwordHash }).returning();
    if (!row) throw new Error("insert returned nothing");
    if (project && input.role) await assign(tx, row.id, project.id, input.role);
    return userView(tx.db, row.id);
  } catch (error) {
    if (uniqueViolation(error)) throw conflict(`User ${input.name} already exists`);
    throw error;
  }
}

export async function deleteUser(tx: Tx, ref: string, callerId: string): Promise<void> {
  const user = await resolveRef(tx.db, tx.actor, userSpec, ref);
  if (user.id === callerId) throw conflict(`User ${user.name} is the caller; another admin must delete it`);
  await lockAdmins(tx);
  await tx.db.delete(users).where(eq(users.id, user.id));
  await checkAnAdminRemains(tx, `Deleting user ${user.name}`);
}

/**
 * A new password ends the user's sessions and revokes their API tokens, as Keystone revokes a user's tokens:
 * whoever knew the old one must not stay in. The caller's own credential survives when they change their own.
 */
export async function setPassword(
  tx: Tx,
  ref: string,
  password: string,
  caller: Pick<Session, "userId" | "via" | "credential">,
): Promise<void> {
  const user = await resolveRef(tx.db, tx.actor, userSpec, ref);
  await tx.db
    .update(users)
    .set({ passwordHash: await hashPassword(password) })
    .where(eq(users.id, user.id));
  await revokeCredentials(tx.db, user.id, caller.userId === user.id ? caller : null);
}

export async function assignRole(tx: Tx, input: z.infer<typeof roleAssign>): Promise<AssignmentView[]> {
  const user = await resolveRef(tx.db, tx.actor, userSpec, input.user);
  const project = await resolveRef(tx.db, tx.actor, projectSpec, input.project);
  await lockAdmins(tx);
  await assign(tx, user.id, project.id, input.role);
  await checkAnAdminRemains(tx, `Making ${user.name} a member of ${project.name}`);
  return listAssignments(tx.db, { user: user.id });
}

export async function unassignRole(tx: Tx, input: z.infer<typeof roleUnassign>): Promise<void> {
  const user = await resolveRef(tx.db, tx.actor, userSpec, input.user);
  const project = await resolveRef(tx.db, tx.actor, projectSpec, input.project);
  await lockAdmins(tx);
  const removed = await tx.db
    .delete(roleAssignments)
    .where(and(eq(roleAssignments.userId, user.id), eq(roleAssignments.projectId, project.id)))
    .returning();
  if (removed.length === 0) throw conflict(`User ${user.name} has no role on project ${project.name}`);
  await checkAnAdminRemains(tx, `Removing ${user.name}'s role on ${project.name}`);
}

/** Idempotent, for start-up: the user with this role on this project, created when missing. */
export async function ensureUser(
  ex: Executor,
  spec: { name: string; password: string; projectId: string; role: Role; passwordHash?: string },
): Promise<{ user: UserRow; created: boolean }> {
  const passwordHash = spec.passwordHash ?? (await hashPassword(spec.password));
  const [created] = await ex
    .insert(users)
    .values({ name: spec.name, passwordHash })
    .onConflictDoNothing()
    .returning();
  const user = created ?? (await userSpec.byName(ex, spec.name))[0];
  if (!user) throw new Error(`User ${spec.name} vanished while being created`);
  await ex
    .insert(roleAssignments)
    .values({ userId: user.id, projectId: spec.projectId, role: spec.role })
    .onConflictDoNothing();
  return { user, created: created !== undefined };
}
