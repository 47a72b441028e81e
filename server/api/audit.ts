// What each mutation acts on, for its audit entry (server/audit/trail.ts): the kind of resource by the
// procedure's router, the name or ID its input gives, and how the API shows that resource, read before and after
// the change with the domain's own `show` (so the entry shows what the caller would have seen).
import { eq } from "drizzle-orm";
import { REDACTED, type Subject, type View } from "../audit/trail";
import type { Session } from "../auth/access";
import { tokenView } from "../auth/credentials";
import type { Executor } from "../db/client";
import { apiTokens, users } from "../db/schema";
import { DomainError } from "../domain/errors";
import { showFloatingIp } from "../domain/floatingIps";
import { showNetwork } from "../domain/networks";
import { showPort } from "../domain/ports";
import { showProject } from "../domain/projects";
import { isUuid } from "../domain/refs";
import { showRouter } from "../domain/routers";
import { showSecurityGroup, showSecurityGroupRule } from "../domain/securityGroups";
import { showServer } from "../domain/servers";
import { showSubnet } from "../domain/subnets";
import { listUsers } from "../domain/users";

type Show = (ex: Executor, actor: Session, ref: string) => Promise<View>;

/** A `show` whose "not found" (or "which one?") is an absent image, not a failed change. */
const shown =
  (show: Show) =>
  async (ex: Executor, session: Session, ref: string): Promise<View | null> => {
    try {
      return await show(ex, session, ref);
    } catch (error) {
      if (error instanceof DomainError) return null;
      throw error;
    }
  };

const field = (name: string) => (input: Record<string, unknown>) => {
  const value = input[name];
  return typeof value === "string" ? value : undefined;
};

const model = (kind: string, show: Show): Subject => ({ kind, ref: field("id"), read: shown(show) });

async function userByRef(ex: Executor, ref: string): Promise<View | null> {
  return (await listUsers(ex)).find((u) => u.id === ref || u.name === ref) ?? null;
}

async function tokenById(ex: Executor, _session: Session, id: string): Promise<View | null> {
  if (!isUuid(id)) return null;
  const [row] = await ex
    .select({ token: apiTokens, user: users.name })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.id, id));
  return row ? tokenView(row.token, row.user) : null;
}

/** A token's ID names it; its value (which `token revoke` also takes) is the secret itself. */
const tokenId = (input: Record<string, unknown>) => {
  const id = field("id")(input);
  return id !== undefined && isUuid(id.trim()) ? id : undefined;
};

const subjects: Record<string, Subject> = {
  project: model("project", showProject),
  network: model("network", showNetwork),
  subnet: model("subnet", showSubnet),
  port: model("port", showPort),
  router: model("router", showRouter),
  floatingIp: model("floating_ip", showFloatingIp),
  securityGroup: model("security_group", showSecurityGroup),
  securityGroupRule: model("security_group_rule", showSecurityGroupRule),
  server: model("server", showServer),
  user: { kind: "user", ref: field("id"), read: (ex, _session, ref) => userByRef(ex, ref) },
  // An assignment is part of its user (the user's view lists their roles): before and after show the change.
  role: { kind: "user", ref: field("user"), read: (ex, _session, ref) => userByRef(ex, ref) },
  token: {
    kind: "token",
    ref: tokenId,
    read: tokenById,
    redact: (input) => ("id" in input && tokenId(input) === undefined ? { ...input, id: REDACTED } : input),
  },
  auth: {
    kind: "session",
    ref: () => undefined,
    caller: (result) => {
      const viewer = result as { user?: { id?: unknown; name?: unknown }; project?: { id?: unknown } } | null;
      const { id, name } = viewer?.user ?? {};
      if (typeof id !== "string" || typeof name !== "string") return null;
      const projectId = viewer?.project?.id;
      return { userId: id, userName: name, projectId: typeof projectId === "string" ? projectId : null };
    },
  },
};

/** The subject of `procedure`; routers without an entry (drift, trace, ...) name their input's `id`, if any. */
export function subjectOf(procedure: string): Subject {
  const routerName = procedure.split(".")[0] ?? procedure;
  return subjects[routerName] ?? { kind: routerName, ref: field("id") };
}
