// Who a user is allowed to be: their role assignments turned into the Actor the domain layer filters by.
import { asc, eq } from "drizzle-orm";
import type { Role } from "../../lib/schemas/auth";
import type { Executor } from "../db/client";
import { projects, roleAssignments, type UserRow, users } from "../db/schema";
import type { Actor } from "../domain/tx";

/** How the caller proved who they are; `internal` = a process of ours (tests, start-up), no HTTP. */
export type Via = "cookie" | "token" | "internal";

export type Session = Actor & {
  userId: string;
  via: Via;
  /** The session's digest or the token's ID: what logout and revoke remove. */
  credential: string | null;
};

export type Assignment = { projectId: string; projectName: string; role: Role };

export async function assignmentsOf(ex: Executor, userId: string): Promise<Assignment[]> {
  return ex
    .select({ projectId: projects.id, projectName: projects.name, role: roleAssignments.role })
    .from(roleAssignments)
    .innerJoin(projects, eq(projects.id, roleAssignments.projectId))
    .where(eq(roleAssignments.userId, userId))
    .orderBy(asc(projects.createdAt));
}

/**
 * The actor of a user working in `projectId` (their scope), or null when they hold no role at all.
 * Admin on any project is admin everywhere: the role means "everything", which is Keystone's own behaviour too
 * (policy `role:admin` is not scoped), here stated rather than left as a surprise. Members see every project they hold
 * a role on, so that one login covers a tenant with several projects.
 */
export function actorOf(user: UserRow, assignments: Assignment[], projectId: string | null): Actor | null {
  const scope = assignments.find((a) => a.projectId === projectId) ?? assignments[0];
  if (!scope) return null;
  return {
    user: user.name,
    role: assignments.some((a) => a.role === "admin") ? "admin" : "member",
    projectId: scope.projectId,
    projectIds: assignments.map((a) => a.projectId),
  };
}

export async function userByName(ex: Executor, name: string): Promise<UserRow | undefined> {
  return (await ex.select().from(users).where(eq(users.name, name)))[0];
}

export async function sessionOf(
  ex: Executor,
  userId: string,
  projectId: string | null,
  via: Via,
  credential: string | null,
): Promise<Session | null> {
  const [user] = await ex.select().from(users).where(eq(users.id, userId));
  if (!user) return null;
  const actor = actorOf(user, await assignmentsOf(ex, userId), projectId);
  return actor ? { ...actor, userId, via, credential } : null;
}

/** What `auth.whoami` answers and the UI shows. */
export async function viewerOf(ex: Executor, session: Session) {
  const assignments = await assignmentsOf(ex, session.userId);
  const scope = assignments.find((a) => a.projectId === session.projectId);
  return {
    user: { id: session.userId, name: session.user },
    role: session.role,
    project: { id: session.projectId, name: scope?.projectName ?? "" },
    projects: assignments.map((a) => ({ id: a.projectId, name: a.projectName, role: a.role })),
    via: session.via,
  };
}
export type Viewer = Awaited<ReturnType<typeof viewerOf>>;
