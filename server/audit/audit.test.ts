// The audit log: every change through the API leaves one entry (who, from where, what, before and after, how it
// ended), written with the change or not at all; secrets never reach it; admins read it, filtered; members cannot.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../api/root";
import { createInnerContext } from "../api/trpc";
import { sessionFromToken } from "../auth/credentials";
import type { RequestFacts } from "../auth/http";
import { createDb } from "../db/client";
import { auditLog, networks } from "../db/schema";
import { type Target, testTargets } from "../db/targets";
import { createTestApi, type TestApi, testServices, testUser } from "../testkit";

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

const entries = (filter: Parameters<TestApi["caller"]["audit"]["list"]>[0] = {}) =>
  api.caller.audit.list(filter);

/** The newest entry the filter finds. */
async function latest(filter: Parameters<TestApi["caller"]["audit"]["list"]>[0]) {
  const [entry] = await entries({ ...filter, limit: 1 });
  if (!entry) throw new Error(`no audit entry for ${JSON.stringify(filter)}`);
  return entry;
}

/** What a request over HTTP tells the API about its sender. */
const fromBrowser = (address: string, userAgent: string): RequestFacts => ({
  sessionCookie: undefined,
  bearer: undefined,
  userAgent,
  crossSite: false,
  address,
  secure: false,
  setCookie: () => {},
});

describe("a change through the API", () => {
  it("is recorded on create, update and delete: who, what, the resource before and after", async () => {
    const created = await api.caller.network.create({ name: "audited-net" });
    await api.caller.network.update({ id: "audited-net", name: "audited-net-2" });
    await api.caller.network.delete({ id: created.id });

    const [deleted, updated, made] = await entries({ resource: created.id });
    expect(made).toMatchObject({
      procedure: "network.create",
      outcome: "ok",
      user: "admin",
      user_id: api.admin.user.id,
      project_id: api.admin.session.projectId,
      via: "internal",
      resource_kind: "network",
      resource_id: created.id,
      resource_name: "audited-net",
      before: null,
      after: { id: created.id, name: "audited-net", status: "PENDING" },
      input: { name: "audited-net" },
      changes: [{ kind: "network", id: created.id, action: "create" }],
    });
    expect(updated).toMatchObject({
      procedure: "network.update",
      resource_id: created.id,
      resource_name: "audited-net-2",
      before: { id: created.id, name: "audited-net" },
      after: { id: created.id, name: "audited-net-2" },
      input: { id: "audited-net", name: "audited-net-2" },
    });
    expect(deleted).toMatchObject({
      procedure: "network.delete",
      resource_id: created.id,
      resource_name: "audited-net-2",
      before: { id: created.id, name: "audited-net-2" },
      after: null,
      changes: [{ kind: "network", id: created.id, action: "delete" }],
    });
    expect(Date.parse(made?.at ?? "")).toBeLessThanOrEqual(Date.parse(deleted?.at ?? ""));
  });

  it("lists every resource the change touched, and is found by any of them", async () => {
    await api.caller.network.create({ name: "touch-net" });
    await api.caller.subnet.create({ name: "touch-subnet", network_id: "touch-net", cidr: "10.55.0.0/24" });
    const router = await api.caller.router.create({ name: "touch-router" });
    await api.caller.router.addInterface({ id: "touch-router", subnet_id: "touch-subnet" });
    const entry = await latest({ resource: "touch-router" });
    expect(entry).toMatchObject({ procedure: "router.addInterface", resource_id: router.id });
    expect(entry.before).toMatchObject({ interfaces: [] });
    expect(entry.after).toMatchObject({ interfaces: [{ port_id: expect.any(String) }] });
    const iface = entry.changes.find((c) => c.kind === "port");
    expect(iface, "the interface port the router got").toBeDefined();
    expect((await latest({ resource: iface?.id ?? "" })).id).toBe(entry.id);
  });

  it("names a floating IP by its address", async () => {
    await api.caller.network.create({
      name: "audit-public",
      "router:external": true,
      "provider:network_type": "flat",
      "provider:physical_network": "public",
    });
    await api.caller.subnet.create({
      name: "audit-public-subnet",
      network_id: "audit-public",
      cidr: "203.0.113.0/24",
    });
    const fip = await api.caller.floatingIp.create({ floating_network_id: "audit-public" });
    expect(await latest({ resource: fip.floating_ip_address })).toMatchObject({
      procedure: "floatingIp.create",
      resource_kind: "floating_ip",
      resource_id: fip.id,
      resource_name: fip.floating_ip_address,
    });
  });

  it("names a security group rule's group and shows the rule before its deletion", async () => {
    const group = await api.caller.securityGroup.create({ name: "audit-sg" });
    expect(await latest({ resource: "audit-sg" })).toMatchObject({
      procedure: "securityGroup.create",
      resource_kind: "security_group",
      resource_id: group.id,
    });
    const rule = await api.caller.securityGroupRule.create({
      security_group_id: "audit-sg",
      direction: "ingress",
      protocol: "udp",
      port_range_min: 53,
      port_range_max: 53,
    });
    await api.caller.securityGroupRule.delete({ id: rule.id });
    expect(await latest({ resource: rule.id })).toMatchObject({
      procedure: "securityGroupRule.delete",
      resource_kind: "security_group_rule",
      before: { protocol: "udp", port_range_min: 53 },
      after: null,
    });
  });

  it("says which token made it, from which address and user agent", async () => {
    const { token, id } = await api.caller.token.issue({ name: "ci-pipeline" });
    const { session } = await sessionFromToken(api.db, token);
    if (!session) throw new Error("the token does not authenticate");
    const viaToken = createCaller(
      await createInnerContext(api.services, session, fromBrowser("198.51.100.23", "netlens-cli")),
    );
    await viaToken.project.create({ name: "by-token", description: "" });
    const [entry] = await entries({ resource: "by-token" });
    expect(entry).toMatchObject({
      procedure: "project.create",
      user: "admin",
      via: "token",
      token_id: id,
      token_name: "ci-pipeline",
      address: "198.51.100.23",
      user_agent: "netlens-cli",
    });
  });

  it("records a refused change with the caller's error, and nothing else of it", async () => {
    await api.caller.network.create({ name: "busy-net" });
    await api.caller.subnet.create({ name: "busy-subnet", network_id: "busy-net", cidr: "10.56.0.0/24" });
    await api.caller.router.create({ name: "busy-router" });
    await api.caller.router.addInterface({ id: "busy-router", subnet_id: "busy-subnet" });
    await expect(api.caller.router.delete({ id: "busy-router" })).rejects.toThrow(/still has ports/);
    const [entry] = await entries({ resource: "busy-router", limit: 1 });
    expect(entry).toMatchObject({
      procedure: "router.delete",
      outcome: "error",
      error_code: "CONFLICT",
      error: "Router busy-router still has ports",
      before: { name: "busy-router" },
      after: null,
      changes: [],
    });
  });

  it("records refused input with the message its caller got", async () => {
    await expect(
      api.caller.subnet.create({ name: "bad", network_id: "busy-net", cidr: "10.0.0.1/24" }),
    ).rejects.toThrow(TRPCError);
    const [entry] = await entries({ kind: "subnet", limit: 1 });
    expect(entry).toMatchObject({ procedure: "subnet.create", outcome: "error", error_code: "BAD_REQUEST" });
    expect(entry?.error).toMatch(/^cidr: Invalid input for cidr\. Reason: .*host bits set/);
  });

  it("stores hostile input safely: NUL and unpaired surrogates replaced, 10 KB strings cut", async () => {
    const hostile = `a\u0000b\ud800c;$(reboot)${"x".repeat(10_000)}`;
    await expect(
      api.caller.subnet.create({ name: hostile, network_id: "busy-net", cidr: hostile }),
    ).rejects.toThrow(TRPCError);
    const stored = ((await latest({ kind: "subnet" })).input as { name: string }).name;
    expect(stored.startsWith("a\uFFFDb\uFFFDc;$(reboot)xxx")).toBe(true);
    expect(stored.length).toBeLessThan(1_100);
    expect(stored).toMatch(/more characters\]$/);
  });
});

