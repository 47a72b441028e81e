// One process per PGlite data directory. Each PGlite is a whole PostgreSQL with its own buffers and WAL; two on
// one directory know nothing of each other and corrupt it. A lock file inside the directory names its holder; a
// holder that is gone (a crash, SIGKILL, a power loss) leaves a stale lock that the next start takes over.
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE = "netlens.lock";

/** Who holds a lock: the pid, and its start time where the system tells it (null elsewhere). */
export type Holder = { pid: number; started: string | null };

/**
 * A process's start time in clock ticks since boot (Linux, /proc/<pid>/stat field 22). With it, a pid that a
 * restart handed to another process is not taken for the holder of a lock left before the restart.
 */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: count the fields after it.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function alive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the process exists and belongs to another user.
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const now = startTime(holder.pid);
  return holder.started === null || now === null || now === holder.started;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim().slice(0, 200);
  } catch {
    return "";
  }
}

/** The holder named in a lock file; null when unreadable (it is then stale), undefined when the file is gone. */
function readHolder(path: string): Holder | null | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const { pid, started } = JSON.parse(text) as { pid?: unknown; started?: unknown };
    if (!Number.isInteger(pid) || (pid as number) <= 0) return null;
    return { pid: pid as number, started: typeof started === "string" ? started : null };
  } catch {
    return null;
  }
}

function inUse(dir: string, holder: Holder, path: string): Error {
  const command = commandOf(holder.pid);
  return new Error(
    `The data directory ${dir} is in use by process ${holder.pid}${command ? ` (${command})` : ""}. ` +
      `Stop that process first, or give this one another data directory (NETLENS_DATA_DIR). Lock: ${path}`,
  );
}

/**
 * Sets a stale lock aside. Renaming is atomic, so of two processes taking the same stale lock over, one gets it;
 * if a live holder replaced the lock between our look and the rename, it is put back and we refuse.
 */
function takeOver(dir: string, path: string): void {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const grabbed = readHolder(aside);
  if (grabbed && alive(grabbed)) {
    try {
      linkSync(aside, path);
    } finally {
      unlinkSync(aside);
    }
    throw inUse(dir, grabbed, path);
  }
  unlinkSync(aside);
}

/**
 * Locks `dir` for this process, or throws naming the process that holds it. Returns the release, which removes
 * the lock only while it is still this process's.
 */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, started: startTime(process.pid) };
  // Written whole under another name, then linked into place: nobody ever reads a half-written lock.
  const draft = `${path}.${process.pid}-${randomBytes(4).toString("hex")}`;
  writeFileSync(draft, JSON.stringify(me));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(draft, path);
        return () => release(path, me);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = readHolder(path);
      if (holder && alive(holder)) throw inUse(dir, holder, path);
      if (holder !== undefined) takeOver(dir, path);
    }
    throw new Error(`Could not lock the data directory ${dir}: other processes keep taking ${path} over`);
  } finally {
    unlinkSync(draft);
  }
}

function release(path: string, me: Holder): void {
  const holder = readHolder(path);
  if (holder?.pid === me.pid && holder.started === me.started) unlinkSync(path);
}
