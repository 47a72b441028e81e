// Keystone v3's projects, users, roles and role assignments, as far as `openstack project|user|role ...` need
// them, over the tRPC procedures of the same names (admins only, as there). netlens has one domain (Default),
// two roles (admin, member) and one role per user and project; Keystone fields that only say so are accepted
// with those values, and refused by name otherwise.
import { isDeepStrictEqual } from "node:util";
import { type Role, roles, userCreate, userSetPassword } from "../../lib/schemas/auth";
import { projectCreate } from "../../lib/schemas/project";
import type { ProjectView } from "../domain/projects";
import type { AssignmentView } from "../domain/users";
import type { RestCall } from "./context";
import { input, json, knownFields, member, noContent, RestError, readJson } from "./http";

type Body = Record<string, unknown>;

export const DOMAIN = { id: "default", name: "Default" };

/** Keystone fields netlens has one value for: allowed with that value (dropped), refused with another. */
function fixedFields(body: Body, fixed: Record<string, unknown[]>): Body {
  const rest: Body = {};
  for (const [key, value] of Object.entries(body)) {
    const allowed = fixed[key];
    if (allowed === undefined) rest[key] = value;
    else if (!allowed.some((a) => isDeepStrictEqual(a, value))) {
      throw new RestError(400, "ValidationError", `netlens does not support ${key}=${JSON.stringify(value)}`);
    }
  }
  return rest;
}

const COMMON = { enabled: [true], options: [{}], domain_id: ["default", "Default"] };

const self = (call: RestCall, path: string) => ({ self: `${call.origin}/identity/v3/${path}` });

const projectOf = (call: RestCall, p: ProjectView) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  domain_id: DOMAIN.id,
  enabled: true,
  is_domain: false,
  parent_id: DOMAIN.id,
  tags: [],
  options: {},
  links: self(call, `projects/${p.id}`),
});

const userOf = (call: RestCall, u: { id: string; name: string }) => ({
  id: u.id,
  name: u.name,
  domain_id: DOMAIN.id,
  enabled: true,
  password_expires_at: null,
  options: {},
  links: self(call, `users/${u.id}`),
});

const roleOf = (call: RestCall, role: Role) => ({
  id: role,
  name: role,
  domain_id: null,
  description: role === "admin" ? "Changes the whole model" : "Reads its projects",
  options: {},
  links: self(call, `roles/${role}`),
});

/** A Keystone list, narrowed by `?name=` as clients look a name up. */
function collection<T extends { name: string }>(call: RestCall, key: string, items: T[]): Response {
  const name = call.url.searchParams.get("name");
  return json(200, {
    [key]: name === null ? items : items.filter((i) => i.name === name),
    links: { self: call.url.href, next: null, previous: null },
  });
}

const roleNamed = (ref: string): Role => {
  const role = roles.find((r) => r === ref);
  if (!role) throw new RestError(404, "NotFound", `Could not find role: ${ref}.`);
  return role;
};

async function userNamed(call: RestCall, ref: string) {
  const user = (await call.caller.user.list()).find((u) => u.id === ref || u.name === ref);
  if (!user) throw new RestError(404, "NotFound", `Could not find user: ${ref}.`);
  return user;
}

function assignmentOf(call: RestCall, a: AssignmentView, names: boolean) {
  const named = <T extends object>(value: T, name: string, domain = true) =>
    names ? { ...value, name, ...(domain ? { domain: DOMAIN } : {}) } : value;
  return {
    role: named({ id: a.role }, a.role, false),
    user: named({ id: a.user_id }, a.user),
    scope: { project: named({ id: a.project_id }, a.project) },
    links: {
      assignment: `${call.origin}/identity/v3/projects/${a.project_id}/users/${a.user_id}/roles/${a.role}`,
    },
  };
}