describe.each(testTargets)("on $name", ({ setUp }) => {
  let target: Target;
  let alone: TestApi;
  beforeAll(async () => {
    target = await setUp();
    alone = await createTestApi(target.url ? { url: target.url } : {});
  });
  afterAll(async () => {
    await alone.close();
    await target.drop();
  });

  it("an entry is written in its change's transaction: a change whose entry cannot be written does not happen", async () => {
    await alone.caller.network.create({ name: "recorded" });
    await alone.db.execute(sql`ALTER TABLE audit_log ADD CONSTRAINT no_writes CHECK (false) NOT VALID`);
    try {
      await expect(alone.caller.network.create({ name: "unrecorded" })).rejects.toThrow();
      const names = await alone.db.select({ name: networks.name }).from(networks);
      expect(
        names.map((n) => n.name),
        "a network without its audit entry",
      ).toEqual(["recorded"]);
    } finally {
      await alone.db.execute(sql`ALTER TABLE audit_log DROP CONSTRAINT no_writes`);
    }
  });

  it("a refused change is recorded once its transaction rolled back, and nothing of the change stays", async () => {
    await alone.caller.project.create({ name: "taken", description: "" });
    await expect(alone.caller.project.create({ name: "taken", description: "again" })).rejects.toThrow(
      /already exists/,
    );
    const log = await alone.caller.audit.list({ resource: "taken" });
    expect(log.map((e) => [e.procedure, e.outcome])).toEqual([["project.create", "ok"]]);
    const [refused] = await alone.caller.audit.list({ kind: "project", limit: 1 });
    expect(refused).toMatchObject({
      procedure: "project.create",
      outcome: "error",
      error_code: "CONFLICT",
      input: { name: "taken", description: "again" },
    });
  });
});

