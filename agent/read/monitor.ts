// One per agent, shared by all subscribers: reads the host after every apply and every `intervalMs` while
// someone subscribes (nobody watching costs nothing), numbers each state that differs from the one before
// (`seq`), and hands each subscriber the sections that changed since what it was last sent.
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type {
  AgentError,
  HealthSection,
  HostSections,
  HostSnapshot,
  RevisionSection,
} from "../../lib/host-snapshot";
import type { SnapshotEvent } from "../contract/snapshot";
import { contentHash, diffSections, hashesOf, isEmptyDiff, type SectionHashes } from "./sections";
import type { HostRead } from "./snapshot-reader";

/** What the agent tells the monitor about itself at each read. */
export type AgentStatus = {
  host: string;
  applied_revision: number;
  started_at: Date;
  last_apply_at: string | null;
  /** The last apply's error; null once an apply succeeded. */
  apply_error: AgentError | null;
};

export type MonitorOptions = {
  /** How often to read the host while someone subscribes (to see changes made by hand). */
  intervalMs: number;
  logger: Logger;
};

type State = { seq: number; taken_at: string; sections: HostSections; hashes: Map<string, string> };

/** States kept to answer a resume (`lastEventId`) with a delta: a subscriber away longer gets a full snapshot. */
const HISTORY = 64;

export class HostMonitor {
  private state: State | null = null;
  private readonly history = new Map<number, SectionHashes>();
  /** Makes ids unique per agent process: a resume with an id of a previous process gets a full snapshot. */
  private readonly boot = randomBytes(4).toString("hex");
  private running: Promise<State> | null = null;
  private queued: Promise<State> | null = null;
  private subscribers = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<() => void>();
  private readError: AgentError | null = null;
  private closed = false;

  constructor(
    private readonly read: () => Promise<HostRead>,
    private readonly status: () => AgentStatus,
    private readonly options: MonitorOptions,
  ) {}

  /** A snapshot read now (not one older than this call). */
  async snapshot(): Promise<HostSnapshot> {
    const state = await this.refresh();
    return { host: this.status().host, seq: state.seq, taken_at: state.taken_at, sections: state.sections };
  }

  /** Called after every apply: subscribers see its effect without waiting for the next poll. */
  changed(): void {
    if (this.subscribers === 0 || this.closed) return;
    this.refresh().catch((error: unknown) => this.options.logger.warn({ err: error }, "snapshot failed"));
  }

  /**
   * Sections whose new content the caller already holds (the binder's report of what is plugged, after each of
   * its passes): a new state from the last one with them replaced, without reading the host. While workloads
   * are being plugged the binder reports every few tens of ms, and a whole read (a dozen processes, 35-90 ms on
   * a busy host) each time took the CPU the plugging needed. A read under way may hold older content of them:
   * then one more read after it, as `changed` does (the caller's read function must give the same content).
   */
  patch(sections: HostSections): void {
    if (this.subscribers === 0 || this.closed) return;
    if (this.state === null || this.running !== null) this.changed();
    else this.commit({ ...this.hostSections(), ...sections }, new Date());
  }

