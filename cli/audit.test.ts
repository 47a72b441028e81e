// `netlens audit list`: the real command against the real router over HTTP (no OVS needed: nothing is applied).
// A change made with the CLI is found by resource, user and time, with the CLI named as its user agent; a member
// is refused.
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createHTTPServer } from "@trpc/server/adapters/standalone";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../agent/host/exec";
import { appRouter } from "../server/api/root";
import { createRequestContext } from "../server/api/trpc";
import { requestFacts, toHeaders } from "../server/auth/http";
import { createTestApi, type TestApi, testUser } from "../server/testkit";

const netlens = fileURLToPath(new URL("netlens", import.meta.url));

let api: TestApi;
let url: string;
let memberPassword: string;
let close: () => Promise<void>;

beforeAll(async () => {
  api = await createTestApi();
  memberPassword = (await testUser(api.services, "erin", "admin", "member")).password;
  const http = createHTTPServer({
    router: appRouter,
    basePath: "/api/trpc/",
    createContext: ({ req, res }) =>
      createRequestContext(
        api.services,
        requestFacts(toHeaders(req.headers), null, (cookie) => res.appendHeader("set-cookie", cookie)),
      ),
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  close = async () => {
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
    await api.close();
  };
}, 60_000);
afterAll(() => close());

/** `netlens ARGS` as `user`, with none of the caller's own NETLENS_* settings. */
function cli(user: string, password: string, ...args: string[]) {
  const unset = Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith("NETLENS_"))
      .map((k) => [k, undefined]),
  );
  return run(netlens, args, {
    env: { ...process.env, ...unset, NETLENS_URL: url, NETLENS_USERNAME: user, NETLENS_PASSWORD: password },
    allowFailure: true,
  });
}

// Each `netlens` run starts tsx (about a second).
describe("netlens audit list", { timeout: 60_000 }, () => {
  it("finds a change made with the CLI by resource, user and time, with the CLI as its user agent", async () => {
    const made = await cli("admin", api.admin.password, "network", "create", "cli-audited-net");
    expect(made.stderr).toBe("");
    const listed = await cli(
      "admin",
      api.admin.password,
      "audit",
      ...["list", "--resource", "cli-audited-net", "--user", "admin", "--since", "1h", "-f", "json"],
    );
    expect(listed.stderr).toBe("");
    const entries = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      procedure: "network.create",
      user: "admin",
      via: "cookie",
      user_agent: "netlens-cli",
      resource_kind: "network",
      resource_name: "cli-audited-net",
      outcome: "ok",
      before: null,
      after: { name: "cli-audited-net" },
    });
    const table = await cli("admin", api.admin.password, "audit", "list", "--kind", "network");
    expect(table.stdout).toMatch(/\| admin +\| network\.create +\| network cli-audited-net +\| ok /);
  });

  it("refuses a member", async () => {
    const refused = await cli("erin", memberPassword, "audit", "list");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Only admins");
  });
});
