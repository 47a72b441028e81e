// One process per PGlite data directory: a second opener is refused with the holder's name, a holder that is gone
// leaves a lock the next start takes over, and the server closes the database (releasing it) on SIGTERM.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "./client";
import { LOCK_FILE, lockDataDir } from "./lock";
import { projects } from "./schema";

const root = resolve(import.meta.dirname, "../..");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "netlens-lock-"));
  dirs.push(dir);
  return dir;
}

/** A data directory made once (PGlite's initdb takes seconds), closed, for the tests that open one. */
let made: string;
beforeAll(async () => {
  made = freshDir();
  await (await createDb({ dataDir: made })).close();
}, 120_000);

/**
 * Node running a module of TypeScript-importing code in a process of its own, as a second server would be. Not
 * the `tsx` command: it stands between the test and the process and turns a slow answer to a signal into SIGKILL.
 */
const nodeArgs = (code: string) => ["--import", "tsx", "--input-type=module", "-e", code];

function otherProcess(code: string) {
  return spawnSync(process.execPath, nodeArgs(code), { cwd: root, encoding: "utf8", timeout: 60_000 });
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(child.stdout);
}

describe("the data directory lock", () => {
  it("refuses a second process, naming the holder, until the holder releases it", () => {
    const dir = freshDir();
    const release = lockDataDir(dir);
    const other = otherProcess(
      `import { lockDataDir } from "./server/db/lock.ts"; lockDataDir(${JSON.stringify(dir)});`,
    );
    expect(other.status).not.toBe(0);
    expect(other.stderr).toContain(`The data directory ${dir} is in use by process ${process.pid} (`);
    expect(other.stderr).toContain("Stop that process first");
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const again = otherProcess(
      `import { lockDataDir } from "./server/db/lock.ts"; lockDataDir(${JSON.stringify(dir)})(); console.log("locked and released");`,
    );
    expect(again.stdout).toContain("locked and released");
  }, 120_000);

  it("takes over a lock whose holder is gone, or whose pid another process now has", () => {
    const dir = freshDir();
    const lock = join(dir, LOCK_FILE);
    // A crash left it.
    writeFileSync(lock, JSON.stringify({ pid: deadPid(), started: "12345" }));
    lockDataDir(dir)();
    // A restart (a reboot, a new container) gave the dead holder's pid to this very process.
    writeFileSync(lock, JSON.stringify({ pid: process.pid, started: "0" }));
    const release = lockDataDir(dir);
    expect(JSON.parse(readFileSync(lock, "utf8")).pid).toBe(process.pid);
    release();
    // Half a file (written by something else): nobody can hold it.
    writeFileSync(lock, "{");
    lockDataDir(dir)();
    expect(existsSync(lock)).toBe(false);
  });

  it("keeps a second PGlite of the same process off the directory while the first is open", async () => {
    const dir = made;
    const first = await createDb({ dataDir: dir });
    try {
      await expect(createDb({ dataDir: dir })).rejects.toThrow(
        `The data directory ${dir} is in use by process ${process.pid}`,
      );
      await first.db.insert(projects).values({ name: "still-here" });
    } finally {
      await first.close();
    }
    const second = await createDb({ dataDir: dir });
    try {
      expect(await second.db.select().from(projects).where(eq(projects.name, "still-here"))).toHaveLength(1);
    } finally {
      await second.close();
    }
  }, 120_000);
});

describe("a server stopped by SIGTERM", () => {
  it("closes its database: the lock is released and what it wrote is there for the next process", async () => {
    const dir = made;
    const server = spawn(
      process.execPath,
      nodeArgs(
        `import { createDb } from "./server/db/client.ts";
         import { projects } from "./server/db/schema.ts";
         import { closeOnSignals } from "./server/shutdown.ts";
         const database = await createDb({ dataDir: ${JSON.stringify(dir)} });
         closeOnSignals(() => database.close());
         await database.db.insert(projects).values({ name: "written-before-sigterm" });
         console.log("ready");`,
      ),
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    server.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((done) => server.on("exit", (code) => done(code)));
    await new Promise<void>((ready, failed) => {
      server.stdout.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("ready")) ready();
      });
      void exited.then(() => failed(new Error(`the server ended before it was ready: ${stderr}`)));
    });
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);

    server.kill("SIGTERM");

    expect(await exited).toBe(143);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const next = await createDb({ dataDir: dir });
    try {
      const rows = await next.db.select().from(projects).where(eq(projects.name, "written-before-sigterm"));
      expect(rows).toHaveLength(1);
    } finally {
      await next.close();
    }
  }, 180_000);
});
