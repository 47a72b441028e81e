// For tests (here and in cli/): a whole API over an in-memory database, called without HTTP or Next.
import { randomBytes } from "node:crypto";
import { count, sum } from "drizzle-orm";
import { expect } from "vitest";
import type { Role } from "../lib/schemas/auth";
import { createCaller } from "./api/root";
import { type AuthPolicy, createInnerContext, type Services, type Session } from "./api/trpc";
import { sessionOf } from "./auth/access";
import { hashPassword } from "./auth/password";
import { createDb, type Executor } from "./db/client";
import * as schema from "./db/schema";
import { ensureProject } from "./domain/projects";
import { ensureUser } from "./domain/users";
import { EventBus } from "./events";
import { seedDemo } from "./seed";
import { createTraceAgents, type TraceAgents } from "./trace/agent";

export type TestApi = Awaited<ReturnType<typeof createTestApi>>;

/** Without an agent of the test's own, a trace that gets as far as asking one fails saying so. */
const noTraceAgents = createTraceAgents(() => {
  throw new Error("This test API reaches no host agent: give createTestApi traceAgents");
});

/**
 * `caller` is the admin user `admin` (of project "admin") unless `session` says otherwise (null = anonymous).
 * Wrong passwords are answered after 20 ms instead of a second, so that tests of refusals stay quick.
 */
export async function createTestApi(
  options: {
    url?: string;
    session?: Session | null;
    demo?: boolean;
    auth?: Partial<AuthPolicy>;
    traceAgents?: TraceAgents;
  } = {},
) {
  const database = await createDb(options.url ? { url: options.url } : { dataDir: "memory" });
  const bus = new EventBus();
  const services: Services = {
    db: database.db,
    bus,
    traceAgents: options.traceAgents ?? noTraceAgents,
    auth: { failureDelayMs: 20, ...options.auth },
  };
  if (options.demo) await seedDemo(services);
  const admin = await testUser(services, "admin", "admin", "admin");
  const ctx = await createInnerContext(
    services,
    options.session === undefined ? admin.session : options.session,
  );
  return {
    caller: createCaller(ctx),
    ctx,
    services,
    db: database.db,
    bus,
    close: database.close,
    admin,
  };
}

let shared: Promise<{ password: string; passwordHash: string }> | undefined;

/** One password (hashed once) for every test user of the process: scrypt is made to be slow. */
function testPassword() {
  shared ??= (async () => {
    const password = randomBytes(12).toString("base64url");
    return { password, passwordHash: await hashPassword(password) };
  })();
  return shared;
}

/** A user with `role` on `project` (both created when missing), its password and an in-process session. */
export async function testUser(services: Services, name: string, project: string, role: Role) {
  const { id: projectId } = await ensureProject(services.db, project);
  const { password, passwordHash } = await testPassword();
  const { user } = await ensureUser(services.db, { name, password, passwordHash, projectId, role });
  const session = await sessionOf(services.db, user.id, projectId, "internal", null);
  if (!session) throw new Error(`user ${name} has no role`);
  const ctx = await createInnerContext(services, session);
  return { user, password, session, ctx, caller: createCaller(ctx) };
}

const counted = {
  projects: schema.projects,
  networks: schema.networks,
  subnets: schema.subnets,
  ports: schema.ports,
  ip_allocations: schema.ipAllocations,
  routers: schema.routers,
  router_ports: schema.routerPorts,
  floating_ips: schema.floatingIps,
  instances: schema.instances,
  users: schema.users,
  role_assignments: schema.roleAssignments,
  sessions: schema.sessions,
  api_tokens: schema.apiTokens,
};

/** Rows per table plus the hosts' wanted revisions: any write at all changes one of them. */
export async function tableCounts(db: Executor): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const [name, table] of Object.entries(counted)) {
    const [row] = await db.select({ n: count() }).from(table);
    result[name] = row?.n ?? 0;
  }
  const [revisions] = await db.select({ n: sum(schema.agents.wantedRevision) }).from(schema.agents);
  result.wanted_revisions = Number(revisions?.n ?? 0);
  return result;
}

/** The call fails with `message` and leaves the database exactly as it was. */
export async function expectRefused(api: TestApi, call: () => Promise<unknown>, message: string | RegExp) {
  const before = await tableCounts(api.db);
  await expect(call()).rejects.toThrow(message);
  expect(await tableCounts(api.db)).toEqual(before);
}
