// The first start on an empty database: admin (password given or random, then in a 0600 file), the demo
// tenant's user, and a CLI token that authenticates; a second start changes nothing. Later, the CLI token is
// renewed before it expires.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { apiTokens } from "../db/schema";
import { EventBus } from "../events";
import { seedDemo } from "../seed";
import { createTestDb } from "../testkit";
import { userByName } from "./access";
import { bootstrapAccounts, renewCliToken } from "./bootstrap";
import { sessionFromToken } from "./credentials";
import { verifyPassword } from "./password";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

async function fresh() {
  const database = await createTestDb();
  const stateDir = await mkdtemp(join(tmpdir(), "netlens-bootstrap-"));
  cleanup.push(
    () => database.close(),
    () => rm(stateDir, { recursive: true, force: true }),
  );
  const lines: string[] = [];
  const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
  return { db: database.db, stateDir, lines, logger };
}

// A fresh database and real scrypt hashes per test: slow on a busy machine.
describe("bootstrapAccounts", { timeout: 30_000 }, () => {
  it("makes a random admin password, prints it once and leaves it in a 0600 file, with a CLI token", async () => {
    const { db, stateDir, lines, logger } = await fresh();
    await seedDemo({ db, bus: new EventBus() });
    expect(await bootstrapAccounts(db, { stateDir, logger })).toBe(true);
    const password = (await readFile(join(stateDir, "admin-password"), "utf8")).trim();
    const admin = await userByName(db, "admin");
    expect(admin && (await verifyPassword(password, admin.passwordHash))).toBe(true);
    expect(lines.filter((l) => l.includes(password))).toHaveLength(1);
    for (const file of ["admin-password", "cli-token", "demo-password"]) {
      expect((await stat(join(stateDir, file))).mode & 0o777, file).toBe(0o600);
    }
    const token = (await readFile(join(stateDir, "cli-token"), "utf8")).trim();
    expect((await sessionFromToken(db, token)).session).toMatchObject({
      user: "admin",
      role: "admin",
      via: "token",
    });
    const demoPassword = (await readFile(join(stateDir, "demo-password"), "utf8")).trim();
    const demo = await userByName(db, "demo");
    expect(demo && (await verifyPassword(demoPassword, demo.passwordHash))).toBe(true);

    // A second start (users exist) creates nothing and prints no password.
    lines.length = 0;
    expect(await bootstrapAccounts(db, { stateDir, logger })).toBe(false);
    expect(lines).toEqual([]);
  });

  it("takes NETLENS_ADMIN_PASSWORD as given and writes no password file", async () => {
    const { db, stateDir, lines, logger } = await fresh();
    await bootstrapAccounts(db, { stateDir, logger, adminPassword: "chosen-password" });
    const admin = await userByName(db, "admin");
    expect(admin && (await verifyPassword("chosen-password", admin.passwordHash))).toBe(true);
    await expect(stat(join(stateDir, "admin-password"))).rejects.toThrow("ENOENT");
    expect(lines.join("\n")).not.toContain("chosen-password");
    // No demo seeded here: no demo user either.
    expect(await userByName(db, "demo")).toBeUndefined();
  });

  it("with the admin password given, prints no generated demo password: it is only in its 0600 file", async () => {
    const { db, stateDir, lines, logger } = await fresh();
    await seedDemo({ db, bus: new EventBus() });
    await bootstrapAccounts(db, { stateDir, logger, adminPassword: "chosen-password" });
    const file = join(stateDir, "demo-password");
    const demoPassword = (await readFile(file, "utf8")).trim();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const demo = await userByName(db, "demo");
    expect(demo && (await verifyPassword(demoPassword, demo.passwordHash))).toBe(true);
    expect(lines.join("\n")).not.toContain(demoPassword);
    expect(lines.join("\n")).toContain(file);
  });

  it("renews the CLI's token in its file once half its life is gone, and revokes the old one", async () => {
    const { db, stateDir, logger } = await fresh();
    const credentials = { tokenLifetimeMs: 3600_000 };
    await bootstrapAccounts(db, { stateDir, logger, adminPassword: "chosen-password", credentials });
    const file = join(stateDir, "cli-token");
    const first = (await readFile(file, "utf8")).trim();
    const now = Date.now();
    expect(await renewCliToken(db, { stateDir, logger, credentials }, new Date(now + 20 * 60_000))).toBe(
      false,
    );
    expect(await renewCliToken(db, { stateDir, logger, credentials }, new Date(now + 40 * 60_000))).toBe(
      true,
    );
    const second = (await readFile(file, "utf8")).trim();
    expect(second).not.toBe(first);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await sessionFromToken(db, first)).session).toBeNull();
    expect((await sessionFromToken(db, second)).session).toMatchObject({ user: "admin" });

    // Revoked (someone decided so): left alone.
    await db.update(apiTokens).set({ revokedAt: new Date() });
    expect(await renewCliToken(db, { stateDir, logger, credentials }, new Date(now + 120 * 60_000))).toBe(
      false,
    );
    expect((await readFile(file, "utf8")).trim()).toBe(second);
  });
});