  /**
   * The events of one subscriber: a full snapshot first (or, resuming from an id this process still knows, a
   * delta from there), then a delta whenever a read finds sections that differ from what it was last sent.
   * Ends when `signal` aborts or the monitor closes.
   */
  async *events(
    lastEventId: string | null,
    signal?: AbortSignal,
  ): AsyncGenerator<{ id: string; event: SnapshotEvent }, void, undefined> {
    const idle = this.subscribers === 0;
    this.subscribers++;
    try {
      // While nobody subscribed nothing was read: the last state may be old.
      let state = idle || this.state === null ? await this.refresh() : this.state;
      this.schedule();
      const resumed = this.resumeFrom(lastEventId);
      if (resumed === null) {
        yield {
          id: this.id(state.seq),
          event: {
            type: "full",
            host: this.status().host,
            seq: state.seq,
            taken_at: state.taken_at,
            sections: state.sections,
          },
        };
      }
      let sent: SectionHashes = resumed ?? state.hashes;
      for (;;) {
        if (sent !== state.hashes) {
          const diff = diffSections(sent, state.sections);
          if (!isEmptyDiff(diff)) {
            yield {
              id: this.id(state.seq),
              event: { type: "delta", seq: state.seq, taken_at: state.taken_at, ...diff },
            };
          }
          sent = state.hashes;
        }
        const next = await this.after(state.seq, signal);
        if (next === null) return;
        state = next;
      }
    } finally {
      this.subscribers--;
      if (this.subscribers === 0 && this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    }
  }

  /** Ends every subscription and stops polling. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const wake of this.waiters) wake();
  }

  private id(seq: number): string {
    return `${this.boot}-${seq}`;
  }

  private resumeFrom(lastEventId: string | null): SectionHashes | null {
    const match = /^([0-9a-f]+)-(\d+)$/.exec(lastEventId ?? "");
    if (match === null || match[1] !== this.boot) return null;
    return this.history.get(Number(match[2])) ?? null;
  }

  /** The first state with a seq above `seq`; null when `signal` aborts or the monitor closes. */
  private after(seq: number, signal?: AbortSignal): Promise<State | null> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.closed || signal?.aborted) return done(null);
        if (this.state !== null && this.state.seq > seq) done(this.state);
      };
      const done = (value: State | null) => {
        this.waiters.delete(check);
        signal?.removeEventListener("abort", check);
        resolve(value);
      };
      this.waiters.add(check);
      signal?.addEventListener("abort", check);
      check();
    });
  }

  /** The next poll, while someone subscribes. A timeout after each read, so that slow reads never pile up. */
  private schedule(): void {
    if (this.subscribers === 0 || this.closed || this.timer !== undefined) return;
    const timer = setTimeout(() => {
      this.refresh()
        .catch((error: unknown) => this.options.logger.warn({ err: error }, "snapshot failed"))
        .finally(() => {
          // Not ours any more when the last subscriber left (and maybe a new one started another) meanwhile.
          if (this.timer !== timer) return;
          this.timer = undefined;
          this.schedule();
        });
    }, this.options.intervalMs);
    // Polling alone must not keep a process alive (tests, `--cleanup`); the HTTP server does that.
    timer.unref();
    this.timer = timer;
  }

  /** A read that starts after this call: joins one queued behind a running read, or starts one. */
  private refresh(): Promise<State> {
    if (this.queued !== null) return this.queued;
    if (this.running !== null) {
      this.queued = this.running
        .catch(() => undefined)
        .then(() => {
          this.queued = null;
          return this.refresh();
        });
      return this.queued;
    }
    const running = this.take().finally(() => {
      this.running = null;
    });
    this.running = running;
    return running;
  }

  private async take(): Promise<State> {
    const now = new Date();
    let read: HostRead;
    try {
      read = await this.read();
    } catch (error) {
      // Keep the previous sections: an unreadable host is reported in health, not as everything removed.
      read = {
        sections: this.hostSections(),
        errors: [error instanceof Error ? error.message : String(error)],
      };
    }
    const message = read.errors.join("; ");
    if (message === "") this.readError = null;
    else if (this.readError?.message !== message) {
      // Same error as last time: keep its first time, so that a lasting error does not change health each read.
      this.readError = { message, at: now.toISOString(), source: "observe" };
      this.options.logger.warn({ errors: read.errors }, "host read incomplete");
    }
    return this.commit(read.sections, now);
  }

  /** A new state from these host sections (revision and health made fresh), numbered when it differs. */
  private commit(hostSections: HostSections, now: Date): State {
    const status = this.status();
    const sections: HostSections = {
      ...hostSections,
      revision: revisionSection(status.applied_revision),
      health: healthSection(status, this.readError, now),
    };
    const hashes = hashesOf(sections);
    const previous = this.state;
    if (previous !== null && sameHashes(previous.hashes, hashes)) {
      // Unchanged: same seq, but the newer time (and uptime) for the next `snapshot`.
      this.state = { ...previous, taken_at: now.toISOString(), sections };
      return this.state;
    }
    const state: State = { seq: (previous?.seq ?? 0) + 1, taken_at: now.toISOString(), sections, hashes };
    this.state = state;
    this.history.set(state.seq, hashes);
    this.history.delete(state.seq - HISTORY);
    // Only when something changed (never at idle): with the server's "snapshot event", where a change's time goes.
    this.options.logger.debug({ seq: state.seq, read_ms: Date.now() - now.getTime() }, "host changed");
    for (const wake of this.waiters) wake();
    return state;
  }

  /** The last state's host sections (without revision and health, which are made fresh each read). */
  private hostSections(): HostSections {
    const { revision: _revision, health: _health, ...rest } = this.state?.sections ?? {};
    return rest;
  }
}

function revisionSection(applied: number): RevisionSection {
  return { kind: "revision", hash: contentHash(String(applied)), applied_revision: applied };
}

function healthSection(status: AgentStatus, readError: AgentError | null, now: Date): HealthSection {
  const errors = [status.apply_error, readError].filter((e): e is AgentError => e !== null);
  errors.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  const lastError = errors[0] ?? null;
  const started = status.started_at.toISOString();
  return {
    kind: "health",
    // uptime_s is left out: it changes every second, the rest only when something happens.
    hash: contentHash(JSON.stringify([started, lastError, status.last_apply_at])),
    started_at: started,
    uptime_s: Math.round((now.getTime() - status.started_at.getTime()) / 1000),
    last_error: lastError,
    last_apply_at: status.last_apply_at,
  };
}

function sameHashes(a: SectionHashes, b: SectionHashes): boolean {
  if (a.size !== b.size) return false;
  for (const [key, hash] of a) if (b.get(key) !== hash) return false;
  return true;
}
