// Pushes each host's whole intent to its agent after every committed change: one push in flight per host,
// kicks that arrive meanwhile coalesce into the next push, failures retry with backoff while the agent is down.
// With several servers, only the leading one's dispatcher pushes (./leadership.ts); the others wait to lead.
import { eq } from "drizzle-orm";
import type { Logger } from "pino";
import type { AgentInfo, ApplyResult, HostIntent } from "../../agent/contract/intent";
import type { Db } from "../db/client";
import { agents } from "../db/schema";
import type { ChangeEvent, EventBus } from "../events";
import { type AgentApi, IntentRefusedError } from "./client";
import { compileIntent } from "./intent";
import type { Leadership } from "./leadership";
import { placedElsewhere, severalHosts } from "./placement";
import { registerAgent } from "./register";
import { askRepair, type RepairTargets, repairPushed } from "./repair";
import { loadIntentInputs } from "./snapshot";
import { recordStatuses } from "./status";

export type DispatcherOptions = {
  db: Db;
  bus: EventBus;
  agent: AgentApi;
  /** Identifies the agent's row until its `info` names the host. */
  url: string;
  logger: Logger;
  retry?: { minMs: number; maxMs: number };
  /**
   * How often an idle dispatcher checks that the agent is alive and still has what it was given (and, not
   * leading, whether it may lead now).
   */
  heartbeatMs?: number;
  /** Who pushes when several servers share the database; without it, this server alone. */
  leadership?: Leadership;
};

/** How often an idle dispatcher checks in by default (and, not leading, asks for the lead). */
export const HEARTBEAT_MS = 15_000;

export class Dispatcher {
  readonly #o: Required<Omit<DispatcherOptions, "leadership">> & Pick<DispatcherOptions, "leadership">;
  #agentId: number | undefined;
  /** Known after a successful `info`; cleared after any failure, so that reconnecting re-reads the agent. */
  #info: AgentInfo | undefined;
  #dirty = false;
  #loop: Promise<void> | undefined;
  #failures = 0;
  #stopped = true;
  #sleep: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  #unsubscribe: (() => void) | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** The intent (without its repairs and revision) this dispatcher's last push had applied, and its revision. */
  #applied: { body: string; revision: number } | undefined;
  /** What the agent answered to that push, said again for a revision that changed nothing on its host. */
  #lastErrors: ApplyResult["errors"] = [];

