// One per agent: the server's subscription to the agent's `snapshots` (SSE, bearer token), the latest whole
// snapshot of its host kept in memory, and whether the stream is up. When the stream breaks the host is marked
// offline (with the time it was last heard from) and the relay reconnects with backoff, resuming from the last
// event id so that the agent answers with only what changed meanwhile.
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { AgentInfo } from "../../agent/contract/intent";
import type { SnapshotEvent } from "../../agent/contract/snapshot";
import type { HostSnapshot } from "../../lib/host-snapshot";
import { type AgentClientOptions, agentTrpcClient } from "../agents/client";

export type RelayStatus = {
  url: string;
  /** As the agent names itself; null until it first answered. */
  host: string | null;
  online: boolean;
  /** When the stream last delivered something or came up; while online, it is live. */
  last_seen: string | null;
  /** Why the stream is down (null while it is up). */
  last_error: string | null;
  /** What the agent told about itself at the last connect. */
  info: (AgentInfo & { chain_prefix?: string }) | null;
};

export type RelayEvent =
  | { type: "snapshot"; url: string; host: string; event: SnapshotEvent }
  | { type: "status"; url: string; status: RelayStatus };

/** The agent's URL, token file (read at every request, so also at every connect) and CA (https://). */
export type RelayOptions = AgentClientOptions & {
  logger: Logger;
  retry?: { minMs: number; maxMs: number };
};

/** The whole snapshot after an event; null when a delta arrives without the snapshot it is relative to. */
function applySnapshotEvent(current: HostSnapshot | null, event: SnapshotEvent): HostSnapshot | null {
  if (event.type === "full") {
    return { host: event.host, seq: event.seq, taken_at: event.taken_at, sections: event.sections };
  }
  if (current === null) return null;
  const sections = { ...current.sections, ...event.changed };
  for (const key of event.removed) delete sections[key];
  return { host: current.host, seq: event.seq, taken_at: event.taken_at, sections };
}

export class HostRelay {
  readonly #o: RelayOptions & Required<Pick<RelayOptions, "retry">>;
  readonly #client: ReturnType<typeof agentTrpcClient>;
  readonly #events = new EventEmitter();
  #snapshot: HostSnapshot | null = null;
  #lastEventId: string | null = null;
  #status: RelayStatus;
  #subscription: { unsubscribe: () => void } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #stopped = true;
  /** Bumped on every (re)connect: callbacks of an abandoned subscription are ignored. */
  #generation = 0;

  constructor(options: RelayOptions) {
    // Not `{ default, ...options }`: an explicit `retry: undefined` would erase the default.
    this.#o = { ...options, retry: options.retry ?? { minMs: 250, maxMs: 5_000 } };
    this.#client = agentTrpcClient(options);
    this.#status = {
      url: options.url,
      host: null,
      online: false,
      last_seen: null,
      last_error: null,
      info: null,
    };
    this.#events.setMaxListeners(0);
  }

  get url(): string {
    return this.#o.url;
  }

  status(): RelayStatus {
    return this.#status;
  }

  snapshot(): HostSnapshot | null {
    return this.#snapshot;
  }

  on(listener: (event: RelayEvent) => void): () => void {
    this.#events.on("event", listener);
    return () => this.#events.off("event", listener);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#drop();
  }

  /** Ends the current subscription; #down runs inside its callbacks, and nothing there may stop the retry. */
  #drop(): void {
    const subscription = this.#subscription;
    this.#subscription = undefined;
    try {
      subscription?.unsubscribe();
    } catch (error) {
      this.#o.logger.debug({ err: error }, "unsubscribing from a broken stream failed");
    }
  }

  async #connect(): Promise<void> {
    const generation = ++this.#generation;
    this.#o.logger.debug({ url: this.#o.url, generation }, "connecting to the agent's snapshot stream");
    const current = () => generation === this.#generation && !this.#stopped;
    let info: AgentInfo;
    try {
      info = await this.#client.info.query();
    } catch (error) {
      this.#down(generation, error);
      return;
    }
    if (!current()) return;
    this.#status = { ...this.#status, host: info.host, info };
    this.#subscription = this.#client.snapshots.subscribe(
      { lastEventId: this.#lastEventId },
      {
        onStarted: () => {
          if (!current()) return;
          this.#failures = 0;
          this.#setStatus({ online: true, last_seen: new Date().toISOString(), last_error: null });
        },
        onData: ({ id, data }) => {
          if (!current()) return;
          const next = applySnapshotEvent(this.#snapshot, data);
          if (next === null) {
            // A delta without its base cannot be applied: start over with a full snapshot.
            this.#lastEventId = null;
            this.#down(generation, new Error("delta without a snapshot; resubscribing"));
            return;
          }
          this.#o.logger.debug({ host: next.host, seq: data.seq, type: data.type }, "snapshot event");
          this.#snapshot = next;
          this.#lastEventId = id;
          this.#status = { ...this.#status, host: next.host, last_seen: new Date().toISOString() };
          this.#emit({ type: "snapshot", url: this.#o.url, host: next.host, event: data });
        },
        onConnectionStateChange: (state) => {
          // "connecting" with an error: the stream broke (agent gone, network). EventSource would retry every
          // 3 s forever; we take over, to back off and to show the host offline meanwhile.
          if (state.state === "connecting" && state.error !== null) this.#down(generation, state.error);
        },
        onError: (error) => this.#down(generation, error),
        onComplete: () => this.#down(generation, new Error("the agent ended the stream")),
      },
    );
  }

  #down(generation: number, error: unknown): void {
    if (generation !== this.#generation || this.#stopped) return;
    this.#generation++;
    this.#drop();
    this.#failures++;
    // The retry is scheduled before anyone hears about the failure, so that nothing a listener does can stop it.
    const { minMs, maxMs } = this.#o.retry;
    const delay = Math.min(maxMs, minMs * 2 ** Math.min(this.#failures - 1, 16));
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#connect().catch((e: unknown) => this.#o.logger.error({ err: e }, "agent stream connect failed"));
    }, delay);
    this.#timer.unref();
    const message = error instanceof Error ? error.message : String(error);
    if (this.#status.online || this.#status.last_error !== message) {
      this.#o.logger.warn(
        { url: this.#o.url, err: message, failures: this.#failures, retry_ms: delay },
        "agent stream down",
      );
    }
    // Last seen stays what it was: the last moment we heard from it.
    this.#setStatus({ online: false, last_error: message });
  }

  #setStatus(change: Partial<RelayStatus>): void {
    const before = this.#status;
    this.#status = { ...before, ...change };
    if (before.online !== this.#status.online || before.last_error !== this.#status.last_error) {
      this.#emit({ type: "status", url: this.#o.url, status: this.#status });
    }
  }

  #emit(event: RelayEvent): void {
    try {
      this.#events.emit("event", event);
    } catch (error) {
      this.#o.logger.error({ err: error, event: event.type }, "relay listener failed");
    }
  }
}
