// Keystone v3, as much as OpenStack clients need to log in: version discovery, and tokens (issue by password or
// by an earlier token, validate, revoke). A Keystone token is a netlens API token (server/auth/credentials.ts):
// the same expiry, revocation and roles; its answer carries the catalog that points clients at our Neutron.
import { eq } from "drizzle-orm";
import { keystoneAuth } from "../../lib/schemas/identity";
import { issuesText } from "../api/trpc";
import { assignmentsOf, type Session, sessionOf } from "../auth/access";
import { issueToken, revokeToken, sessionFromToken } from "../auth/credentials";
import { attemptLogin } from "../auth/login";
import type { Executor } from "../db/client";
import { type ApiTokenRow, users } from "../db/schema";
import { catalog } from "./catalog";
import type { RestCall } from "./context";
import { json, noContent, RestError, readJson } from "./http";
import { DOMAIN, keystoneResources } from "./keystone";

/** Keystone's current minor version of v3 at the time of Debian 12's clients. */
const VERSION_ID = "v3.14";
const UPDATED = "2020-04-07T00:00:00Z";
/** What every token issued here is named in `netlens token list`. */
const TOKEN_NAME = "keystone";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
};

/** Keystone's error shape. */
export function keystoneError(error: RestError): Response {
  const headers: Record<string, string> =
    error.status === 401 ? { "www-authenticate": 'Keystone uri="/identity"' } : {};
  return json(
    error.status,
    { error: { code: error.status, title: TITLES[error.status] ?? "Error", message: error.message } },
    headers,
  );
}

const unauthorized = (message = "The request you have made requires authentication.") =>
  new RestError(401, "Unauthorized", message);

function version(origin: string) {
  return {
    id: VERSION_ID,
    status: "stable",
    updated: UPDATED,
    links: [{ rel: "self", href: `${origin}/identity/v3` }],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.identity-v3+json" }],
  };
}

async function tokenBody(
  ex: Executor,
  origin: string,
  session: Session,
  row: ApiTokenRow,
  methods: string[],
) {
  const project = (await assignmentsOf(ex, session.userId)).find((a) => a.projectId === session.projectId);
  return {
    token: {
      methods,
      user: { id: session.userId, name: session.user, domain: DOMAIN, password_expires_at: null },
      audit_ids: [row.id],
      issued_at: row.createdAt.toISOString(),
      expires_at: row.expiresAt.toISOString(),
      project: { id: session.projectId, name: project?.projectName ?? "", domain: DOMAIN },
      is_domain: false,
      roles: [{ id: session.role, name: session.role }],
      catalog: catalog(origin),
    },
  };
}

/** The user a password or token method proves, or a 401 (429 while the login throttle holds the name). */
async function identify(call: RestCall, identity: ReturnType<typeof keystoneAuth.parse>["auth"]["identity"]) {
  const { ctx } = call;
  if (identity.token) {
    const checked = await ctx.tokenChecks.check(ctx.db, identity.token.id);
    if (!checked.session) throw unauthorized(checked.error);
    return checked.session.userId;
  }
  const user = identity.password?.user;
  if (!user) throw unauthorized();
  const username =
    user.name ??
    (
      await ctx.db
        .select({ name: users.name })
        .from(users)
        .where(eq(users.id, user.id ?? ""))
    )[0]?.name;
  if (username === undefined) throw unauthorized();
  const attempt = await attemptLogin(ctx, {
    username,
    password: user.password,
    address: ctx.request?.address ?? "unknown",
  });
  if (attempt.waitMs > 0) {
    throw new RestError(429, "TooManyRequests", `Too many failed logins for ${username}; try again later`);
  }
  if (!attempt.user) throw unauthorized("Invalid username or password");
  return attempt.user.id;
}

async function issue(call: RestCall): Promise<Response> {
  const parsed = keystoneAuth.safeParse(await readJson(call.req));
  if (!parsed.success) throw new RestError(400, "ValidationError", issuesText(parsed.error));
  const { identity, scope } = parsed.data.auth;
  const { ctx } = call;
  const userId = await identify(call, identity);
  const assignments = await assignmentsOf(ctx.db, userId);
  // Without a scope, the user's first project (Keystone would issue an unscoped token, which netlens has not).
  const wanted = scope?.project;
  const project = wanted
    ? assignments.find(
        (a) => (wanted.id ?? a.projectId) === a.projectId && (wanted.name ?? a.projectName) === a.projectName,
      )
    : assignments[0];
  if (!project) {
    throw unauthorized(
      wanted
        ? `User has no access to project ${wanted.name ?? wanted.id}`
        : "User has no role on any project",
    );
  }
  const { row, token } = await issueToken(
    ctx.db,
    { userId, projectId: project.projectId },
    TOKEN_NAME,
    ctx.credentialPolicy,
  );
  const session = await sessionOf(ctx.db, userId, project.projectId, "token", row.id);
  if (!session) throw new Error("a user with a role has no session");
  const body = await tokenBody(ctx.db, call.origin, session, row, identity.methods);
  return json(201, body, { "x-subject-token": token });
}

/** GET, HEAD and DELETE act on X-Subject-Token, asked by X-Auth-Token: its own user, or an admin. */
async function subject(call: RestCall): Promise<Response> {
  const { ctx, req } = call;
  if (!ctx.session) throw unauthorized(ctx.authError);
  const value = req.headers.get("x-subject-token")?.trim() ?? "";
  if (value === "") throw new RestError(400, "ValidationError", "X-Subject-Token is required");
  if (req.method === "DELETE") {
    const revoked = await revokeToken(ctx.db, ctx.session, value);
    ctx.tokenChecks.forgetAll();
    if (!revoked) throw new RestError(404, "NotFound", "Could not find token");
    return noContent();
  }
  const checked = await sessionFromToken(ctx.db, value);
  if (!checked.session || (checked.session.userId !== ctx.session.userId && ctx.session.role !== "admin")) {
    throw new RestError(404, "NotFound", "Could not find token");
  }
  const body = await tokenBody(ctx.db, call.origin, checked.session, checked.row, ["token"]);
  if (req.method === "HEAD")
    return new Response(null, { status: 200, headers: { "x-subject-token": value } });
  return json(200, body, { "x-subject-token": value });
}

export async function identity(call: RestCall, path: string[]): Promise<Response> {
  const { req, origin } = call;
  const route = path.join("/");
  if (route === "" && req.method === "GET") {
    return json(300, { versions: { values: [version(origin)] } });
  }
  if (route === "v3" && req.method === "GET") return json(200, { version: version(origin) });
  if (route === "v3/auth/tokens") {
    if (req.method === "POST") return issue(call);
    if (req.method === "GET" || req.method === "HEAD" || req.method === "DELETE") return subject(call);
    throw new RestError(405, "MethodNotAllowed", `${req.method} is not allowed on /v3/auth/tokens`);
  }
  const [major, ...resource] = path;
  const answer = major === "v3" ? await keystoneResources(call, resource) : null;
  if (answer) return answer;
  throw new RestError(404, "NotFound", `Could not find ${call.url.pathname}`);
}
