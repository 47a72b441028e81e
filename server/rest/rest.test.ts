// The OpenStack REST API (Keystone v3 tokens, Neutron v2.0) as OpenStack clients call it, over the two-project
// world of the tenancy tests: tokens by password and by token, scoped, validated and revoked; Neutron's bodies,
// codes, list queries and error types; a member sees its project only and writes nothing; refusals write nothing.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFixture, type Fixture } from "../api/fixture.testing";
import { issueToken, PRUNE_BATCH } from "../auth/credentials";
import { parseTrustedProxies } from "../auth/proxies";
import { agents, ports } from "../db/schema";
import { MEMBER_STATUS_MESSAGE } from "../domain/refs";
import { createTestApi, type TestApi, tableCounts } from "../testkit";
import { serveRest } from "./serve";

const ORIGIN = "http://netlens.test";
const PROXY = "10.0.0.1";

let api: TestApi;
let fixture: Fixture;
let admin: string;
let alice: string;

// biome-ignore lint/suspicious/noExplicitAny: the answers are another API's JSON, read field by field as clients do
type Answer = { status: number; headers: Headers; body: Record<string, any> };

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const { token, body } = options;
  const req = new Request(`${ORIGIN}${path}`, {
    method,
    headers: {
      host: "netlens.test",
      "x-netlens-peer": "192.0.2.7",
      ...(token === undefined ? {} : { "x-auth-token": token }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const res = await serveRest(req, { services: api.services, trustedProxies: parseTrustedProxies(PROXY) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? {} : JSON.parse(text) };
}

const passwordAuth = (name: string, password: string, project?: Record<string, unknown>) => ({
  auth: {
    identity: {
      methods: ["password"],
      password: { user: { name, domain: { name: "Default" }, password } },
    },
    ...(project ? { scope: { project } } : {}),
  },
});

async function tokenFor(name: string, password: string, project: string): Promise<string> {
  const answer = await call("POST", "/identity/v3/auth/tokens", {
    body: passwordAuth(name, password, { name: project, domain: { id: "default" } }),
  });
  expect(answer.status).toBe(201);
  return answer.headers.get("x-subject-token") ?? "";
}

/** The call is refused with `status` and Neutron's `type`, and nothing is written. */
async function refused(answer: () => Promise<Answer>, status: number, type: string, message?: RegExp) {
  const before = await tableCounts(api.db);
  const { status: got, body } = await answer();
  expect({ got, type: body.NeutronError?.type }).toEqual({ got: status, type });
  if (message) expect(body.NeutronError.message).toMatch(message);
  expect(await tableCounts(api.db)).toEqual(before);
  return body.NeutronError as { message: string };
}

beforeAll(async () => {
  api = await createTestApi();
  fixture = await buildFixture(api);
  admin = await tokenFor("admin", api.admin.password, "admin");
  alice = await tokenFor("alice", fixture.alicePassword, "alpha");
});
afterAll(async () => {
  await api?.close();
});

describe("Keystone v3", () => {
  it("answers version discovery with links at the origin the client used, a trusted proxy's only", async () => {
    const versions = await call("GET", "/identity");
    expect(versions.status).toBe(300);
    expect(versions.body.versions.values[0].links[0].href).toBe(`${ORIGIN}/identity/v3`);
    const proxied = { "x-forwarded-proto": "https", "x-forwarded-host": "cloud.example:8443" };
    const viaProxy = await call("GET", "/identity/v3", { headers: { ...proxied, "x-netlens-peer": PROXY } });
    expect(viaProxy.body.version.links[0].href).toBe("https://cloud.example:8443/identity/v3");
    const notProxy = await call("GET", "/identity/v3", { headers: proxied });
    expect(notProxy.body.version.links[0].href).toBe(`${ORIGIN}/identity/v3`);
  });

  it("issues a project-scoped token by password with Keystone's body and the catalog", async () => {
    const answer = await call("POST", "/identity/v3/auth/tokens", {
      body: passwordAuth("alice", fixture.alicePassword, { name: "alpha", domain: { name: "Default" } }),
    });
    expect(answer.status).toBe(201);
    const { token } = answer.body;
    expect(token.methods).toEqual(["password"]);
    expect(token.user.name).toBe("alice");
    expect(token.project.name).toBe("alpha");
    expect(token.roles).toEqual([{ id: "member", name: "member" }]);
    expect(Date.parse(token.expires_at) - Date.parse(token.issued_at)).toBe(12 * 3600_000);
    const network = token.catalog.find((s: { type: string }) => s.type === "network");
    expect(network.endpoints).toEqual([
      expect.objectContaining({ interface: "public", region_id: "RegionOne", url: `${ORIGIN}/networking` }),
    ]);
    expect(token.catalog.map((s: { type: string }) => s.type).sort()).toEqual([
      "compute",
      "identity",
      "image",
      "network",
    ]);
    // It is a netlens API token: the tRPC API lists it under its user.
    const listed = await api.caller.token.list({ all: true });
    expect(listed.some((t) => t.user === "alice" && t.name === "keystone")).toBe(true);
  });

  it("re-scopes by token and by project id; refuses projects without a role, other domains, bad passwords", async () => {
    const projects = await api.caller.project.list();
    const alpha = projects.find((p) => p.name === "alpha")?.id;
    const byToken = await call("POST", "/identity/v3/auth/tokens", {
      body: {
        auth: { identity: { methods: ["token"], token: { id: alice } }, scope: { project: { id: alpha } } },
      },
    });
    expect(byToken.status).toBe(201);
    expect(byToken.body.token.project.id).toBe(alpha);
    expect(byToken.headers.get("x-subject-token")).not.toBe(alice);

    const before = await tableCounts(api.db);
    const bravo = await call("POST", "/identity/v3/auth/tokens", {
      body: passwordAuth("alice", fixture.alicePassword, { name: "bravo" }),
    });
    expect(bravo.status).toBe(401);
    expect(bravo.body.error.message).toMatch(/no access to project bravo/);
    const wrong = await call("POST", "/identity/v3/auth/tokens", {
      body: passwordAuth("alice", "not her password"),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("x-subject-token")).toBeNull();
    const domain = await call("POST", "/identity/v3/auth/tokens", {
      body: passwordAuth("alice", fixture.alicePassword, { name: "alpha", domain: { name: "Other" } }),
    });
    expect(domain.status).toBe(400);
    expect(domain.body.error.message).toMatch(/only the Default domain/);
    expect(await tableCounts(api.db)).toEqual(before);
  });

  it("validates (GET, HEAD) and revokes (DELETE) a token; a revoked one gets 401 from Neutron", async () => {
    const subject = await tokenFor("alice", fixture.alicePassword, "alpha");
    const shown = await call("GET", "/identity/v3/auth/tokens", {
      token: alice,
      headers: { "x-subject-token": subject },
    });
    expect(shown.status).toBe(200);
    expect(shown.body.token.user.name).toBe("alice");
    const head = await call("HEAD", "/identity/v3/auth/tokens", {
      token: admin,
      headers: { "x-subject-token": subject },
    });
    expect(head.status).toBe(200);
    // Another member's token is not alice's to look at.
    const bob = await tokenFor("bob", fixture.bob.password, "bravo");
    const others = await call("GET", "/identity/v3/auth/tokens", {
      token: alice,
      headers: { "x-subject-token": bob },
    });
    expect(others.status).toBe(404);

    expect((await call("GET", "/networking/v2.0/networks", { token: subject })).status).toBe(200);
    const revoked = await call("DELETE", "/identity/v3/auth/tokens", {
      token: alice,
      headers: { "x-subject-token": subject },
    });
    expect(revoked.status).toBe(204);
    const after = await call("GET", "/networking/v2.0/networks", { token: subject });
    expect(after.status).toBe(401);
    expect(after.body.NeutronError.message).toMatch(/revoked/);
    expect(after.headers.get("www-authenticate")).toMatch(/^Keystone uri=/);
    // Nor does it validate, re-scope, or revoke twice.
    const validated = await call("GET", "/identity/v3/auth/tokens", {
      token: alice,
      headers: { "x-subject-token": subject },
    });
    expect(validated.status).toBe(404);
    const rescoped = await call("POST", "/identity/v3/auth/tokens", {
      body: { auth: { identity: { methods: ["token"], token: { id: subject } } } },
    });
    expect(rescoped.status).toBe(401);
    const again = await call("DELETE", "/identity/v3/auth/tokens", {
      token: alice,
      headers: { "x-subject-token": subject },
    });
    expect(again.status).toBe(404);
  });

  it("prunes tokens that expired over a day ago when it issues one, a batch at a time, keeping recent ones", async () => {
    const ago = (hours: number) => new Date(Date.now() - hours * 3600_000);
    const who = { userId: fixture.alice.user.id, projectId: fixture.alice.session.projectId };
    const policy = api.services.credentialPolicy;
    // Expired an hour ago: still says so. Expired 2.5 days ago: long gone.
    const recent = await issueToken(api.db, who, "recent", policy, ago(13));
    for (let i = 0; i < PRUNE_BATCH + 5; i++) await issueToken(api.db, who, "ancient", policy, ago(72));
    const named = async (name: string) =>
      (await api.caller.token.list({ all: true })).filter((t) => t.name === name).length;
    expect(await named("ancient")).toBe(PRUNE_BATCH + 5);

    await tokenFor("alice", fixture.alicePassword, "alpha");
    expect(await named("ancient")).toBe(5);
    await tokenFor("alice", fixture.alicePassword, "alpha");
    expect(await named("ancient")).toBe(0);
    expect(await named("recent")).toBe(1);
    const expired = await call("GET", "/networking/v2.0/networks", { token: recent.token });
    expect(expired.status).toBe(401);
    expect(expired.body.NeutronError.message).toMatch(/expired at/);
  });

  it("answers 401 to an expired token, saying so", async () => {
    const issuedAt = new Date(Date.now() - 13 * 3600_000);
    const { token } = await issueToken(
      api.db,
      { userId: fixture.alice.user.id, projectId: fixture.alice.session.projectId },
      "old",
      api.services.credentialPolicy,
      issuedAt,
    );
    const answer = await call("GET", "/networking/v2.0/networks", { token });
    expect(answer.status).toBe(401);
    expect(answer.body.NeutronError.message).toMatch(/expired at/);
    const rescoped = await call("POST", "/identity/v3/auth/tokens", {
      body: { auth: { identity: { methods: ["token"], token: { id: token } } } },
    });
    expect(rescoped.status).toBe(401);
  });
});

describe("Keystone projects, users and roles", () => {
  it("creates a project with Keystone's fields, finds it by name, refuses another domain", async () => {
    const created = await call("POST", "/identity/v3/projects", {
      token: admin,
      body: { project: { name: "delta", description: "d", enabled: true, options: {}, tags: [] } },
    });
    expect(created.status).toBe(201);
    expect(created.body.project).toMatchObject({ name: "delta", domain_id: "default", enabled: true });
    const found = await call("GET", "/identity/v3/projects?name=delta", { token: admin });
    expect(found.body.projects.map((p: { id: string }) => p.id)).toEqual([created.body.project.id]);
    const before = await tableCounts(api.db);
    const other = await call("POST", "/identity/v3/projects", {
      token: admin,
      body: { project: { name: "echo", domain_id: "elsewhere" } },
    });
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(/does not support domain_id="elsewhere"/);
    expect(await tableCounts(api.db)).toEqual(before);
  });

  it("grants and revokes a role; lists assignments with names; members may not list users", async () => {
    const projects = await call("GET", "/identity/v3/projects?name=charlie", { token: admin });
    const charlie = projects.body.projects[0].id;
    const bob = fixture.bob.user.id;
    const grant = await call("PUT", `/identity/v3/projects/${charlie}/users/${bob}/roles/member`, {
      token: admin,
    });
    expect(grant.status).toBe(204);
    const listed = await call("GET", `/identity/v3/role_assignments?user.id=${bob}&include_names=True`, {
      token: admin,
    });
    expect(listed.body.role_assignments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          role: { id: "member", name: "member" },
          scope: { project: { id: charlie, name: "charlie", domain: { id: "default", name: "Default" } } },
        }),
      ]),
    );
    const wrongRole = await call("DELETE", `/identity/v3/projects/${charlie}/users/${bob}/roles/admin`, {
      token: admin,
    });
    expect(wrongRole.status).toBe(404);
    const revoke = await call("DELETE", `/identity/v3/projects/${charlie}/users/${bob}/roles/member`, {
      token: admin,
    });
    expect(revoke.status).toBe(204);
    expect(await api.caller.role.list({ user: "bob", project: "charlie" })).toEqual([]);
    const users = await call("GET", "/identity/v3/users", { token: alice });
    expect(users.status).toBe(403);
  });
});

describe("Neutron v2.0", () => {
  it("answers its version documents without a token, and nothing else", async () => {
    expect((await call("GET", "/networking")).body.versions[0].id).toBe("v2.0");
    const resources = await call("GET", "/networking/v2.0");
    expect(resources.body.resources.map((r: { collection: string }) => r.collection)).toContain(
      "floatingips",
    );
    await refused(() => call("GET", "/networking/v2.0/networks"), 401, "HTTPUnauthorized");
    await refused(
      () => call("GET", "/networking/v2.0/networks", { token: "not-a-token" }),
      401,
      "HTTPUnauthorized",
    );
  });

  it("lists only the extensions netlens implements", async () => {
    const { body } = await call("GET", "/networking/v2.0/extensions", { token: alice });
    const aliases = body.extensions.map((e: { alias: string }) => e.alias);
    expect(aliases).toEqual(
      expect.arrayContaining([
        "router",
        "external-net",
        "extraroute",
        "ext-gw-mode",
        "provider",
        "security-group",
      ]),
    );
    expect(aliases).not.toContain("qos");
    expect((await call("GET", "/networking/v2.0/extensions/qos", { token: alice })).status).toBe(404);
    // Listed now that it is served (below).
    expect(
      (await call("GET", "/networking/v2.0/extensions/floating-ip-port-forwarding", { token: alice })).body
        .extension.alias,
    ).toBe("floating-ip-port-forwarding");
  });

  it("shows a member its project, shared and external networks; another project's is NetworkNotFound", async () => {
    const { body } = await call("GET", "/networking/v2.0/networks?fields=name&fields=id", { token: alice });
    const names = body.networks.map((n: { name: string }) => n.name);
    expect(names).toEqual(expect.arrayContaining(["net-a", "public", "common-shared"]));
    expect(names).not.toContain("bravo-secret-net");
    expect(Object.keys(body.networks[0]).sort()).toEqual(["id", "name"]);
    const [secret] = await api.caller.network.list({ project_id: "bravo" });
    await refused(
      () => call("GET", `/networking/v2.0/networks/${secret?.id}`, { token: alice }),
      404,
      "NetworkNotFound",
    );
    await refused(
      () => call("DELETE", `/networking/v2.0/networks/${secret?.id}`, { token: alice }),
      403,
      "PolicyNotAuthorized",
    );
  });

  it("refuses a member's writes with 403, writing nothing", async () => {
    await refused(
      () => call("POST", "/networking/v2.0/networks", { token: alice, body: { network: { name: "mine" } } }),
      403,
      "PolicyNotAuthorized",
      /Only admins/,
    );
  });

  it("creates with 201 and Neutron's body; accepts tenant_id; deletes with 204", async () => {
    const created = await call("POST", "/networking/v2.0/networks", {
      token: admin,
      body: { network: { name: "rest-net", tenant_id: "alpha", admin_state_up: true } },
    });
    expect(created.status).toBe(201);
    const alpha = (await api.caller.project.show({ id: "alpha" })).id;
    expect(created.body.network).toMatchObject({
      name: "rest-net",
      project_id: alpha,
      "router:external": false,
    });
    const renamed = await call("PUT", `/networking/v2.0/networks/${created.body.network.id}`, {
      token: admin,
      body: { network: { name: "rest-net-2" } },
    });
    expect(renamed.body.network.name).toBe("rest-net-2");
    const gone = await call("DELETE", `/networking/v2.0/networks/${created.body.network.id}`, {
      token: admin,
    });
    expect(gone.status).toBe(204);
    expect((await api.caller.network.list(undefined)).some((n) => n.name.startsWith("rest-net"))).toBe(false);
  });

  it("refuses unknown fields by name, bad JSON, a wrong content type and a missing wrapper, writing nothing", async () => {
    const post =
      (body: unknown, headers: Record<string, string> = {}) =>
      () =>
        call("POST", "/networking/v2.0/networks", { token: admin, body, headers });
    await refused(
      post({ network: { name: "x", colour: "red" } }),
      400,
      "HTTPBadRequest",
      /Unrecognized attribute\(s\) 'colour'/,
    );
    await refused(post('{"network": {"name": "x"'), 400, "MalformedRequestBody");
    await refused(
      post({ network: { name: "x" } }, { "content-type": "text/plain" }),
      400,
      "InvalidContentType",
    );
    await refused(post({ name: "x" }), 400, "HTTPBadRequest", /Unable to find 'network' in request body/);
    await refused(post({ network: { name: "bad\u001b[31m" } }), 400, "HTTPBadRequest", /control characters/);
    await refused(
      post({ network: { name: "x", "provider:network_type": "flat" } }),
      400,
      "InvalidInput",
      /physical_network required for flat provider network/,
    );
  });

  it("refuses updates with unknown fields, control characters or bad JSON by name, writing nothing", async () => {
    const [port] = await api.caller.port.list({ network_id: "net-a" });
    const put =
      (body: unknown, headers: Record<string, string> = {}) =>
      () =>
        call("PUT", `/networking/v2.0/ports/${port?.id}`, { token: admin, body, headers });
    const error = await refused(
      put({ port: { name: "x", colour: "red", size: 2 } }),
      400,
      "HTTPBadRequest",
      /Unrecognized attribute\(s\) 'colour, size'/,
    );
    expect(error).toHaveProperty("detail");
    await refused(put({ port: { name: "tab\there" } }), 400, "HTTPBadRequest", /control characters/);
    await refused(put({ port: { name: "bell\u0007" } }), 400, "HTTPBadRequest", /control characters/);
    await refused(put("[1, 2"), 400, "MalformedRequestBody");
    await refused(put(["port"]), 400, "MalformedRequestBody", /must be a JSON object/);
    await refused(
      put({ port: { name: "x" } }, { "content-type": "application/x-www-form-urlencoded" }),
      400,
      "InvalidContentType",
    );
    await refused(
      () => call("POST", "/networking/v2.0/routers", { token: admin, body: { router: { name: "r\u0000" } } }),
      400,
      "HTTPBadRequest",
      /control characters/,
    );
    expect((await api.caller.port.show({ id: port?.id ?? "" })).name).toBe(port?.name);
  });

  it("refuses expired and revoked tokens with 401, and another project's resources as not found, writing nothing", async () => {
    const who = { userId: fixture.alice.user.id, projectId: fixture.alice.session.projectId };
    const policy = api.services.credentialPolicy;
    const { token: expired } = await issueToken(
      api.db,
      who,
      "old",
      policy,
      new Date(Date.now() - 13 * 3600_000),
    );
    const revoked = await tokenFor("alice", fixture.alicePassword, "alpha");
    await call("DELETE", "/identity/v3/auth/tokens", {
      token: revoked,
      headers: { "x-subject-token": revoked },
    });
    for (const [token, words] of [
      [expired, /expired at/],
      [revoked, /revoked/],
      ["not-a-token", /revoked/],
    ] as const) {
      await refused(
        () => call("POST", "/networking/v2.0/networks", { token, body: { network: { name: "n" } } }),
        401,
        "HTTPUnauthorized",
        words,
      );
      await refused(() => call("GET", "/networking/v2.0/ports", { token }), 401, "HTTPUnauthorized", words);
    }

    // alice's token is scoped to alpha: bravo's resources do not exist for it, and it writes nothing there.
    const [secretPort] = await api.caller.port.list({ project_id: "bravo" });
    const [secretSubnet] = await api.caller.subnet.list({ project_id: "bravo" });
    const [secretRouter] = await api.caller.router.list({ project_id: "bravo" });
    for (const [singular, id, type] of [
      ["port", secretPort?.id, "PortNotFound"],
      ["subnet", secretSubnet?.id, "SubnetNotFound"],
      ["router", secretRouter?.id, "RouterNotFound"],
    ] as const) {
      const path = `/networking/v2.0/${singular}s/${id}`;
      await refused(() => call("GET", path, { token: alice }), 404, type);
      const body = { [singular]: { name: "mine" } };
      await refused(() => call("PUT", path, { token: alice, body }), 403, "PolicyNotAuthorized");
    }
    await refused(
      () =>
        call("POST", "/networking/v2.0/ports", {
          token: alice,
          body: { port: { network_id: secretPort?.network_id, tenant_id: "bravo" } },
        }),
      403,
      "PolicyNotAuthorized",
    );
    const listed = await call("GET", `/networking/v2.0/ports?project_id=${secretPort?.project_id}`, {
      token: alice,
    });
    expect(listed.body.ports).toEqual([]);
  });

  it("takes mtu on POST and PUT within its bounds, and refuses it outside them with InvalidInput", async () => {
    const created = await call("POST", "/networking/v2.0/networks", {
      token: admin,
      body: { network: { name: "rest-mtu", mtu: 1400 } },
    });
    expect([created.status, created.body.network.mtu]).toEqual([201, 1400]);
    const path = `/networking/v2.0/networks/${created.body.network.id}`;
    const put = (mtu: number) => () => call("PUT", path, { token: admin, body: { network: { mtu } } });
    expect((await put(1450)()).body.network.mtu).toBe(1450);
    // The openstack CLI sends `--mtu` as a string, which Neutron converts.
    const asString = await call("PUT", path, { token: admin, body: { network: { mtu: "1440" } } });
    expect(asString.body.network.mtu).toBe(1440);
    await refused(put(1451), 400, "InvalidInput", /^Requested MTU is too big, maximum is 1450$/);
    await refused(put(67), 400, "InvalidInput", /^Requested MTU is too small, minimum is 68$/);
    await refused(
      () =>
        call("POST", "/networking/v2.0/networks", {
          token: admin,
          body: { network: { name: "x", mtu: 9000 } },
        }),
      400,
      "InvalidInput",
      /maximum is 1450/,
    );
    expect((await call("GET", path, { token: admin })).body.network.mtu).toBe(1440);
    expect((await call("DELETE", path, { token: admin })).status).toBe(204);
  });

  it("filters by any attribute, sorts, pages with limit and marker and a next link", async () => {
    const get = async (query: string) =>
      (await call("GET", `/networking/v2.0/networks?${query}`, { token: admin })).body;
    expect((await get("name=net-a")).networks.map((n: { name: string }) => n.name)).toEqual(["net-a"]);
    expect((await get("name=nothing-so-named")).networks).toEqual([]);
    const external = await get("router%3Aexternal=True");
    expect(external.networks.map((n: { name: string }) => n.name)).toEqual(["public"]);
    const either = await get("name=net-a&name=public&sort_key=name&sort_dir=desc");
    expect(either.networks.map((n: { name: string }) => n.name)).toEqual(["public", "net-a"]);
    const first = await get("sort_key=name&limit=2");
    expect(first.networks).toHaveLength(2);
    const next = new URL(first.networks_links[0].href);
    expect(next.searchParams.get("marker")).toBe(first.networks[1].id);
    const second = await get(next.searchParams.toString());
    expect(second.networks[0].name > first.networks[1].name).toBe(true);
    const unknown = await call("GET", "/networking/v2.0/networks?colour=red", { token: admin });
    expect(unknown.status).toBe(400);
    expect(unknown.body.NeutronError.message).toMatch(/colour/);

    const ports = await call("GET", "/networking/v2.0/ports?device_owner=network%3Arouter_gateway", {
      token: admin,
    });
    expect(ports.body.ports.length).toBeGreaterThan(0);
    const ip = ports.body.ports[0].fixed_ips[0].ip_address;
    const byIp = await call("GET", `/networking/v2.0/ports?fixed_ips=ip_address%3D${ip}`, { token: admin });
    expect(byIp.body.ports.map((p: { id: string }) => p.id)).toEqual([ports.body.ports[0].id]);
  });

  it("lists ports as the database writes them the same as through a query: escaped names, ISO times, a member's hidden fields", async () => {
    const name = `q"uote \\ back ☃ 'single'`;
    const made = await api.caller.port.create({ name, network_id: "net-a", project_id: "alpha" });
    await api.services.db
      .update(ports)
      .set({ hostId: "host-9", status: "ERROR", statusMessage: 'failed: "x"' })
      .where(eq(ports.id, made.id));
    const [row] = await api.services.db.select().from(ports).where(eq(ports.id, made.id));
    for (const [token, hostId, statusMessage] of [
      [admin, "host-9", 'failed: "x"'],
      [alice, "", MEMBER_STATUS_MESSAGE],
    ] as const) {
      // No query: the database's text as it is; limit=0 (no limit): the views through the list query.
      const whole = await call("GET", "/networking/v2.0/ports", { token });
      const queried = await call("GET", "/networking/v2.0/ports?limit=0", { token });
      expect(whole.status).toBe(200);
      expect(whole.headers.get("content-type")).toBe("application/json");
      expect(whole.body).toEqual(queried.body);
      const port = whole.body.ports.find((p: { id: string }) => p.id === made.id);
      expect(port).toMatchObject({
        name,
        "binding:host_id": hostId,
        status_message: statusMessage,
        created_at: row?.createdAt.toISOString(),
        updated_at: row?.updatedAt.toISOString(),
        fixed_ips: made.fixed_ips,
        security_groups: made.security_groups,
        allowed_address_pairs: [],
      });
    }
    await api.caller.port.delete({ id: made.id });
  });

  it("adds and removes a router interface with Neutron's answer", async () => {
    const router = (await api.caller.router.show({ id: "spare-router-a" })).id;
    const subnet = await api.caller.subnet.show({ id: "spare-subnet-a" });
    const added = await call("PUT", `/networking/v2.0/routers/${router}/add_router_interface`, {
      token: admin,
      body: { subnet_id: subnet.id },
    });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ id: router, subnet_id: subnet.id, network_id: subnet.network_id });
    const removed = await call("PUT", `/networking/v2.0/routers/${router}/remove_router_interface`, {
      token: admin,
      body: { subnet_id: subnet.id },
    });
    expect(removed.body.port_id).toBe(added.body.port_id);
    expect((await api.caller.router.show({ id: router })).interfaces).toEqual([]);
  });

  it("answers Neutron's error types: not found, no address left, no router to the floating network", async () => {
    await refused(
      () =>
        call("POST", "/networking/v2.0/subnets", {
          token: admin,
          body: {
            subnet: { network_id: "00000000-0000-4000-8000-000000000000", cidr: "10.9.0.0/24", name: "" },
          },
        }),
      404,
      "NetworkNotFound",
    );
    const ext = await call("POST", "/networking/v2.0/networks", {
      token: admin,
      body: {
        network: {
          name: "tiny-ext",
          "router:external": true,
          "provider:network_type": "flat",
          "provider:physical_network": "tiny",
        },
      },
    });
    await call("POST", "/networking/v2.0/subnets", {
      token: admin,
      body: {
        subnet: {
          name: "tiny",
          network_id: ext.body.network.id,
          cidr: "198.51.100.0/29",
          allocation_pools: [{ start: "198.51.100.2", end: "198.51.100.2" }],
          // A DHCP port would take the pool's one address.
          enable_dhcp: false,
        },
      },
    });
    const fip = { floatingip: { floating_network_id: ext.body.network.id } };
    expect((await call("POST", "/networking/v2.0/floatingips", { token: admin, body: fip })).status).toBe(
      201,
    );
    await refused(
      () => call("POST", "/networking/v2.0/floatingips", { token: admin, body: fip }),
      409,
      "IpAddressGenerationFailure",
    );
    // A port on a network no router joins to the external network.
    const port = await api.caller.port.create({ name: "lonely", network_id: "empty-net-a" });
    const [free] = (
      await call("GET", `/networking/v2.0/floatingips?floating_network_id=${ext.body.network.id}`, {
        token: admin,
      })
    ).body.floatingips;
    await refused(
      () =>
        call("PUT", `/networking/v2.0/floatingips/${free.id}`, {
          token: admin,
          body: { floatingip: { port_id: port.id } },
        }),
      400,
      "ExternalGatewayForFloatingIPNotFound",
      /is not reachable from subnet/,
    );
  });
});

