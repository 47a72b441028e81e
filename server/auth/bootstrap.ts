// First start on an empty database: the first admin (and the demo tenant's user), and an API token for the CLI,
// so that `npm run up` followed by `./cli/netlens network list` works with no set-up. Secrets are left in 0600
// files of the state directory for the user to find; a random admin password is also printed once.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { count, eq } from "drizzle-orm";
import type { Logger } from "pino";
import type { Db } from "../db/client";
import { apiTokens, projects, users } from "../db/schema";
import { ensureProject } from "../domain/projects";
import { ensureUser } from "../domain/users";
import { type CredentialPolicy, defaultCredentialPolicy, issueToken } from "./credentials";
import { randomPassword } from "./password";
import { digest } from "./secrets";

export type BootstrapOptions = {
  stateDir: string;
  adminPassword?: string;
  demoPassword?: string;
  /** How long the CLI's token lasts (default: the built-in policy's). */
  credentials?: Pick<CredentialPolicy, "tokenLifetimeMs">;
  logger: Pick<Logger, "info" | "warn">;
};

/** Files only their owner may read, replaced whole (a reader never sees half a secret). */
async function writeSecret(path: string, value: string): Promise<void> {
  const temporary = `${path}.new`;
  await rm(temporary, { force: true });
  await writeFile(temporary, `${value}\n`, { mode: 0o600, flag: "wx" });
  await rename(temporary, path);
}

/** Returns whether it created anything (false: the database already has users). */
export async function bootstrapAccounts(db: Db, options: BootstrapOptions): Promise<boolean> {
  const [row] = await db.select({ n: count() }).from(users);
  if ((row?.n ?? 0) > 0) return false;
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const { logger, stateDir } = options;

  const adminProject = await ensureProject(db, "admin", "Built-in administrators");
  const adminPassword = options.adminPassword ?? randomPassword();
  const { user: admin } = await ensureUser(db, {
    name: "admin",
    password: adminPassword,
    projectId: adminProject.id,
    role: "admin",
  });
  if (options.adminPassword === undefined) {
    const file = join(stateDir, "admin-password");
    await writeSecret(file, adminPassword);
    logger.warn(`first admin created: log in as "admin" with password ${adminPassword} (also in ${file})`);
  } else {
    logger.info('first admin created: log in as "admin" with NETLENS_ADMIN_PASSWORD');
  }

  const { token } = await issueToken(
    db,
    { userId: admin.id, projectId: adminProject.id },
    "cli (npm run up)",
    options.credentials ?? defaultCredentialPolicy,
  );
  const tokenFile = join(stateDir, "cli-token");
  await writeSecret(tokenFile, token);
  logger.info(`API token for the CLI written to ${tokenFile}`);

  // The demo tenant, so that the read-only view can be tried at once (only where the demo was seeded).
  const [demo] = await db.select().from(projects).where(eq(projects.name, "demo"));
  if (demo) {
    const demoPassword = options.demoPassword ?? randomPassword();
    await ensureUser(db, { name: "demo", password: demoPassword, projectId: demo.id, role: "member" });
    if (options.demoPassword === undefined) {
      const file = join(stateDir, "demo-password");
      await writeSecret(file, demoPassword);
      // Printed only beside a printed admin password: whoever chose that one keeps secrets out of logs.
      logger.warn(
        options.adminPassword === undefined
          ? `demo tenant created: log in as "demo" with password ${demoPassword} (also in ${file})`
          : `demo tenant created: log in as "demo" with the password in ${file}`,
      );
    } else {
      logger.info('demo tenant created: log in as "demo" with NETLENS_DEMO_PASSWORD');
    }
  }
  return true;
}

/**
 * Keeps the CLI token of `npm run up` usable however long the server runs: once half its life is gone, a new
 * one replaces it in its file and the old one is revoked. A revoked token is left so (someone decided that), and
 * so is a file that holds no token of ours. Returns whether it renewed.
 */
export async function renewCliToken(
  db: Db,
  options: Pick<BootstrapOptions, "stateDir" | "logger"> & {
    credentials: Pick<CredentialPolicy, "tokenLifetimeMs">;
  },
  now = new Date(),
): Promise<boolean> {
  const file = join(options.stateDir, "cli-token");
  const token = await readFile(file, "utf8").then(
    (text) => text.trim(),
    () => null,
  );
  if (!token) return false;
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, digest(token)));
  if (!row || row.revokedAt !== null) return false;
  if (row.expiresAt.getTime() - now.getTime() > options.credentials.tokenLifetimeMs / 2) return false;
  const fresh = await issueToken(db, row, row.name, options.credentials, now);
  await writeSecret(file, fresh.token);
  await db.update(apiTokens).set({ revokedAt: now }).where(eq(apiTokens.id, row.id));
  options.logger.info(
    `renewed the CLI's API token in ${file} (valid until ${fresh.row.expiresAt.toISOString()})`,
  );
  return true;
}
