// The API as clients see it over HTTP (plain JSON, error shapes) and as tenants see it (their project only).
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../env";
import { createTestApi, type TestApi, testUser } from "../testkit";
import { appRouter, createCaller } from "./root";

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ demo: true });
});
afterAll(() => api.close());

const call = (path: string, input: unknown) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req: new Request(`http://test/api/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(input),
    }),
    createContext: () => api.ctx,
  }).then(async (res) => ({ status: res.status, body: await res.json() }));

describe("over HTTP", () => {
  it("answers plain JSON that curl and the CLI can read", async () => {
    const { status, body } = await call("network.create", { name: "http-net" });
    expect(status).toBe(200);
    expect(body.result.data).toMatchObject({ name: "http-net", "provider:network_type": "vxlan", mtu: 1450 });
  });

  it("flattens bad input into data.zodError with a readable message", async () => {
    const { status, body } = await call("subnet.create", {
      name: "x",
      network_id: "http-net",
      cidr: "10.0.0.1/24",
    });
    expect(status).toBe(400);
    expect(body.error.message).toBe(
      "cidr: Invalid input for cidr. Reason: Invalid CIDR 10.0.0.1/24: host bits set (did you mean 10.0.0.0/24?)",
    );
    expect(body.error.data.zodError.fieldErrors.cidr).toHaveLength(1);
  });

  it("gives domain errors their code and Neutron's words", async () => {
    const { status, body } = await call("router.delete", { id: "demo-router" });
    expect(status).toBe(409);
    expect(body.error).toMatchObject({
      message: "Router demo-router still has ports",
      data: { code: "CONFLICT" },
    });
  });
});

describe("a tenant", () => {
  it("sees its own project's resources plus external networks, and changes nothing", async () => {
    const tenant = (await testUser(api.services, "alice", "demo", "member")).caller;
    expect((await tenant.network.list()).map((n) => n.name).sort()).toEqual(["demo-net", "public"]);
    expect((await tenant.project.list()).map((p) => p.name)).toEqual(["demo"]);
    await expect(tenant.network.show({ id: "http-net" })).rejects.toThrow("Network http-net not found");
    await expect(tenant.network.create({ name: "mine" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(tenant.host.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("environment", () => {
  it("has defaults and fails with every bad variable named", () => {
    expect(parseEnv({})).toMatchObject({
      NETLENS_DATA_DIR: ".netlens/data",
      NETLENS_AGENT_URL: "http://127.0.0.1:9797",
      NETLENS_AGENT_TOKEN_FILE: ".netlens/agent/token",
      LOG_LEVEL: "info",
    });
    expect(() => parseEnv({ DATABASE_URL: "mysql://x", LOG_LEVEL: "loud" })).toThrow(
      /Invalid environment:\n {2}DATABASE_URL: must be a postgres:\/\/ URL.*\n {2}LOG_LEVEL:/s,
    );
  });
});

describe("events", () => {
  it("streams committed changes, and none for a refused one", async () => {
    const controller = new AbortController();
    const stream = await createCaller(api.ctx, { signal: controller.signal }).events();
    const iterator = stream[Symbol.asyncIterator]();
    const next = iterator.next();
    await expect(api.caller.network.delete({ id: "demo-net" })).rejects.toThrow("ports still in use");
    const created = await api.caller.network.create({ name: "evented" });
    expect((await next).value).toEqual({ kind: "network", id: created.id, action: "create" });
    controller.abort();
  });
});