describe("secrets", () => {
  it("never reach the log: passwords, token values, a token revoked by its value", async () => {
    const password = "correct-horse-battery";
    const newPassword = "staple-staple-staple";
    await api.caller.user.create({ name: "carol", password, project: "admin", role: "member" });
    await api.caller.user.setPassword({ id: "carol", password: newPassword });
    const anonymous = createCaller(await createInnerContext(api.services, null));
    await anonymous.auth.login({ username: "carol", password: newPassword });
    const carol = await testUser(api.services, "carol", "admin", "member");
    const { token, id } = await carol.caller.token.issue({ name: "carols" });
    await carol.caller.token.revoke({ id: token });

    const dump = JSON.stringify(await api.db.select().from(auditLog));
    for (const secret of [password, newPassword, token, token.slice(8, 40)])
      expect(dump).not.toContain(secret);

    const [revoked, issued, login] = await entries({ user: "carol" });
    expect(revoked).toMatchObject({
      procedure: "token.revoke",
      resource_id: id,
      input: { id: "[redacted]" },
    });
    expect(revoked?.after).toMatchObject({ id, name: "carols", revoked_at: expect.any(String) });
    expect(issued).toMatchObject({ procedure: "token.issue", resource_id: id, after: { name: "carols" } });
    expect(login).toMatchObject({
      procedure: "auth.login",
      user: "carol",
      resource_kind: "session",
      input: { username: "carol", password: "[redacted]" },
    });
    const [setPassword] = await entries({ resource: "carol", kind: "user", limit: 1 });
    expect(setPassword).toMatchObject({ procedure: "user.setPassword", input: { password: "[redacted]" } });
  });

  it("a failed login by an anonymous caller leaves no entry (anyone may send those)", async () => {
    const before = (await entries({ limit: 1000 })).length;
    const anonymous = createCaller(await createInnerContext(api.services, null));
    await expect(anonymous.auth.login({ username: "carol", password: "wrong-password" })).rejects.toThrow();
    expect((await entries({ limit: 1000 })).length).toBe(before);
  });
});

describe("reading the log", () => {
  it("is for admins: a member is refused, and their refused attempt is itself recorded", async () => {
    const member = await testUser(api.services, "mallory", "admin", "member");
    await expect(member.caller.audit.list({})).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(member.caller.network.create({ name: "mallorys" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const [attempt] = await entries({ user: "mallory" });
    expect(attempt).toMatchObject({
      procedure: "network.create",
      outcome: "error",
      error_code: "FORBIDDEN",
      input: { name: "mallorys" },
    });
  });

  it("filters by user (name or ID), resource (ID or name), kind and time, newest first", async () => {
    const dave = await testUser(api.services, "dave", "admin", "admin");
    await dave.caller.network.create({ name: "daves-net" });
    await dave.caller.project.create({ name: "daves-project", description: "" });

    const byName = await entries({ user: "dave" });
    expect(byName.map((e) => e.procedure)).toEqual(["project.create", "network.create"]);
    expect(await entries({ user: dave.user.id })).toEqual(byName);
    expect((await entries({ user: "dave", kind: "network" })).map((e) => e.resource_name)).toEqual([
      "daves-net",
    ]);
    expect((await entries({ resource: "daves-project" })).map((e) => e.user)).toEqual(["dave"]);
    expect(await entries({ user: "dave", limit: 1 })).toHaveLength(1);

    const newest = byName[0]?.at ?? "";
    expect(await entries({ user: "dave", since: "1h" })).toHaveLength(2);
    expect(await entries({ user: "dave", since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    expect(await entries({ user: "dave", until: "2000-01-01" })).toEqual([]);
    expect((await entries({ user: "dave", since: newest })).map((e) => e.procedure)).toEqual([
      "project.create",
    ]);
    await expect(entries({ since: "yesterday" })).rejects.toThrow(/Invalid time yesterday/);
  });
});

it("survives a restart: it is in the database", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "netlens-audit-"));
  try {
    const first = await createDb({ dataDir });
    const admin = await testUser(testServices(first.db), "admin", "admin", "admin");
    await admin.caller.network.create({ name: "before-restart" });
    await first.close();

    const again = await createDb({ dataDir });
    try {
      const reopened = await testUser(testServices(again.db), "admin", "admin", "admin");
      const log = await reopened.caller.audit.list({ resource: "before-restart" });
      expect(log.map((e) => e.procedure)).toEqual(["network.create"]);
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