describe("Neutron floating IP port forwardings", () => {
  it("creates (201), lists, shows, updates and deletes (204) under the floating IP, with Neutron's errors", async () => {
    const fip = await api.caller.floatingIp.create({ floating_network_id: "public", project_id: "alpha" });
    const vm = await api.caller.server.show({ id: "vm2-a" });
    const ip = Object.values(vm.addresses)[0]?.[0] ?? "";
    const base = `/networking/v2.0/floatingips/${fip.id}/port_forwardings`;
    const body = {
      port_forwarding: {
        internal_port_id: vm.port_id,
        internal_ip_address: ip,
        internal_port: 8080,
        external_port: 9000,
        protocol: "tcp",
      },
    };
    const created = await call("POST", base, { token: admin, body });
    expect(created.status).toBe(201);
    expect(created.body.port_forwarding).toMatchObject({ internal_port: 8080, external_port: 9000 });
    const id = created.body.port_forwarding.id;
    // A member of the project reads it; another project's floating IP is not found.
    expect((await call("GET", base, { token: alice })).body.port_forwardings).toEqual([
      created.body.port_forwarding,
    ]);
    expect((await call("GET", `${base}/${id}`, { token: alice })).body.port_forwarding.id).toBe(id);
    await refused(() => call("POST", base, { token: alice, body }), 403, "PolicyNotAuthorized");
    await refused(
      () => call("POST", base, { token: admin, body }),
      400,
      "BadRequest",
      /duplicate port forwarding/,
    );
    await refused(
      () =>
        call("POST", base, {
          token: admin,
          body: { port_forwarding: { ...body.port_forwarding, bogus: 1 } },
        }),
      400,
      "HTTPBadRequest",
      /Unrecognized attribute\(s\) 'bogus'/,
    );
    const put = await call("PUT", `${base}/${id}`, {
      token: admin,
      body: { port_forwarding: { external_port: 9001 } },
    });
    expect(put.body.port_forwarding.external_port).toBe(9001);
    // Associating it with a port now is Neutron's FipInUseByPortForwarding.
    await refused(
      () =>
        call("PUT", `/networking/v2.0/floatingips/${fip.id}`, {
          token: admin,
          body: { floatingip: { port_id: vm.port_id } },
        }),
      409,
      "FipInUseByPortForwarding",
    );
    expect((await call("DELETE", `${base}/${id}`, { token: admin })).status).toBe(204);
    await refused(() => call("GET", `${base}/${id}`, { token: admin }), 404, "PortForwardingNotFound");
  });
});

