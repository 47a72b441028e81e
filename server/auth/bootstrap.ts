// First start on an empty database: the first admin (and the demo tenant's user), and an API token for the CLI,
// so that `npm run up` followed by `./cli/netlens network list` works with no set-up. Secrets that nobody chose
// are printed once and left in 0600 files of the state directory for the user to find.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { count, eq } from "drizzle-orm";
import type { Logger } from "pino";
import type { Db } from "../db/client";
import { projects, users } from "../db/schema";
import { ensureProject } from "../domain/projects";
import { ensureUser } from "../domain/users";
import { issueToken } from "./credentials";
import { randomPassword } from "./password";

export type BootstrapOptions = {
  stateDir: string;
  adminPassword?: string;
  demoPassword?: string;
  logger: Pick<Logger, "info" | "warn">;
};

/** Files only their owner may read; the mode is set again should the file already exist. */
async function writeSecret(path: string, value: string): Promise<void> {
  await writeFile(path, `${value}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
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
      logger.warn(`demo tenant created: log in as "demo" with password ${demoPassword} (also in ${file})`);
    } else {
      logger.info('demo tenant created: log in as "demo" with NETLENS_DEMO_PASSWORD');
    }
  }
  return true;
}
