// The `netlens` command's accounts: it logs in with NETLENS_USERNAME / NETLENS_PASSWORD (+ NETLENS_PROJECT),
// prints a token with `token issue`, uses NETLENS_TOKEN or the token `npm run up` left, and manages projects,
// users and roles. The real command against the real router over HTTP (no OVS needed: nothing is applied).
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestApi, testUser } from "../server/testkit";
import { runNetlens, servedAdminCli } from "./testing/api-server";

let api: TestApi;
let url: string;
let stateDir = "";
let served: Awaited<ReturnType<typeof servedAdminCli>> | undefined;
let demoPassword: string;

// The served API only: these tests log in by password and by the tokens they issue, not with adminCli's.
beforeAll(async () => {
  served = await servedAdminCli("auth test", { demo: true });
  ({ api, url } = served);
  demoPassword = (await testUser(api.services, "demo", "demo", "member")).password;
  stateDir = await mkdtemp(join(tmpdir(), "netlens-cli-auth-"));
}, 60_000);
afterAll(async () => {
  await served?.close();
  if (stateDir !== "") await rm(stateDir, { recursive: true, force: true });
});

/** `netlens ARGS` with only the given credentials in its environment (none of the caller's). */
const cli = (env: Record<string, string>, ...args: string[]) =>
  runNetlens({ NETLENS_URL: url, NETLENS_STATE_DIR: stateDir, ...env }, args);

const admin = () => ({ NETLENS_USERNAME: "admin", NETLENS_PASSWORD: api.admin.password });

// Each `netlens` run starts node (the compiled command), and each with a password logs in: one scrypt at
// OWASP's cost (a few hundred ms, more on a busy machine).
describe("netlens credentials", { timeout: 120_000 }, () => {
  it("logs in with NETLENS_USERNAME and NETLENS_PASSWORD, and `token issue` prints a token NETLENS_TOKEN takes", async () => {
    // In `id`, as `openstack token issue -f value -c id` prints it.
    const issued = await cli(admin(), "token", "issue", "--name", "script", "-f", "value", "-c", "id");
    expect(issued.stderr).toBe("");
    const token = issued.stdout.trim();
    expect(token).toMatch(/^nlt_[\w-]{43}$/);
    const listed = await cli({ NETLENS_TOKEN: token }, "token", "list", "-f", "json");
    expect(JSON.parse(listed.stdout)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: "script",
          user: "admin",
          expires_at: expect.stringMatching(/^\d{4}-/),
          revoked_at: null,
        }),
      ]),
    );
    expect((await cli({ NETLENS_TOKEN: token }, "token", "revoke", token)).code).toBe(0);
    const refused = await cli({ NETLENS_TOKEN: token }, "network", "list");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Invalid or revoked API token");
  });

  it("says why a login failed, and what to set when nothing is set", async () => {
    const wrong = await cli(
      { NETLENS_USERNAME: "admin", NETLENS_PASSWORD: "wrong-password" },
      "network",
      "list",
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("Login as admin failed: Invalid username or password");
    const none = await cli({}, "network", "list");
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/Log in first: set NETLENS_TOKEN, or NETLENS_USERNAME and NETLENS_PASSWORD/);
  });

  it("uses the token `npm run up` left in the state directory", async () => {
    const { token } = await api.caller.token.issue({ name: "cli (npm run up)" });
    await mkdir(join(stateDir, "web"), { recursive: true });
    await writeFile(join(stateDir, "web", "cli-token"), `${token}\n`, { mode: 0o600 });
    try {
      const nets = await cli({}, "network", "list", "-f", "json");
      expect(nets.stderr).toBe("");
      expect((JSON.parse(nets.stdout) as { name: string }[]).map((n) => n.name)).toContain("demo-net");
    } finally {
      await rm(join(stateDir, "web", "cli-token"));
    }
  });

  it("does not follow a link where its token should be (that directory belongs to the web server's user)", async () => {
    const { token } = await api.caller.token.issue({ name: "elsewhere" });
    const elsewhere = join(stateDir, "elsewhere");
    await writeFile(elsewhere, `${token}\n`, { mode: 0o600 });
    await mkdir(join(stateDir, "web"), { recursive: true });
    await symlink(elsewhere, join(stateDir, "web", "cli-token"));
    try {
      const refused = await cli({}, "network", "list");
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/Log in first/);
    } finally {
      await rm(join(stateDir, "web", "cli-token"));
      await rm(elsewhere);
    }
  });

  it("as a member: reads the project's things, is refused changes", async () => {
    const demo = { NETLENS_USERNAME: "demo", NETLENS_PASSWORD: demoPassword, NETLENS_PROJECT: "demo" };
    const nets = await cli(demo, "network", "list", "-f", "value");
    expect(nets.stdout.split("\n").filter(Boolean).length).toBe(2);
    const refused = await cli(demo, "network", "create", "nope");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Only admins change the model");
    const other = await cli({ ...demo, NETLENS_PROJECT: "admin" }, "network", "list");
    expect(other.stderr).toContain("User demo has no role on project admin");
  });
});

describe("netlens project, user and role", { timeout: 120_000 }, () => {
  it("creates a project and a member of it who can log in, lists and deletes them", async () => {
    expect((await cli(admin(), "project", "create", "lab")).code).toBe(0);
    const created = await cli(
      admin(),
      "user",
      "create",
      "lab-user",
      "--password",
      "lab-user-password",
      "--project",
      "lab",
      "--role",
      "member",
      "-f",
      "json",
    );
    expect(JSON.parse(created.stdout)).toMatchObject({
      name: "lab-user",
      roles: [{ project: "lab", role: "member" }],
    });
    const users = await cli(admin(), "user", "list");
    expect(users.stdout).toMatch(/lab-user .*member@lab/);
    expect(users.stdout).not.toContain("lab-user-password");
    const labUser = { NETLENS_USERNAME: "lab-user", NETLENS_PASSWORD: "lab-user-password" };
    expect(JSON.parse((await cli(labUser, "project", "list", "-f", "json")).stdout)).toEqual([
      expect.objectContaining({ name: "lab" }),
    ]);
    expect((await cli(admin(), "role", "add", "admin", "--user", "lab-user", "--project", "lab")).code).toBe(
      0,
    );
    const assignments = await cli(admin(), "role", "assignment", "list", "--user", "lab-user", "-f", "json");
    expect(JSON.parse(assignments.stdout)).toEqual([
      expect.objectContaining({ role: "admin", project: "lab" }),
    ]);
    expect((await cli(admin(), "user", "delete", "lab-user")).code).toBe(0);
    expect((await cli(labUser, "network", "list")).stderr).toContain("Invalid username or password");
    expect((await cli(admin(), "project", "delete", "lab")).code).toBe(0);
    expect((await cli(admin(), "project", "list")).stdout).not.toContain(" lab ");
  });
});