describe("Neutron security groups", () => {
  const sg = "/networking/v2.0/security-groups";
  const rules = "/networking/v2.0/security-group-rules";

  it("creates a group with its egress rule, adds rules as openstack sends them, shows and lists them", async () => {
    const created = await call("POST", sg, {
      token: admin,
      body: {
        security_group: {
          name: "rest-web",
          description: "web",
          tenant_id: (await api.caller.project.show({ id: "alpha" })).id,
        },
      },
    });
    expect(created.status).toBe(201);
    const group = created.body.security_group;
    expect(group).toMatchObject({
      name: "rest-web",
      stateful: true,
      security_group_rules: [{ direction: "egress", ethertype: "IPv4", protocol: null }],
    });
    // What `openstack security group rule create --protocol tcp --dst-port 22 rest-web` sends.
    const body = {
      security_group_rule: {
        security_group_id: group.id,
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        port_range_min: 22,
        port_range_max: 22,
        remote_ip_prefix: "0.0.0.0/0",
      },
    };
    const rule = await call("POST", rules, { token: admin, body });
    expect(rule.status).toBe(201);
    expect(rule.body.security_group_rule).toMatchObject({
      security_group_id: group.id,
      port_range_min: 22,
      remote_ip_prefix: "0.0.0.0/0",
    });
    const again = await refused(
      () => call("POST", rules, { token: admin, body }),
      409,
      "SecurityGroupRuleExists",
    );
    expect(again.message).toBe(
      `Security group rule already exists. Rule id is ${rule.body.security_group_rule.id}.`,
    );
    const listed = await call("GET", `${rules}?security_group_id=${group.id}&direction=ingress`, {
      token: alice,
    });
    expect(listed.body.security_group_rules.map((r: { id: string }) => r.id)).toEqual([
      rule.body.security_group_rule.id,
    ]);
    const named = await call("GET", `${sg}?name=rest-web`, { token: alice });
    expect(named.body.security_groups.map((g: { id: string }) => g.id)).toEqual([group.id]);
    expect(
      (await call("PUT", `${rules}/${rule.body.security_group_rule.id}`, { token: admin, body })).status,
    ).toBe(405);
  });

  it("answers Neutron's errors for bad rules and groups in use, writing nothing", async () => {
    const [group] = (await call("GET", `${sg}?name=rest-web`, { token: admin })).body.security_groups;
    const rule = (fields: Record<string, unknown>) => () =>
      call("POST", rules, {
        token: admin,
        body: { security_group_rule: { security_group_id: group.id, direction: "ingress", ...fields } },
      });
    await refused(
      rule({ protocol: "icmp", port_range_min: 300 }),
      400,
      "HTTPBadRequest",
      /It must be 0 to 255/,
    );
    await refused(
      rule({ remote_ip_prefix: "10.0.0.0/8", remote_group_id: group.id }),
      400,
      "HTTPBadRequest",
      /Only remote_ip_prefix or remote_group_id may be provided/,
    );
    await refused(
      () => call("GET", `${sg}/00000000-0000-4000-8000-000000000000`, { token: admin }),
      404,
      "SecurityGroupNotFound",
    );
    const port = await call("POST", "/networking/v2.0/ports", {
      token: admin,
      body: {
        port: {
          network_id: (await api.caller.network.show({ id: "net-a" })).id,
          security_groups: [group.id],
          name: "rest-sg-port",
        },
      },
    });
    expect(port.body.port).toMatchObject({
      security_groups: [group.id],
      port_security_enabled: true,
      allowed_address_pairs: [],
    });
    await refused(() => call("DELETE", `${sg}/${group.id}`, { token: admin }), 409, "SecurityGroupInUse");
    await refused(
      () =>
        call("PUT", `/networking/v2.0/ports/${port.body.port.id}`, {
          token: admin,
          body: { port: { port_security_enabled: false } },
        }),
      409,
      "PortSecurityPortHasSecurityGroup",
    );
    await refused(
      () => call("POST", sg, { token: alice, body: { security_group: { name: "mine" } } }),
      403,
      "PolicyNotAuthorized",
    );
  });
});