  constructor(options: DispatcherOptions) {
    this.#o = {
      retry: { minMs: 250, maxMs: 10_000 },
      heartbeatMs: HEARTBEAT_MS,
      ...options,
    };
  }

  async start(): Promise<void> {
    await this.#o.db.insert(agents).values({ url: this.#o.url }).onConflictDoNothing();
    const [row] = await this.#o.db.select({ id: agents.id }).from(agents).where(eq(agents.url, this.#o.url));
    if (!row) throw new Error(`Agent row for ${this.#o.url} vanished`);
    this.#agentId = row.id;
    // Whatever the agent was before a restart, it is read afresh (and given a newer revision).
    this.#info = undefined;
    // The first server to start leads from the start; the others try again at each push and heartbeat.
    await this.#lead(row.id);
    this.#stopped = false;
    // Status events must not kick: they follow a push, they do not ask for one. A host's update may be a repair
    // asked through another server; a kick for a revision the agent already has pushes nothing.
    this.#unsubscribe = this.#o.bus.subscribe((event: ChangeEvent) => {
      if (event.action !== "status") this.kick();
    });
    this.#heartbeat = setInterval(() => this.#checkIn(), this.#o.heartbeatMs);
    this.#heartbeat.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    clearInterval(this.#heartbeat);
    this.#sleep?.wake();
    await this.#loop;
    await this.#o.leadership?.release();
  }

  /** Asks for a push; cheap and idempotent, whatever the dispatcher is doing. */
  kick(): void {
    if (this.#stopped) return;
    this.#dirty = true;
    this.#loop ??= this.#run().finally(() => {
      this.#loop = undefined;
    });
  }

  async #run(): Promise<void> {
    while (this.#dirty && !this.#stopped) {
      this.#dirty = false;
      try {
        await this.#push();
        this.#failures = 0;
      } catch (error) {
        if (error instanceof IntentRefusedError) {
          // Said once; the next change to the model (or a repair) pushes again.
          this.#failures = 0;
          await this.#recordFailure(error);
          continue;
        }
        this.#failures++;
        this.#info = undefined;
        this.#dirty = true;
        await this.#recordFailure(error);
        const { minMs, maxMs } = this.#o.retry;
        await this.#pause(Math.min(maxMs, minMs * 2 ** (this.#failures - 1)));
      }
    }
  }

  /**
   * Re-pushes the same model with a new revision, allowed to put back what drifted on the named resources
   * (router, instance or external network ids) or on everything. Asked on the agent's row: whichever server
   * leads pushes it.
   */
  async repair(target: "all" | readonly string[]): Promise<void> {
    await askRepair(this.#o.db, this.#requireAgentId(), target);
    this.#o.bus.emit({ kind: "host", id: String(this.#agentId), action: "update" });
    this.kick();
  }

  /**
   * Off: a push converges only what changed in the model (plus what a repair asked for), so that a hand change
   * on the host stays until it has been shown as drift and someone repairs it. On: every push repairs all.
   */
  async autoRepair(): Promise<boolean> {
    const [row] = await this.#o.db
      .select({ on: agents.autoRepair })
      .from(agents)
      .where(eq(agents.id, this.#requireAgentId()));
    return row?.on ?? false;
  }

  async setAutoRepair(on: boolean): Promise<void> {
    await this.#o.db.update(agents).set({ autoRepair: on }).where(eq(agents.id, this.#requireAgentId()));
  }

  /**
   * Whether this server may push (taking the lead if it is free). One that has just taken the lead re-reads the
   * agent, which moves the revision past whatever the previous leader had it apply.
   */
  async #lead(agentId: number): Promise<boolean> {
    const leadership = this.#o.leadership;
    if (!leadership) return true;
    const led = leadership.holds(agentId);
    const leading = await leadership.lead(agentId);
    if (leading && !led) this.#info = undefined;
    return leading;
  }

  async #push(): Promise<void> {
    const agentId = this.#requireAgentId();
    if (this.#o.leadership && !(await this.#lead(agentId))) return;
    if (!this.#info) await this.#register(agentId, await this.#o.agent.info());
    const inputs = await loadIntentInputs(this.#o.db, agentId);
    const compiled = compileIntent(inputs);
    const [recorded] = await this.#o.db
      .select({ applied: agents.appliedRevision, asked: agents.repairTargets, auto: agents.autoRepair })
      .from(agents)
      .where(eq(agents.id, agentId));
    if (!recorded) throw new Error(`Agent ${agentId} is not registered`);
    // A kick whose change an earlier push already carried (its event came after that push read the model; with
    // several servers, events from the others often do): the agent has this very intent. The same revision
    // does go again when what it says changed without a new one (a port bound on a host: ./bindings.ts).
    const body = JSON.stringify({ ...compiled, revision: 0 });
    const unchanged = body === this.#applied?.body;
    // (With several hosts, a revision recorded without a push counts as carried: see below.)
    const carried = this.#applied?.revision === compiled.revision || severalHosts(inputs);
    if (inputs.revision <= recorded.applied && unchanged && carried) return;
    const repair: RepairTargets = recorded.auto ? "all" : recorded.asked;
    const elsewhere = placedElsewhere(inputs);
    // With several hosts most changes are another host's: this one's intent is the same but for its number, and
    // that number is recorded as applied without troubling the agent (which would apply nothing).
    if (severalHosts(inputs) && unchanged && repair !== "all" && repair.length === 0) {
      const same = { revision: compiled.revision, changes: 0, duration_ms: 0, errors: this.#lastErrors };
      await this.#recordApplied(agentId, same, repair, elsewhere, false);
      return;
    }
    const intent: HostIntent = { ...compiled, repair };
    this.#o.logger.debug({ host: inputs.host, revision: intent.revision }, "pushing intent");
    const result = await this.#o.agent.apply(intent);
    this.#o.logger.info(
      {
        host: inputs.host,
        revision: result.revision,
        changes: result.changes,
        held: result.held ?? 0,
        repair: repair === "all" ? "all" : repair.length,
        errors: result.errors.length,
      },
      "agent applied intent",
    );
    await this.#recordApplied(agentId, result, repair, elsewhere, true);
    this.#applied = { body, revision: result.revision };
    this.#lastErrors = result.errors;
  }

  /**
   * First contact (or contact after a failure): remember who the agent is and schedule what waited for a host
   * (./register.ts). A host it cannot be (a name or tunnel address another agent has) gets nothing.
   */
  async #register(agentId: number, info: AgentInfo): Promise<void> {
    await registerAgent({ db: this.#o.db, bus: this.#o.bus }, agentId, info, this.#o.logger);
    this.#info = info;
    // Whatever it had may be gone (a restarted agent): the next push goes, changed or not.
    this.#applied = undefined;
    this.#o.bus.emit({ kind: "host", id: String(agentId), action: "update" });
  }

  async #recordApplied(
    agentId: number,
    result: ApplyResult,
    repaired: RepairTargets,
    elsewhere: readonly string[],
    sent: boolean,
  ): Promise<void> {
    const events = await this.#o.db.transaction(async (tx) => {
      await tx
        .update(agents)
        .set({
          appliedRevision: result.revision,
          ...(sent ? { sentRevision: result.revision } : {}),
          lastSeen: new Date(),
          lastError: null,
        })
        .where(eq(agents.id, agentId));
      // What was asked meanwhile goes out with the next push.
      await repairPushed(tx, agentId, repaired);
      return recordStatuses(tx, result.revision, result.errors, elsewhere);
    });
    for (const event of events) this.#o.bus.emit(event);
    this.#o.bus.emit({ kind: "host", id: String(agentId), action: "status" });
  }

  async #recordFailure(error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const refused = error instanceof IntentRefusedError;
    this.#o.logger.warn(
      { err: error, failures: this.#failures },
      refused ? "agent refused the intent; waiting for the next change" : "agent push failed; retrying",
    );
    try {
      await this.#o.db
        .update(agents)
        .set({ lastError: message })
        .where(eq(agents.id, this.#requireAgentId()));
      this.#o.bus.emit({ kind: "host", id: String(this.#agentId), action: "status" });
    } catch (dbError) {
      this.#o.logger.error({ err: dbError }, "could not record the agent's failure");
    }
  }

  /**
   * Liveness and drift: an agent that restarted with less than it was given gets the intent again. During a push
   * (which may outlast the down time) the heartbeat still goes: liveness only, the push says the rest.
   */
  async #checkIn(): Promise<void> {
    if (this.#stopped) return;
    const busy = this.#loop !== undefined;
    try {
      const agentId = this.#requireAgentId();
      if (this.#o.leadership && !this.#o.leadership.holds(agentId)) {
        // Another server pushes (and checks in); this one steps in when that server is gone.
        if (!busy && (await this.#lead(agentId))) this.kick();
        return;
      }
      // What was recorded before asking: a push that lands meanwhile must not pass for an agent that lost it.
      const [row] = await this.#o.db
        .select({ applied: agents.appliedRevision })
        .from(agents)
        .where(eq(agents.id, agentId));
      const info = await this.#o.agent.info();
      await this.#o.db
        .update(agents)
        // A push failing meanwhile keeps its error: the push clears it when it lands.
        .set(busy ? { lastSeen: new Date() } : { lastSeen: new Date(), lastError: null })
        .where(eq(agents.id, agentId));
      if (busy) return;
      // Against what it was last sent: a revision recorded without a push (nothing changed there) is not lost.
      const sent = Math.min(row?.applied ?? 0, this.#applied?.revision ?? Number.MAX_SAFE_INTEGER);
      if (!this.#info || info.applied_revision < sent) {
        this.#info = undefined;
        this.kick();
      }
    } catch (error) {
      if (busy) return;
      this.#info = undefined;
      this.kick();
      this.#o.logger.debug({ err: error }, "agent check-in failed");
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#sleep = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#sleep = { timer, wake };
    });
  }

  #requireAgentId(): number {
    if (this.#agentId === undefined) throw new Error("Dispatcher used before start()");
    return this.#agentId;
  }
}
