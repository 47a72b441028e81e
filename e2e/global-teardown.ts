// Stops what global setup started and removes what the stack made: the web server and agent (by their own
// process groups), the agent's dataplane (its --cleanup: namespaces, ports and chains with our prefix), the
// OVS sandbox (and its bridges' taps), and the state directory.
import { execFile } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { agentArgs, readStack, repoRoot, stackFile } from "./stack";

const run = promisify(execFile);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stop(pid: number): Promise<void> {
  if (pid <= 0 || !alive(pid)) return;
  // detached: true made each a process-group leader; the group takes next's and tsx's children with it.
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(-pid, "SIGKILL");
}

/** Stops and removes the stack recorded in `file` (whatever part of it was started), then the record. */
export async function stopStack(file: string): Promise<void> {
  if (!existsSync(file)) return;
  const stack = readStack(file);
  for (const pid of [...stack.pids].reverse()) await stop(pid);
  const problems: string[] = [];
  await run(join(repoRoot, "node_modules/.bin/tsx"), [...agentArgs(stack), "--cleanup"], {
    cwd: repoRoot,
  }).catch((e: Error) => problems.push(`agent cleanup: ${e.message}`));
  await run("bash", [join(repoRoot, "scripts/ovs-sandbox.sh"), "stop", join(stack.dir, "ovs")]).catch(
    (e: Error) => problems.push(`ovs sandbox stop: ${e.message}`),
  );
  if (process.env.NETLENS_E2E_KEEP) console.log(`e2e stack state kept in ${stack.dir}`);
  else rmSync(stack.dir, { recursive: true, force: true });
  rmSync(file, { force: true });
  if (problems.length > 0) throw new Error(problems.join("\n"));
}

export default async function globalTeardown(): Promise<void> {
  await stopStack(stackFile);
}