describe("Nova v2.1 and the empty Glance", () => {
  it("lists and shows servers with Nova's addresses; another project's is itemNotFound; members may not delete", async () => {
    const list = await call("GET", "/compute/v2.1/servers/detail", { token: alice });
    const names = list.body.servers.map((s: { name: string }) => s.name).sort();
    expect(names).toEqual(["vm-a", "vm2-a"]);
    const vm = list.body.servers.find((s: { name: string }) => s.name === "vm-a");
    expect(vm.addresses["net-a"]).toEqual([
      expect.objectContaining({ version: 4, "OS-EXT-IPS:type": "fixed" }),
      expect.objectContaining({ addr: fixture.fipA, "OS-EXT-IPS:type": "floating" }),
    ]);
    expect(vm.flavor).toEqual({ id: "", links: [] });
    const byName = await call("GET", "/compute/v2.1/servers?name=%5Evm2-a%24", { token: alice });
    expect(byName.body.servers.map((s: { name: string }) => s.name)).toEqual(["vm2-a"]);
    const bravo = await api.caller.server.show({ id: "bravo-vm" });
    const hidden = await call("GET", `/compute/v2.1/servers/${bravo.id}`, { token: alice });
    expect(hidden.status).toBe(404);
    expect(hidden.body.itemNotFound.message).toMatch(/not found/);
    const before = await tableCounts(api.db);
    const deleting = await call("DELETE", `/compute/v2.1/servers/${vm.id}`, { token: alice });
    expect(deleting.status).toBe(403);
    expect(deleting.body.forbidden.message).toMatch(/Only admins/);
    expect(await tableCounts(api.db)).toEqual(before);
  });

  it("adds and removes a security group with Nova's server actions, by the group's name in the server's project", async () => {
    const vm = await api.caller.server.show({ id: "vm-a" });
    const action = (body: unknown, token = admin) =>
      call("POST", `/compute/v2.1/servers/${vm.id}/action`, { token, body });
    await api.caller.securityGroup.create({ name: "nova-sg", project_id: "alpha" });
    // How `openstack server add security group` finds it: Nova's proxy list of the caller's project's groups.
    const listed = await call("GET", "/compute/v2.1/os-security-groups", { token: alice });
    expect(listed.body.security_groups.map((g: { name: string }) => g.name).sort()).toEqual([
      "default",
      "nova-sg",
      "rest-web",
      "sg-a",
      "spare-sg-a",
    ]);
    expect((await call("GET", "/compute/v2.1/os-security-groups/nova-sg", { token: alice })).status).toBe(
      404,
    );
    expect((await action({ addSecurityGroup: { name: "nova-sg" } })).status).toBe(202);
    const shown = await call("GET", `/compute/v2.1/servers/${vm.id}`, { token: alice });
    expect(shown.body.server.security_groups).toEqual([{ name: "default" }, { name: "nova-sg" }]);
    // "default" is every project's: the server's project's is meant.
    expect((await action({ removeSecurityGroup: { name: "default" } })).status).toBe(202);
    const before = await tableCounts(api.db);
    const again = await action({ removeSecurityGroup: { name: "default" } });
    expect(again.body.badRequest.message).toBe(
      "Security group default not associated with the instance vm-a",
    );
    expect((await action({ addSecurityGroup: { name: "nova-sg" } }, alice)).status).toBe(403);
    expect((await action({ reboot: { type: "SOFT" } })).status).toBe(404);
    expect(await tableCounts(api.db)).toEqual(before);
    await api.caller.server.addSecurityGroup({ id: "vm-a", security_group: "default" });
    await api.caller.server.removeSecurityGroup({ id: "vm-a", security_group: "nova-sg" });
  });

  it("answers an empty image list and needs a token for it", async () => {
    expect((await call("GET", "/image/v2/images", { token: alice })).body.images).toEqual([]);
    expect((await call("GET", "/image/v2/images")).status).toBe(401);
  });
});

