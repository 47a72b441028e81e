// `ip -json -force -batch -` in a namespace: the trace's route and address questions. A trace asks a few lines
// at a time, one round trip after another, in the same few namespaces; a process per round trip (`ip -n NS`
// forks, switches namespace and remounts /sys before it reads a line) cost 3-30 ms on a busy 2-core host, where
// an open process answers a line in ~0.1 ms. So a namespace being traced keeps one `ip -batch` process open for
// a short while, and each round trip writes its lines to it (ip answers each line as it reads it, and flushes).
//
// The answers stay the kernel's: every line is a fresh netlink request. What such a process may hold stale is
// ip's own cache of interface names: a device deleted and made again under the same name makes a line naming
// it fail ("No such device"), never answer for another device, so a line that fails is asked again of a
// new process, whose answer is the one given (the open process is replaced when the two differ). A namespace
// deleted or made again is noticed before use (its inode changed); a process idle for a moment is closed, so
// that it never keeps a deleted namespace alive for long.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { run } from "./exec";
import { namespaceInode } from "./netns";

export type IpResult = { ok: true; json: unknown } | { ok: false; error: string };

/** How long a namespace's process stays open after its last batch (bench:trace waits this out for a cold trace). */
export const IP_SESSION_IDLE_MS = 2000;

/** Reads ip's answers to `count` lines numbered from `first` (ip numbers the lines it reads from 1). */
class Answers {
  readonly json: unknown[] = [];
  readonly failed = new Map<number, string>();
  constructor(
    readonly first: number,
    readonly count: number,
  ) {}

  get complete(): boolean {
    return this.json.length + this.failed.size >= this.count;
  }

  /** The results in line order: the failed lines from stderr, the JSON lines in order for the others. */
  results(leftover: string): IpResult[] {
    let next = 0;
    return Array.from({ length: this.count }, (_, index): IpResult => {
      const error = this.failed.get(index);
      if (error !== undefined) return { ok: false, error: error.replace(/^RTNETLINK answers: /, "") };
      if (next >= this.json.length) return { ok: false, error: leftover || "no output" };
      return { ok: true, json: this.json[next++] };
    });
  }
}

/** Sorts ip's stderr: error text, then `Command failed -:N` naming the line it belongs to. */
class StderrReader {
  #pending: string[] = [];
  /** Feeds one line; returns the failed line's number (from 1) and its error when the line closes one. */
  line(text: string): { line: number; error: string } | null {
    const match = /^Command failed -:(\d+)$/.exec(text.trim());
    if (match === null) {
      if (text.trim()) this.#pending.push(text.trim());
      return null;
    }
    const error = this.#pending.join("; ") || "failed";
    this.#pending = [];
    return { line: Number(match[1]), error };
  }
  get leftover(): string {
    return this.#pending.join("; ");
  }
}