async function projects(call: RestCall, id: string | undefined, rest: string[]): Promise<Response> {
  const { req, caller } = call;
  if (id === undefined) {
    if (req.method === "GET")
      return collection(
        call,
        "projects",
        (await caller.project.list()).map((p) => projectOf(call, p)),
      );
    if (req.method !== "POST") throw notAllowed(req);
    const body = fixedFields(member(await readJson(req), "project"), {
      ...COMMON,
      tags: [[]],
      is_domain: [false],
      parent_id: ["default", null],
    });
    const project = await caller.project.create(input(projectCreate, knownFields(projectCreate, body)));
    return json(201, { project: projectOf(call, project) });
  }
  if (rest.length === 0) {
    if (req.method === "GET")
      return json(200, { project: projectOf(call, await caller.project.show({ id })) });
    if (req.method !== "DELETE") throw notAllowed(req);
    await caller.project.delete({ id });
    return noContent();
  }
  // /projects/{p}/users/{u}/roles/{r}: one role per user and project, so a grant replaces the other one.
  const [users, userRef, rolesSegment, roleRef, ...more] = rest;
  if (
    users !== "users" ||
    userRef === undefined ||
    rolesSegment !== "roles" ||
    roleRef === undefined ||
    more.length > 0
  )
    throw new RestError(404, "NotFound", `Could not find ${call.url.pathname}`);
  const role = roleNamed(roleRef);
  if (req.method === "PUT") {
    await caller.role.assign({ user: userRef, project: id, role });
    return noContent();
  }
  const [held] = await caller.role.list({ user: userRef, project: id });
  if (held?.role !== role)
    throw new RestError(404, "NotFound", `Could not find role assignment ${role} for ${userRef}`);
  if (req.method === "GET" || req.method === "HEAD") return noContent();
  if (req.method !== "DELETE") throw notAllowed(req);
  await caller.role.unassign({ user: userRef, project: id });
  return noContent();
}

async function users(call: RestCall, id: string | undefined): Promise<Response> {
  const { req, caller } = call;
  if (id === undefined) {
    if (req.method === "GET")
      return collection(
        call,
        "users",
        (await caller.user.list()).map((u) => userOf(call, u)),
      );
    if (req.method !== "POST") throw notAllowed(req);
    const body = member(await readJson(req), "user");
    if (body.default_project_id !== undefined) {
      throw new RestError(
        400,
        "ValidationError",
        "netlens has no default project: give the user a role on it (openstack role add --user U --project P member)",
      );
    }
    const user = await caller.user.create(
      input(userCreate, knownFields(userCreate, fixedFields(body, COMMON))),
    );
    return json(201, { user: userOf(call, user) });
  }
  const user = await userNamed(call, id);
  switch (req.method) {
    case "GET":
      return json(200, { user: userOf(call, user) });
    case "PATCH": {
      const body = knownFields(userSetPassword, fixedFields(member(await readJson(req), "user"), COMMON));
      if (body.password !== undefined)
        await caller.user.setPassword({ id: user.id, password: String(body.password) });
      return json(200, { user: userOf(call, user) });
    }
    case "DELETE":
      await caller.user.delete({ id: user.id });
      return noContent();
    default:
      throw notAllowed(req);
  }
}

async function assignments(call: RestCall): Promise<Response> {
  const params = call.url.searchParams;
  const user = params.get("user.id") ?? undefined;
  const project = params.get("scope.project.id") ?? undefined;
  const role = params.get("role.id");
  const names = ["true", "1", ""].includes(params.get("include_names")?.toLowerCase() ?? "false");
  const listed = (await call.caller.role.list({ user, project })).filter(
    (a) => role === null || a.role === role,
  );
  return json(200, {
    role_assignments: listed.map((a) => assignmentOf(call, a, names)),
    links: { self: call.url.href, next: null, previous: null },
  });
}

const notAllowed = (req: Request) =>
  new RestError(405, "MethodNotAllowed", `${req.method} is not allowed here`);

/** The answer for /v3/{resource}/..., or null when the path is none of these. */
export async function keystoneResources(call: RestCall, path: string[]): Promise<Response | null> {
  const [resource, id, ...rest] = path;
  const get = call.req.method === "GET";
  switch (resource) {
    case "projects":
      return projects(call, id, rest);
    case "users":
      if (rest.length > 0) return null;
      return users(call, id);
    case "roles":
      if (!get || rest.length > 0) return null;
      if (id === undefined)
        return collection(
          call,
          "roles",
          roles.map((r) => roleOf(call, r)),
        );
      return json(200, { role: roleOf(call, roleNamed(id)) });
    case "role_assignments":
      return get && id === undefined ? assignments(call) : null;
    case "domains":
      if (!get || rest.length > 0) return null;
      if (id === undefined)
        return collection(call, "domains", [
          { ...DOMAIN, enabled: true, links: self(call, "domains/default") },
        ]);
      if (id.toLowerCase() !== "default")
        throw new RestError(404, "NotFound", `Could not find domain: ${id}.`);
      return json(200, { domain: { ...DOMAIN, enabled: true, links: self(call, "domains/default") } });
    default:
      return null;
  }
}
