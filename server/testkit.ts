// For tests (here and in cli/): a whole API over a database of its own (in-memory PGlite, or in the unit-postgres
// project a copy of its migrated PostgreSQL template), called without HTTP or Next.
import { randomBytes } from "node:crypto";
import { count, sum } from "drizzle-orm";
import { expect } from "vitest";
import type { Role } from "../lib/schemas/auth";
import { createCaller } from "./api/root";
import {
  type AuthPolicy,
  type Context,
  createInnerContext,
  defaultAuthPolicy,
  type Services,
  type Session,
} from "./api/trpc";
import { sessionOf } from "./auth/access";
import { hashPassword } from "./auth/password";
import { LoginThrottle } from "./auth/throttle";
import { TokenChecks } from "./auth/token-checks";
import { createDb, type Database, type Db, type Executor, once } from "./db/client";
import * as schema from "./db/schema";
import { migratedTestDatabase } from "./db/targets";
import { defaultMtuSettings } from "./domain/mtu";
import { ensureProject } from "./domain/projects";
import { ensureUser } from "./domain/users";
import { EventBus } from "./events";
import { seedDemo } from "./seed";
import { createTraceAgents } from "./trace/agent";

export type TestUser = Awaited<ReturnType<typeof testUser>>;

export type TestApi = {
  /** The admin user `admin` (of project "admin") unless `session` said otherwise (null = anonymous). */
  caller: ReturnType<typeof createCaller>;
  ctx: Context;
  services: Services;
  db: Db;
  bus: EventBus;
  /** The database's own connections (PostgreSQL only), as `createDb` gives them. */
  connect: Database["connect"];
  /** Ends the database (PostgreSQL: the pool, then drops the database). */
  close(): Promise<void>;
  admin: TestUser;
  /**
   * The same API (database, users, login throttle) with some services replaced: the inspection or trace agents
   * of a test that runs an agent, which need this API's database and bus to be made; the MTU settings.
   */
  with(services: Partial<Pick<Services, "inspection" | "traceAgents" | "mtu">>): Promise<TestApi>;
};

/** A test API reaches no agent unless its test gives it one (`with`): a trace that gets this far fails. */
const noTraceAgents = createTraceAgents((row) => {
  const refuse = async (): Promise<never> => {
    throw new Error(`This test API reaches no agent (${row.url}): give it traceAgents`);
  };
  return { ask: refuse, probe: refuse };
});

/** The services of a test API over `db`: no inspection, no agent, wrong passwords answered after 20 ms. */
export function testServices(db: Db, policy: Partial<AuthPolicy> = {}): Services {
  const auth: AuthPolicy = { ...defaultAuthPolicy, failureDelayMs: 20, ...policy };
  return {
    db,
    bus: new EventBus(),
    inspection: null,
    loginThrottle: new LoginThrottle(auth.throttle),
    loginFailureDelayMs: auth.failureDelayMs,
    credentialPolicy: auth.credentials,
    tokenChecks: new TokenChecks(),
    traceAgents: noTraceAgents,
    mtu: defaultMtuSettings,
  };
}

/**
 * A migrated database of its own for a test: `url`'s, else this project's (in-memory PGlite in `unit`, a copy of
 * the template in `unit-postgres`). Its close also drops the copy.
 */
export async function createTestDb(url?: string): Promise<Database> {
  if (url) return createDb({ url });
  const target = await migratedTestDatabase();
  if (!target.url) return createDb({ dataDir: "memory" });
  const database = await createDb({ url: target.url });
  return { ...database, close: once(() => database.close().finally(() => target.drop())) };
}

/**
 * `caller` is the admin user `admin` (of project "admin") unless `session` says otherwise (null = anonymous).
 * Wrong passwords are answered after 20 ms instead of a second, so that tests of refusals stay quick.
 */
export async function createTestApi(
  options: { url?: string; session?: Session | null; demo?: boolean; auth?: Partial<AuthPolicy> } = {},
): Promise<TestApi> {
  const database = await createTestDb(options.url);
  const services = testServices(database.db, options.auth);
  if (options.demo) await seedDemo(services);
  const admin = await testUser(services, "admin", "admin", "admin");
  const session = options.session === undefined ? admin.session : options.session;
  const build = async (services: Services): Promise<TestApi> => {
    const ctx = await createInnerContext(services, session);
    const adminCtx = await createInnerContext(services, admin.session);
    return {
      caller: createCaller(ctx),
      ctx,
      services,
      db: services.db,
      bus: services.bus,
      connect: database.connect,
      close: database.close,
      admin: { ...admin, ctx: adminCtx, caller: createCaller(adminCtx) },
      with: (replaced) => build({ ...services, ...replaced }),
    };
  };
  return build(services);
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
  ha_router_networks: schema.haRouterNetworks,
  ha_router_vrid_allocations: schema.haRouterVridAllocations,
  ha_router_agent_port_bindings: schema.haRouterAgentPortBindings,
  floating_ips: schema.floatingIps,
  port_forwardings: schema.portForwardings,
  instances: schema.instances,
  security_groups: schema.securityGroups,
  security_group_rules: schema.securityGroupRules,
  port_security_groups: schema.portSecurityGroups,
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

/** A host's agent as it registers (server/agents/register.ts): its roles and bridge mappings, heard from now. */
export const registerHost = (
  db: Executor,
  host: string,
  roles: ("compute" | "network")[],
  bridgeMappings: Record<string, string>,
) =>
  db.insert(schema.agents).values({
    url: `http://${host}.test`,
    host,
    roles,
    localIp: null,
    bridgeMappings,
    lastSeen: new Date(),
  });
