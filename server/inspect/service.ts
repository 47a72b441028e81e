// Host inspection in the server process: a relay per agent (latest snapshot in memory), drift recomputed when a
// snapshot or the model changes, a stream for browsers, and repair through the dispatcher. Snapshots and drift
// are in memory (no table for them, on purpose: they are what the hosts say now, not what we decided); with
// several servers, each relays every agent itself, so each computes the same drift from the same database.
import { EventEmitter, on } from "node:events";
import type { Logger } from "pino";
import type { SnapshotDeltaEvent } from "../../agent/contract/snapshot";
import type { HostSnapshot } from "../../lib/host-snapshot";
import { recordBindings } from "../agents/bindings";
import type { AgentClientOptions } from "../agents/client";
import { forgetHaStates, haStatesIn, recordHaStates } from "../agents/ha-states";
import { compileIntent } from "../agents/intent";
import { loadIntentInputs } from "../agents/snapshot";
import type { Db, DbTx } from "../db/client";
import { type AgentRow, agents } from "../db/schema";
import { recordStreamContact } from "../domain/hosts";
import type { ChangeEvent, EventBus } from "../events";
import { computeDrift, type DriftItem } from "./drift";
import { HostRelay, type RelayEvent, type RelayStatus } from "./relay";

/** What repair needs from the dispatcher (a fake in unit tests). */
export type Repairer = {
  repair(target: "all" | string[]): Promise<void>;
  autoRepair(): Promise<boolean>;
  setAutoRepair(on: boolean): Promise<void>;
};

export type PublishedDrift = DriftItem & { since: string };

export type InspectEvent =
  | { type: "status"; status: RelayStatus }
  | { type: "full"; host: string; snapshot: HostSnapshot }
  | { type: "delta"; host: string; event: SnapshotDeltaEvent }
  | { type: "drift"; host: string | null; items: PublishedDrift[] };

export type InspectionOptions = {
  db: Db;
  bus: EventBus;
  logger: Logger;
  repairer?: Repairer;
  /**
   * A difference must last this long before it is shown: a read taken while an apply runs can catch the host
   * half-way, and the read the apply triggers right after settles it.
   */
  settleMs?: number;
  retry?: { minMs: number; maxMs: number };
};

const RECOMPUTE_DEBOUNCE_MS = 30;

export class Inspection {
  readonly #o: InspectionOptions & { settleMs: number };
  readonly #relays = new Map<string, HostRelay>();
  readonly #events = new EventEmitter();
  readonly #unsubscribe: (() => void)[] = [];
  /** First time each drift entry was seen (key: kind:id:missing|extra:text). */
  readonly #firstSeen = new Map<string, number>();
  /** Per agent URL: what the last computation found (shown once settled). */
  #computed = new Map<string, DriftItem[]>();
  #published: PublishedDrift[] = [];
  #pendingHosts = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #dirty = false;
  #closed = false;
  #recorded: Promise<void> = Promise.resolve();