describe("Neutron's L3 HA (l3-ha)", () => {
  it("creates, shows and changes an HA router with the `ha` attribute; members may not set it", async () => {
    for (const host of ["rest-net1", "rest-net2"])
      await api.db
        .insert(agents)
        .values({ url: `http://${host}.test`, host, roles: ["network"], lastSeen: new Date() });
    const extensions = await call("GET", "/networking/v2.0/extensions", { token: alice });
    expect(extensions.body.extensions.map((e: { alias: string }) => e.alias)).toContain("l3-ha");
    const created = await call("POST", "/networking/v2.0/routers", {
      token: admin,
      body: { router: { name: "rest-ha", ha: true, admin_state_up: false } },
    });
    expect(created.status).toBe(201);
    expect(created.body.router).toMatchObject({ name: "rest-ha", ha: true });
    const id = created.body.router.id as string;
    const listed = await call("GET", "/networking/v2.0/routers?ha=true", { token: admin });
    expect(listed.body.routers.map((r: { id: string }) => r.id)).toEqual([id]);
    await refused(
      () => call("PUT", `/networking/v2.0/routers/${id}`, { token: alice, body: { router: { ha: false } } }),
      403,
      "PolicyNotAuthorized",
    );
    const changed = await call("PUT", `/networking/v2.0/routers/${id}`, {
      token: admin,
      body: { router: { ha: false } },
    });
    expect(changed.body.router.ha).toBe(false);
    expect((await call("GET", `/networking/v2.0/routers/${id}`, { token: admin })).body.router.ha).toBe(
      false,
    );
    await call("DELETE", `/networking/v2.0/routers/${id}`, { token: admin });
  });
});
