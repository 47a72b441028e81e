// `netlens keypair create/list/delete` and `server create --key-name --user-data`: the real command against the
// real router over HTTP (no OVS needed: nothing is applied).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_KEY } from "../server/api/fixture.testing";
import type { TestApi } from "../server/testkit";
import { servedAdminCli } from "./testing/api-server";

let api: TestApi;
let dir: string;
type Served = Awaited<ReturnType<typeof servedAdminCli>>;
let served: Served | undefined;
let cli: Served["cli"];

beforeAll(async () => {
  served = await servedAdminCli("keypair test", { demo: true });
  ({ api, cli } = served);
  dir = await mkdtemp(join(tmpdir(), "netlens-keypair-"));
}, 60_000);
afterAll(async () => {
  await served?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

// Each `netlens` run starts tsx (about a second).
describe("netlens keypair", { timeout: 60_000 }, () => {
  it("stores a public key from a file and hands it, with user data, to a server", async () => {
    await writeFile(join(dir, "id.pub"), `${FIXTURE_KEY}\n`);
    await writeFile(join(dir, "user-data"), "#cloud-config\n");
    const made = await cli("keypair", "create", "--public-key", join(dir, "id.pub"), "mykey", "-f", "json");
    expect(made.stderr).toBe("");
    expect(JSON.parse(made.stdout)).toMatchObject({
      name: "mykey",
      fingerprint: expect.stringMatching(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/),
    });
    const listed = await cli("keypair", "list", "-f", "json");
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: "mykey" })]);
    const server = await cli(
      "server",
      "create",
      "keyed-vm",
      "--network",
      "demo-net",
      "--key-name",
      "mykey",
      "--user-data",
      join(dir, "user-data"),
      "-f",
      "json",
    );
    expect(server.stderr).toBe("");
    expect(JSON.parse(server.stdout)).toMatchObject({ name: "keyed-vm", key_name: "mykey" });
    const [row] = await api.db.query.instances.findMany({ where: (i, { eq }) => eq(i.name, "keyed-vm") });
    expect(Buffer.from(row?.userData ?? "", "base64").toString()).toBe("#cloud-config\n");
  });

  it("prints Nova's errors for a bad key and a key name that does not exist", async () => {
    await writeFile(join(dir, "bad.pub"), "ssh-rsa not-base64!\n");
    const bad = await cli("keypair", "create", "--public-key", join(dir, "bad.pub"), "badkey");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Keypair data is invalid: the key data is not base64");
    const missing = await cli("server", "create", "vm-nokey", "--network", "demo-net", "--key-name", "nope");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Keypair nope not found for user admin");
  });
});
