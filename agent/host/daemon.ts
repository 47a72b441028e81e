// The daemons the agent runs inside namespaces, as Neutron's agents do: dnsmasq (Debian's dnsmasq-base) as a
// network's DHCP server, haproxy as a metadata proxy, keepalived as an HA router's VRRP. Each is started inside
// its namespace, where it forks into the background and writes its pid file; reloaded with SIGHUP (dnsmasq,
// keepalived); stopped with SIGTERM. A pid is only
// ever signalled when /proc says that it is that program started with that very pid file (ours), never on the
// pid file's word alone: the process may have died and its pid gone to another one.
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { DaemonProgram, ObservedDaemon } from "../plan/pictures";
import { run } from "./exec";
import { netnsPath } from "./netns";

/** The pid of the `program` of ours that `pidFile` names, and its arguments; null when none runs. */
async function ourProcess(
  program: DaemonProgram,
  pidFile: string,
): Promise<{ pid: number; args: string[] } | null> {
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(pidFile, "utf8")).trim(), 10);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1) return null;
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").filter((a) => a !== "");
    const [path, ...args] = argv;
    if (path === undefined || path.split("/").at(-1) !== program) return null;
    // dnsmasq takes `--pid-file=PATH`, haproxy and keepalived `-p PATH`.
    if (!args.some((a) => a === pidFile || a === `--pid-file=${pidFile}`)) return null;
    // A zombie still has its cmdline emptied; a stopped daemon is as good as dead for its clients.
    const state = /^\d+ \(.*\) (\S)/.exec(await readFile(`/proc/${pid}/stat`, "utf8"))?.[1];
    if (state === "Z" || state === "X" || state === "T") return null;
    return { pid, args };
  } catch {
    return null;
  }
}

/** Whether the `program` of ours that `pidFile` names runs (two small reads: cheap enough to poll). */
export async function daemonRuns(program: DaemonProgram, pidFile: string): Promise<boolean> {
  return (await ourProcess(program, pidFile)) !== null;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return null;
  }
}

/** What the host holds of one daemon of ours: its process and its files. */
export async function readDaemon(
  program: DaemonProgram,
  dir: string,
  pidFile: string,
  files: readonly string[],
): Promise<ObservedDaemon> {
  const [process, ...contents] = await Promise.all([ourProcess(program, pidFile), ...files.map(readOrNull)]);
  return {
    program,
    dir,
    pidFile,
    pid: process?.pid ?? null,
    args: process?.args ?? [],
    files: Object.fromEntries(files.map((path, index) => [path, contents[index] ?? null])),
  };
}

/**
 * Writes a daemon's files, each through a temporary file and a rename, so that it never reads half of one. The
 * daemons drop root for `nobody` as they start (dnsmasq reads its files as that user, then and on SIGHUP; haproxy
 * reaches the relay's socket as it): the files are world-readable, and every directory above them must let others
 * pass (search, not list). The agent's own state directory (two levels up: `<state dir>/dhcp/<network id>`,
 * `<state dir>/metadata/<router id>`) is made so, its other files being its alone (0600); a directory above it
 * that is not is named in the error, for whoever runs the agent to open it (chmod o+x).
 */
export async function writeDaemonFiles(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (let d = dir, level = 0; d !== dirname(d); d = dirname(d), level++) {
    const { mode } = await stat(d);
    if ((mode & 0o001) !== 0) continue;
    if (level > 2)
      throw new Error(
        `The daemons (user nobody) cannot reach ${dir}: ${d} does not let others pass (chmod o+x)`,
      );
    await chmod(d, (mode & 0o7777) | 0o011);
  }
  for (const [path, text] of Object.entries(files)) {
    if (dirname(path) !== dir) throw new Error(`Daemon file ${path} is not in ${dir}`);
    const tmp = `${path}.tmp`;
    const file = await open(tmp, "w", 0o644);
    try {
      await file.writeFile(text);
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  }
}

/** The last `count` lines of a log file (its last 16 KiB at most); none when it does not exist. */
export async function readLogTail(path: string, count: number): Promise<string[]> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, "r");
  } catch {
    return [];
  }
  try {
    const { size } = await file.stat();
    const length = Math.min(size, 16_384);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    const lines = buffer
      .toString("utf8")
      .split("\n")
      .filter((line) => line !== "");
    // A partial first line (cut by the 16 KiB window) is left out.
    if (length < size) lines.shift();
    return lines.slice(-count);
  } finally {
    await file.close();
  }
}

/**
 * Starts the daemon in the namespace; it returns once the daemon runs under its pid file. dnsmasq and haproxy
 * bind their port and write it before the command returns; keepalived's forked parent writes it a moment after.
 */
export async function startDaemon(
  ns: string,
  program: DaemonProgram,
  args: string[],
  pidFile: string,
): Promise<void> {
  await removeStalePidFiles(program, pidFile);
  await run("nsenter", [`--net=${netnsPath(ns)}`, program, ...args], { timeoutMs: 10_000 });
  const deadline = Date.now() + 5000;
  while ((await ourProcess(program, pidFile)) === null) {
    if (Date.now() > deadline) throw new Error(`${program} did not start (no process under ${pidFile})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A daemon about to start that does not run leaves no pid file behind: keepalived will not start while its
 * pid files (its own and its VRRP child's, `*.pid` beside it) name a process that exists, and a process killed
 * under a PID 1 that does not reap (a container's) stays a zombie, which exists for that check. Seen here: a
 * SIGKILLed keepalived's pids stayed zombies and the next keepalived exited at once, starting nothing.
 */
async function removeStalePidFiles(program: DaemonProgram, pidFile: string): Promise<void> {
  if ((await ourProcess(program, pidFile)) !== null) return;
  const dir = dirname(pidFile);
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((name) => name.endsWith(".pid")).map((name) => join(dir, name));
  await Promise.all([pidFile, ...stale].map((path) => rm(path, { force: true })));
}

/** SIGHUP to the daemon of ours: dnsmasq re-reads its hosts and options files. Fails when it does not run. */
export async function reloadDaemon(program: DaemonProgram, pidFile: string): Promise<void> {
  const process = await ourProcess(program, pidFile);
  if (process === null) throw new Error(`${program} of ${pidFile} is not running: nothing to reload`);
  globalThis.process.kill(process.pid, "SIGHUP");
}

/** Stops the daemon of ours (if it runs) and waits for it to go; `purge`: removes its directory after. */
export async function stopDaemon(
  program: DaemonProgram,
  pidFile: string,
  purge: string | null,
): Promise<void> {
  const found = await ourProcess(program, pidFile);
  if (found !== null) {
    process.kill(found.pid, "SIGTERM");
    const deadline = Date.now() + 5000;
    while ((await ourProcess(program, pidFile)) !== null) {
      if (Date.now() > deadline) {
        process.kill(found.pid, "SIGKILL");
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  await rm(pidFile, { force: true });
  if (purge !== null) {
    if (dirname(pidFile) !== purge)
      throw new Error(`Will not remove ${purge}: not the directory of ${pidFile}`);
    await rm(purge, { recursive: true, force: true });
  }
}