/** Splits a stream's chunks into lines. */
function lines(onLine: (line: string) => void): (chunk: string) => void {
  let buffer = "";
  return (chunk) => {
    buffer += chunk;
    let end = buffer.indexOf("\n");
    while (end >= 0) {
      onLine(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      end = buffer.indexOf("\n");
    }
  };
}

/**
 * Runs the lines in one `ip -n NS -json -force -batch -`. Each successful line prints one JSON array on stdout;
 * a failing one prints its error and `Command failed -:N` on stderr. So the failed line numbers come from
 * stderr, and the JSON lines go, in order, to the others.
 */
export async function ipBatch(namespace: string, input: string[]): Promise<IpResult[]> {
  const { stdout, stderr } = await run("ip", ["-n", namespace, "-json", "-force", "-batch", "-"], {
    input: `${input.join("\n")}\n`,
    allowFailure: true,
  });
  const answers = new Answers(0, input.length);
  const reader = new StderrReader();
  for (const text of stderr.split("\n")) {
    const failed = reader.line(text);
    if (failed !== null) answers.failed.set(failed.line - 1 - answers.first, failed.error);
  }
  for (const line of stdout.split("\n"))
    if (line.trim().startsWith("[")) answers.json.push(JSON.parse(line) as unknown);
  return answers.results(reader.leftover);
}

/** One long-lived `ip -batch` in one namespace (the namespace's inode at start names which one). */
class Session {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #stderr = new StderrReader();
  #sent = 0;
  #current: { answers: Answers; done: () => void; fail: (error: Error) => void } | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  lastUsed = Date.now();

  constructor(
    readonly namespace: string,
    readonly inode: string,
    private readonly timeoutMs: number,
  ) {
    this.#child = spawn("ip", ["-n", namespace, "-json", "-force", "-batch", "-"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    // Never what keeps the agent running: on exit ip reads EOF and ends.
    this.#child.unref();
    for (const stream of [this.#child.stdin, this.#child.stdout, this.#child.stderr])
      (stream as unknown as { unref?: () => void }).unref?.();
    this.#child.stdin.on("error", () => this.close());
    this.#child.stdout.setEncoding("utf8");
    this.#child.stderr.setEncoding("utf8");
    this.#child.stdout.on(
      "data",
      lines((line) => {
        if (!line.trim().startsWith("[") || this.#current === null) return;
        try {
          this.#current.answers.json.push(JSON.parse(line) as unknown);
        } catch (error) {
          this.#current.fail(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        this.#settle();
      }),
    );
    this.#child.stderr.on(
      "data",
      lines((line) => {
        const failed = this.#stderr.line(line);
        if (failed === null || this.#current === null) return;
        this.#current.answers.failed.set(failed.line - 1 - this.#current.answers.first, failed.error);
        this.#settle();
      }),
    );
    const ended = () => {
      this.#closed = true;
      this.#current?.fail(new Error(`ip -batch in ${namespace} ended`));
    };
    this.#child.on("error", ended);
    this.#child.on("exit", ended);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get busy(): boolean {
    return this.#current !== null;
  }

  #settle(): void {
    if (this.#current?.answers.complete) this.#current.done();
  }

  /** The lines' answers, after those asked before (one batch at a time: ip numbers lines across them). */
  run(input: string[]): Promise<IpResult[]> {
    const task = this.#queue.then(() => this.#run(input));
    this.#queue = task.catch(() => undefined);
    return task;
  }

  #run(input: string[]): Promise<IpResult[]> {
    if (this.#closed) return Promise.reject(new Error(`ip -batch in ${this.namespace} is closed`));
    this.lastUsed = Date.now();
    const answers = new Answers(this.#sent, input.length);
    this.#sent += input.length;
    return new Promise<IpResult[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        fail(new Error(`ip -batch in ${this.namespace}: no answer within ${this.timeoutMs} ms`));
        this.close();
      }, this.timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#current = null;
      };
      const fail = (error: Error) => {
        finish();
        reject(error);
      };
      this.#current = {
        answers,
        done: () => {
          finish();
          this.lastUsed = Date.now();
          resolve(answers.results(this.#stderr.leftover));
        },
        fail,
      };
      this.#child.stdin.write(`${input.join("\n")}\n`);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.stdin.end();
    this.#current?.fail(new Error(`ip -batch in ${this.namespace} was closed`));
  }
}

export type IpSessionOptions = {
  /** A process idle this long is closed. */
  idleMs?: number;
  /** At most this many processes at once (the least recently used is closed first). */
  max?: number;
  /** A batch without an answer this long fails (and is asked again of a new process). */
  timeoutMs?: number;
};

/** `ip -batch` processes kept open per namespace while a trace asks questions there. */
export class IpSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #idleMs: number;
  readonly #max: number;
  readonly #timeoutMs: number;
  #sweeper: NodeJS.Timeout | null = null;

  constructor(options: IpSessionOptions = {}) {
    this.#idleMs = options.idleMs ?? IP_SESSION_IDLE_MS;
    this.#max = options.max ?? 16;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /** The lines' answers from the namespace's open process; a line that failed there is asked of a new one. */
  async run(namespace: string, input: string[]): Promise<IpResult[]> {
    const session = await this.#session(namespace);
    if (session === null) return ipBatch(namespace, input);
    let results: IpResult[];
    try {
      results = await session.run(input);
    } catch {
      this.#drop(session);
      return ipBatch(namespace, input);
    }
    const failed = results.flatMap((r, i) => (r.ok ? [] : [i]));
    if (failed.length === 0) return results;
    // A failure may be ip's stale name cache: a new process answers those lines. Where it answers otherwise,
    // the open one was stale, and this namespace starts afresh next time.
    const again = await ipBatch(
      namespace,
      failed.map((i) => input[i] ?? ""),
    );
    let stale = false;
    failed.forEach((index, k) => {
      const fresh = again[k] ?? { ok: false, error: "no answer" };
      const old = results[index];
      if (fresh.ok || (old !== undefined && !old.ok && fresh.error !== old.error)) stale = true;
      results[index] = fresh;
    });
    if (stale) this.#drop(session);
    return results;
  }

  async #session(namespace: string): Promise<Session | null> {
    const inode = await namespaceInode(namespace);
    const open = this.#sessions.get(namespace);
    if (open !== undefined && (open.closed || open.inode !== inode)) this.#drop(open);
    if (inode === null) return null;
    const kept = this.#sessions.get(namespace);
    if (kept !== undefined) return kept;
    if (this.#sessions.size >= this.#max) {
      const oldest = [...this.#sessions.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (oldest !== undefined) this.#drop(oldest);
    }
    const session = new Session(namespace, inode, this.#timeoutMs);
    this.#sessions.set(namespace, session);
    this.#sweep();
    return session;
  }

  #drop(session: Session): void {
    session.close();
    if (this.#sessions.get(session.namespace) === session) this.#sessions.delete(session.namespace);
  }

  /** Closes idle processes while any is open. */
  #sweep(): void {
    if (this.#sweeper !== null) return;
    this.#sweeper = setInterval(
      () => {
        const now = Date.now();
        for (const session of this.#sessions.values())
          if (!session.busy && now - session.lastUsed >= this.#idleMs) this.#drop(session);
        if (this.#sessions.size === 0) this.close();
      },
      Math.max(50, Math.floor(this.#idleMs / 4)),
    );
    this.#sweeper.unref();
  }

  /** Closes every process now. */
  close(): void {
    if (this.#sweeper !== null) clearInterval(this.#sweeper);
    this.#sweeper = null;
    for (const session of [...this.#sessions.values()]) this.#drop(session);
  }

  get size(): number {
    return this.#sessions.size;
  }
}