  constructor(options: InspectionOptions) {
    this.#o = { ...options, settleMs: options.settleMs ?? 500 };
    this.#events.setMaxListeners(0);
    // Model changes move what the host must have; host events are ours or the dispatcher's (a snapshot
    // follows every apply, and that is what triggers a recompute).
    this.#unsubscribe.push(
      options.bus.subscribe((event) => {
        if (event.kind !== "host") this.#schedule();
      }),
    );
  }

  /** Starts relaying one agent's host. */
  addAgent(options: AgentClientOptions): HostRelay {
    const existing = this.#relays.get(options.url);
    if (existing) return existing;
    const relay = new HostRelay({
      url: options.url,
      tokenFile: options.tokenFile,
      caFile: options.caFile,
      logger: this.#o.logger,
      retry: this.#o.retry,
    });
    this.#unsubscribe.push(relay.on((event) => this.#onRelay(event)));
    this.#relays.set(options.url, relay);
    relay.start();
    return relay;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const stop of this.#unsubscribe) stop();
    for (const relay of this.#relays.values()) relay.stop();
    this.#events.emit("close");
  }

  statuses(): RelayStatus[] {
    return [...this.#relays.values()].map((r) => r.status());
  }

  relayByUrl(url: string): HostRelay | undefined {
    return this.#relays.get(url);
  }

  relayByHost(host: string): HostRelay | undefined {
    return [...this.#relays.values()].find((r) => r.status().host === host);
  }

  drift(host?: string): PublishedDrift[] {
    return host === undefined ? this.#published : this.#published.filter((d) => d.host === host);
  }

  /** Hosts whose applied revision is behind the model: their drift is what it was before the change. */
  pendingHosts(): string[] {
    return [...this.#pendingHosts];
  }

  async autoRepair(): Promise<boolean> {
    return (await this.#o.repairer?.autoRepair()) ?? false;
  }

  async setAutoRepair(on: boolean): Promise<void> {
    if (!this.#o.repairer) throw new Error("Repair needs the dispatcher");
    await this.#o.repairer.setAutoRepair(on);
    if (on && this.#published.length > 0) await this.repair("all");
  }

  /**
   * Re-pushes the desired state of the resources named (the ids the agent knows: router, instance, network),
   * or of everything, with a new revision. Returns what was asked for.
   */
  async repair(target: "all" | string[]): Promise<void> {
    if (!this.#o.repairer) throw new Error("Repair needs the dispatcher");
    this.#o.logger.info({ target }, "drift repair requested");
    await this.#o.repairer.repair(target);
  }

  /** The events of one browser: where every host is now, then what changes. */
  async *stream(host: string | undefined, signal?: AbortSignal): AsyncGenerator<InspectEvent> {
    const wanted = (h: string | null) => host === undefined || h === host;
    // Listen before reading the current state, so that nothing falls between the two.
    const ac = new AbortController();
    const abort = () => ac.abort();
    signal?.addEventListener("abort", abort);
    this.#events.once("close", abort);
    const events = on(this.#events, "event", { signal: ac.signal });
    try {
      for (const relay of this.#relays.values()) {
        const status = relay.status();
        if (!wanted(status.host)) continue;
        yield { type: "status", status };
        const snapshot = relay.snapshot();
        if (snapshot) yield { type: "full", host: snapshot.host, snapshot };
      }
      yield { type: "drift", host: host ?? null, items: this.drift(host) };
      for await (const [event] of events) {
        const e = event as InspectEvent;
        switch (e.type) {
          case "status":
            if (wanted(e.status.host)) yield e;
            break;
          case "full":
          case "delta":
            if (wanted(e.host)) yield e;
            break;
          case "drift":
            yield { type: "drift", host: host ?? null, items: this.drift(host) };
            break;
          default: {
            const unreachable: never = e;
            throw new Error(`Unknown event ${JSON.stringify(unreachable)}`);
          }
        }
      }
    } catch (error) {
      if (!ac.signal.aborted) throw error;
    } finally {
      signal?.removeEventListener("abort", abort);
      this.#events.off("close", abort);
    }
  }

  /** Resolves once a recompute that started after this call has finished (tests). */
  async settled(): Promise<void> {
    this.#schedule();
    await new Promise((r) => setTimeout(r, RECOMPUTE_DEBOUNCE_MS * 2));
    while (this.#running) await this.#running;
  }

  #onRelay(event: RelayEvent): void {
    switch (event.type) {
      case "status": {
        this.#events.emit("event", { type: "status", status: event.status } satisfies InspectEvent);
        this.#o.bus.emit({ kind: "host", id: event.status.host ?? event.url, action: "status" });
        const { host, online, last_error } = event.status;
        if (host === null) break;
        // The stream is a contact with the agent: the liveness everyone reads (server/domain/hosts.ts) hears it.
        this.#record(host, (tx) => recordStreamContact(tx, host, online ? null : (last_error ?? "down")));
        if (!online) this.#record(host, (tx) => forgetHaStates(tx, host));
        break;
      }
      case "snapshot": {
        const out: InspectEvent =
          event.event.type === "full"
            ? {
                type: "full",
                host: event.host,
                snapshot: {
                  host: event.event.host,
                  seq: event.event.seq,
                  taken_at: event.event.taken_at,
                  sections: event.event.sections,
                },
              }
            : { type: "delta", host: event.host, event: event.event };
        this.#events.emit("event", out);
        const sections = event.event.type === "full" ? event.event.sections : event.event.changed;
        const { host } = event;
        const bindings = sections.bindings;
        if (bindings?.kind === "bindings")
          this.#record(host, (tx) => recordBindings(tx, host, bindings.interfaces));
        const haStates = haStatesIn(sections);
        if (haStates.size > 0) this.#record(host, (tx) => recordHaStates(tx, host, haStates));
        this.#schedule();
        break;
      }
      default: {
        const unreachable: never = event;
        throw new Error(`Unknown relay event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /**
   * What a host reported, made true in the model (its workloads' bindings, its HA routers' states): one after
   * the other, in the order the host reported them, so that the last report is what holds.
   */
  #record(host: string, work: (tx: DbTx) => Promise<ChangeEvent[]>): void {
    this.#recorded = this.#recorded
      .then(async () => {
        const events = await this.#o.db.transaction(work);
        for (const event of events) this.#o.bus.emit(event);
      })
      .catch((error: unknown) =>
        this.#o.logger.error({ err: error, host }, "recording the host's report failed"),
      );
  }

  #schedule(delay = RECOMPUTE_DEBOUNCE_MS): void {
    if (this.#closed) return;
    this.#dirty = true;
    if (this.#running) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running = this.#loop().finally(() => {
        this.#running = undefined;
      });
    }, delay);
    this.#timer.unref();
  }

  async #loop(): Promise<void> {
    while (this.#dirty && !this.#closed) {
      this.#dirty = false;
      try {
        await this.#recompute();
      } catch (error) {
        this.#o.logger.error({ err: error }, "drift computation failed");
      }
    }
  }

  async #recompute(): Promise<void> {
    const rows = await this.#o.db.select().from(agents);
    const computed = new Map<string, DriftItem[]>();
    const pending = new Set<string>();
    for (const relay of this.#relays.values()) {
      const row = rows.find((r) => r.url === relay.url);
      const snapshot = relay.snapshot();
      if (!row || row.host === null || snapshot === null) continue;
      const items = await this.#driftOf(row, relay, snapshot);
      if (items === null) {
        // The host has not applied the latest model yet: what it lacks may just be on its way.
        pending.add(snapshot.host);
        computed.set(relay.url, this.#computed.get(relay.url) ?? []);
      } else {
        computed.set(relay.url, items);
      }
    }
    this.#computed = computed;
    this.#pendingHosts = pending;
    this.#publish();
  }

  async #driftOf(row: AgentRow, relay: HostRelay, snapshot: HostSnapshot): Promise<DriftItem[] | null> {
    const revision = snapshot.sections.revision;
    const applied = revision?.kind === "revision" ? revision.applied_revision : -1;
    // The host has the latest intent: it applied it, or (several hosts) that revision changed nothing there and
    // it still has the one sent before.
    const current =
      applied === row.wantedRevision ||
      (applied === row.sentRevision && row.appliedRevision === row.wantedRevision);
    if (!current) return null;
    const inputs = await loadIntentInputs(this.#o.db, row.id);
    if (inputs.revision !== row.wantedRevision) return null;
    const info = relay.status().info;
    return computeDrift(compileIntent(inputs), inputs, snapshot.sections, {
      host: snapshot.host,
      prefix: row.prefix ?? info?.prefix ?? "",
      chainPrefix: info?.chain_prefix ?? null,
      integrationBridge: info?.integration_bridge ?? null,
      bridgeMappings: info?.bridge_mappings ?? row.bridgeMappings ?? {},
    });
  }

  async #repairIfAuto(): Promise<void> {
    try {
      if (await this.autoRepair()) await this.repair("all");
    } catch (error) {
      this.#o.logger.error({ err: error }, "automatic drift repair failed");
    }
  }

  /** Shows what lasted `settleMs`, drops at once what went away, and schedules a look at what is not settled. */
  #publish(): void {
    const now = Date.now();
    const keys = new Set<string>();
    const published: PublishedDrift[] = [];
    let wake = Number.POSITIVE_INFINITY;
    for (const items of this.#computed.values()) {
      for (const item of items) {
        let since = Number.POSITIVE_INFINITY;
        const settled = (side: "missing" | "extra") =>
          item[side].filter((entry) => {
            const key = `${item.kind}:${item.id}:${side}:${entry.what}:${entry.text}`;
            keys.add(key);
            const first = this.#firstSeen.get(key) ?? now;
            this.#firstSeen.set(key, first);
            if (now - first < this.#o.settleMs) {
              wake = Math.min(wake, first + this.#o.settleMs);
              return false;
            }
            since = Math.min(since, first);
            return true;
          });
        const missing = settled("missing");
        const extra = settled("extra");
        if (missing.length > 0 || extra.length > 0)
          published.push({ ...item, missing, extra, since: new Date(since).toISOString() });
      }
    }
    for (const key of this.#firstSeen.keys()) if (!keys.has(key)) this.#firstSeen.delete(key);
    if (wake !== Number.POSITIVE_INFINITY) this.#schedule(Math.max(0, wake - now) + 5);

    const before = JSON.stringify(this.#published);
    this.#published = published;
    if (JSON.stringify(published) === before) return;
    const hosts = new Set([...JSON.parse(before), ...published].map((d: PublishedDrift) => d.host));
    this.#events.emit("event", { type: "drift", host: null, items: published } satisfies InspectEvent);
    for (const host of hosts) this.#o.bus.emit({ kind: "host", id: host, action: "status" });
    if (published.length > 0) {
      this.#o.logger.warn(
        { drift: published.map((d) => ({ kind: d.kind, id: d.id, missing: d.missing, extra: d.extra })) },
        "host drift",
      );
      void this.#repairIfAuto();
    }
  }
}
