// `netlens audit list`: the real command against the real router over HTTP (no OVS needed: nothing is applied).
// A change made with the CLI is found by resource, user and time, with the CLI named as its user agent; a member
// is refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApi, testUser } from "../server/testkit";
import { runNetlens, servedAdminCli } from "./testing/api-server";

let api: TestApi;
let url: string;
let memberPassword: string;
let served: Awaited<ReturnType<typeof servedAdminCli>> | undefined;

beforeAll(async () => {
  served = await servedAdminCli("audit test");
  ({ api, url } = served);
  memberPassword = (await testUser(api.services, "erin", "admin", "member")).password;
}, 60_000);
afterAll(() => served?.close());

/** `netlens ARGS` as `user`. */
const cli = (user: string, password: string, ...args: string[]) =>
  runNetlens({ NETLENS_URL: url, NETLENS_USERNAME: user, NETLENS_PASSWORD: password }, args);

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
