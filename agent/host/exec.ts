// The one way the agent runs a program: an argument array (never a shell string), optional stdin, and an error
// that says which command failed and what it printed.
import { spawn } from "node:child_process";

export class CommandError extends Error {
  constructor(
    readonly command: string[],
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    const shown = command.join(" ");
    super(
      `${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown} failed (${code ?? "signal"}): ${stderr.trim()}`,
    );
    this.name = "CommandError";
  }
}

export type RunOptions = {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Resolve instead of throwing on a non-zero exit (callers that parse partial failures, e.g. `ip -force`). */
  allowFailure?: boolean;
};

export type RunResult = { stdout: string; stderr: string; code: number | null };

export function run(file: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 60_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    // A command that exits before reading all its input would otherwise crash us with EPIPE.
    child.stdin.on("error", () => {});
    child.on("close", (code) => {
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      if (code === 0 || options.allowFailure) resolve({ stdout, stderr, code });
      else reject(new CommandError([file, ...args], code, stdout, stderr));
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Runs `tasks` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
