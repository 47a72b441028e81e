// The one apply loop: observe -> plan -> execute -> verify, one apply at a time. This is where the agent decides
// what to change (plan/ renders the intent, plan/diff.ts compares it with the host) and hands the difference to
// execute.ts, the only caller of the host's writers. Full applies read the whole host (start-up, a failure, a
// repair of "all"); incremental ones (a repair list, as the server pushes) start from the picture the last apply
// left and look only at what scope.ts selects. It also watches for a host that lost what it was given (a reboot,
// OVS restarted) and rebuilds it from the last intent without waiting to be asked.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { namespaceNames, ownNamespacePattern } from "../../lib/names";
import type { ApplyResult, HostIntent } from "../contract/intent";
import { ArpAnnouncer } from "../host/arping";
import { daemonRuns } from "../host/daemon";
import { listNamespaces } from "../host/netns";
import { type Ovs, ovsDaemons } from "../host/ovs";
import { type AgentOptions, agentBridges, dhcpDir, haDir, metadataSettings } from "../options";
import { type Action, describeAction } from "../plan/actions";
import { BridgeFlowsMemo, type BridgeState, planBridgeFlows } from "../plan/bridge-flows";
import { type DesiredPlan, type HostSettings, planHost, planLocalVlans } from "../plan/desired";
import { diffHost } from "../plan/diff";
import { FirewallCache } from "../plan/firewall";
import { keepalivedPaths } from "../plan/keepalived";
import { observedLocalVlans } from "../plan/localVlans";
import type { ObservedHost, ObservedOvsPort } from "../plan/pictures";
import { type ObserveScope, observeHost } from "../read/observe";
import { Admitted, admitIntent, type Refused } from "./admit";
import { ensureBridges } from "./bridges";
import { executeActions } from "./execute";
import { KeyedLock, Serial } from "./lock";
import { stillAsPictured, takePicture, writePicture } from "./picture-file";
import {
  flowParts,
  holdUnasked,
  intentParts,
  restrictToScope,
  type Scope,
  selectScope,
  verifyScope,
} from "./scope";
import { type AgentState, emptyState, readIntent, readState, writeIntent, writeState } from "./state";

/** Thrown by apply for an intent older than the one applied; the API maps it to CONFLICT. */
export class RevisionConflictError extends Error {
  constructor(
    readonly revision: number,
    readonly applied: number,
  ) {
    super(`revision ${revision} is older than applied ${applied}`);
    this.name = "RevisionConflictError";
  }
}

export type ConvergerDeps = {
  ovs: Ovs;
  options: AgentOptions;
  /** Where OVS keeps its pid files and control sockets. */
  runDir: string;
  log: Logger;
  onApplied: (outcome: ApplyOutcome) => void;
  /** The networks of the workloads the binder wired, with their local VLANs (converge/binder.ts). */
  workloadVlans?: () => ReadonlyMap<string, number>;
  /** The interfaces of the workloads the binder bound, by port id: the firewall filters them. */
  workloadPorts?: () => ReadonlyMap<string, string>;
};

/** How an apply that ran ended (refused intents never run): health and inspection listen to this. */
export type ApplyOutcome = { result: ApplyResult } | { error: unknown };

type Errors = Map<string, string[]>;

/** One apply's way of planning and judging, shared by its self-checks. */
type Round = {
  intent: HostIntent;
  planFor: (host: ObservedHost) => DesiredPlan;
  diff: (plan: DesiredPlan, host: ObservedHost) => Action[];
  errors: Errors;
  held: (action: Action) => boolean;
};

export class Converger {
  readonly #ovs: Ovs;
  readonly #options: AgentOptions;
  readonly #log: Logger;
  readonly #settings: HostSettings;
  readonly #bridges: string[];
  readonly #statePath: string;
  readonly #intentPath: string;
  readonly #runDir: string;
  readonly #onApplied: (outcome: ApplyOutcome) => void;
  readonly #workloadVlans: () => ReadonlyMap<string, number>;
  readonly #workloadPorts: () => ReadonlyMap<string, string>;
  readonly #locks = new KeyedLock();
  readonly #serial = new Serial();
  readonly #ownNamespace: RegExp;
  #state: AgentState;
  /**
   * The host as the last apply left it (read before it, read again where it wrote after it): an incremental
   * apply starts from this picture instead of reading the host. null: read the whole host next time.
   */
  #picture: ObservedHost | null = null;
  /**
   * The picture the agent before this one left as it stopped: the first apply takes it as its picture if the
   * host, read cheaply, is still as it shows (converge/picture-file.ts). Used once.
   */
  #restored: ObservedHost | null;
  readonly #picturePath: string;
  /** What the host must hold (the last intent applied): rebuilt from this when the host lost it. */
  #lastIntent: HostIntent | null;
  /** The OVS daemons that run now (pids): another pair means OVS restarted. */
  #daemons: string | null = null;
  #watch: NodeJS.Timeout | undefined;
  #checking = false;
  /** Gratuitous ARPs an apply asked for, sent after it. */
  readonly #announcer: ArpAnnouncer;
  /** The firewall's flows as rendered by this apply and the last. */
  readonly #firewallCache = new FirewallCache();
  readonly #flowsMemo = new BridgeFlowsMemo();
  /** What the last intent's items were admitted as (converge/admit.ts). */
  readonly #admitted = new Admitted();

  private constructor(
    deps: ConvergerDeps,
    state: AgentState,
    lastIntent: HostIntent | null,
    restored: ObservedHost | null,
  ) {
    const { options } = deps;
    this.#ovs = deps.ovs;
    this.#options = options;
    this.#log = deps.log;
    this.#onApplied = deps.onApplied;
    this.#workloadVlans = deps.workloadVlans ?? (() => new Map());
    this.#workloadPorts = deps.workloadPorts ?? (() => new Map());
    this.#settings = {
      prefix: options.prefix,
      chainPrefix: options.chainPrefix,
      integrationBridge: options.integrationBridge,
      bridgeMappings: options.bridgeMappings,
      ...(options.localIp === undefined
        ? {}
        : { tunnelBridge: options.tunnelBridge, localIp: options.localIp }),
      dhcpDir: dhcpDir(options),
      haDir: haDir(options),
      ...metadataSettings(options),
    };
    this.#bridges = agentBridges(options);
    this.#statePath = join(options.stateDir, "state.json");
    this.#intentPath = join(options.stateDir, "intent.json");
    this.#picturePath = join(options.stateDir, "picture.json");
    this.#restored = restored;
    this.#runDir = deps.runDir;
    this.#ownNamespace = ownNamespacePattern(options.prefix);
    this.#state = state;
    this.#lastIntent = lastIntent;
    this.#announcer = new ArpAnnouncer(deps.log);
  }

  static async start(deps: ConvergerDeps): Promise<Converger> {
    const state = await readState(join(deps.options.stateDir, "state.json"), deps.log);
    const intent = await readIntent(join(deps.options.stateDir, "intent.json"), deps.log);
    // Only with the intent and state it was left beside: without them it pictures nothing we know.
    const picture = await takePicture(join(deps.options.stateDir, "picture.json"), deps.log);
    return new Converger(deps, state, intent, intent === null ? null : picture);
  }

  get appliedRevision(): number {
    return this.#state.applied_revision;
  }

  /** Validates the intent, refuses an older revision, and makes the host match it. */
  apply(raw: unknown): Promise<ApplyResult> {
    return this.#serial.run(async () => {
      // Refused before it runs: an invalid envelope or an older intent is the caller's mistake and leaves
      // health alone. A bad resource inside is not: it is reported, and the rest applies.
      const { intent, refused } = admitIntent(
        raw,
        this.#settings.prefix,
        this.#settings.localIp ?? null,
        this.#admitted,
      );
      if (intent.revision < this.appliedRevision)
        throw new RevisionConflictError(intent.revision, this.appliedRevision);
      return this.#reported(async () => {
        const result = await this.#converge(intent, refused);
        this.#state.applied_revision = Math.max(this.appliedRevision, intent.revision);
        this.#lastIntent = intent;
        await Promise.all([writeState(this.#statePath, this.#state), writeIntent(this.#intentPath, intent)]);
        return result;
      });
    });
  }

  /** The actions a full apply would run now, without running them. */
  plan(raw: unknown): Promise<Action[]> {
    return this.#serial.run(async () => {
      const { intent, refused } = admitIntent(raw, this.#settings.prefix, this.#settings.localIp ?? null);
      const host = await this.#observe(intent);
      const plan = this.#planFor(intent, host);
      for (const r of refused) if (r.namespace !== null) plan.keep.add(r.namespace);
      return diffHost(plan, host, this.#settings.prefix);
    });
  }

  /** The last intent applied (null before the first): what the binder offers workloads comes from it. */
  get lastIntent(): HostIntent | null {
    return this.#lastIntent;
  }

  /** Runs a task between applies, never during one (the binder's passes): both plan the same local VLANs. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.#serial.run(task);
  }

  /**
   * Plans the last intent again over the whole host: a network that only a bound workload uses got a local VLAN
   * since, and its flows on the physical bridge's patch ports are planned with the rest.
   */
  refresh(): Promise<void> {
    return this.#serial.run(async () => {
      const intent = this.#lastIntent;
      if (intent === null) return;
      this.#picture = null;
      this.#restored = null;
      await this.#reported(() => this.#converge({ ...intent, repair: [] }));
    });
  }

  /** What the host holds of ours: the namespaces this agent made (and their OVS ports), our flows. */
  observe(): Promise<ObservedHost> {
    return this.#observe(null);
  }

  /** Whether a namespace is one this agent made: only those are shown, changed or removed. */
  owns(namespace: string): boolean {
    return this.#state.owned.has(namespace);
  }

  /**
   * The host as this apply may see it: namespaces named like ours that this agent made or the intent names
   * (one made by hand for a router the intent asks for is taken over), and their OVS ports. Another namespace of
   * the same shape, and its ports, are not ours: invisible, so never changed or removed.
   */
  async #observe(intent: HostIntent | null, scope?: ObserveScope): Promise<ObservedHost> {
    const { prefix, chainPrefix, dhcpDir, metadataDir, haDir } = this.#settings;
    const host = await observeHost(
      this.#ovs,
      {
        prefix,
        chainPrefix,
        dhcpDir,
        metadataDir,
        haDir,
        bridges: this.#bridges,
        hostNamespace: this.#options.hostNetns ?? null,
      },
      scope,
    );
    const named = intent === null ? new Set<string>() : namespacesOf(intent, prefix);
    const ours = (name: string) => this.#state.owned.has(name) || named.has(name);
    if ([...host.namespaces.keys()].every(ours) && host.ovsPorts.every((p) => ours(portNamespace(p))))
      return host;
    return {
      ...host,
      namespaces: new Map([...host.namespaces].filter(([name]) => ours(name))),
      ovsPorts: host.ovsPorts.filter((p) => ours(portNamespace(p))),
    };
  }

  /** Removes everything of ours from the host (namespaces, OVS ports); keeps bridges and the revision. */
  cleanup(): Promise<ApplyResult> {
    return this.#serial.run(() =>
      this.#reported(async () => {
        const revision = this.appliedRevision || 1;
        const result = await this.#converge({
          revision,
          networks: [],
          routers: [],
          instances: [],
          uplinks: [],
        });
        // Nothing is settled any more: the next intent makes everything again, asked or not. What could not
        // be removed stays ours.
        this.#state = { ...emptyState(), applied_revision: this.appliedRevision, owned: this.#state.owned };
        this.#lastIntent = null;
        await Promise.all([writeState(this.#statePath, this.#state), rm(this.#intentPath, { force: true })]);
        return result;
      }),
    );
  }

  /** Resolves once what applies left to do in the background (gratuitous ARPs) is done. */
  idle(): Promise<void> {
    return this.#announcer.drained();
  }

  /** Waits for a running apply; leaves the picture of the host for the next start. */
  async close(): Promise<void> {
    clearInterval(this.#watch);
    await this.#serial.run(async () => {
      const picture = this.#picture;
      if (picture !== null && this.#lastIntent !== null) await writePicture(this.#picturePath, picture);
    });
    await this.#announcer.drained();
  }

  /** Checks now and then every `intervalMs` that the host still holds what it was given. */
  watch(intervalMs: number): void {
    const check = () =>
      void this.#checkHost().catch((error: unknown) => this.#log.warn({ err: error }, "host check failed"));
    check();
    this.#watch = setInterval(check, intervalMs);
    this.#watch.unref();
  }

  /**
   * A namespace we made that is gone, or OVS daemons that are not the ones of the last check (ports, flows,
   * maybe bridges gone): the host lost what it was given, so the last intent is applied again in full. What
   * the host lacks altogether is rebuilt; a hand change elsewhere is still only shown (see holdUnasked).
   * An HA router whose keepalived died (as Neutron's process monitor respawns it) is repaired: the addresses
   * and routes a SIGKILLed keepalived leaves behind go (the other node takes the router over: this one must
   * not answer for it meanwhile), and keepalived starts again, BACKUP (nopreempt: the router stays where it went).
   */
  async #checkHost(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      await this.#serial.run(async () => {
        const daemons = await ovsDaemons(this.#runDir);
        const restarted = daemons !== null && this.#daemons !== null && daemons !== this.#daemons;
        if (daemons !== null) this.#daemons = daemons;
        const intent = this.#lastIntent;
        if (intent === null) return;
        const present = new Set(await listNamespaces());
        const lost = [...this.#state.owned].filter((ns) => !present.has(ns));
        const dead = await this.#deadKeepalived(intent, present);
        if (!restarted && lost.length === 0 && dead.length === 0) return;
        if (dead.length > 0)
          this.#log.warn({ routers: dead }, "keepalived died: starting it again, as BACKUP");
        if (restarted || lost.length > 0) {
          this.#log.warn(
            { lost, ovs_restarted: restarted },
            "the host lost what it was given: rebuilding it",
          );
          if (restarted) await ensureBridges(this.#ovs, this.#options, this.#log);
          this.#picture = null;
          this.#restored = null;
        }
        await this.#reported(() => this.#converge({ ...intent, repair: dead }));
      });
    } finally {
      this.#checking = false;
    }
  }

  /** The HA routers last left as asked (keepalived started) whose keepalived no longer runs. */
  async #deadKeepalived(intent: HostIntent, present: ReadonlySet<string>): Promise<string[]> {
    const { prefix, haDir } = this.#settings;
    const dead: string[] = [];
    for (const router of intent.routers) {
      const ns = namespaceNames.router(prefix, router.id);
      if (router.ha === undefined || !present.has(ns) || typeof this.#state.settled.get(ns) !== "string")
        continue;
      if (!(await daemonRuns("keepalived", keepalivedPaths(haDir, router.id).pid))) dead.push(router.id);
    }
    return dead;
  }

  async #reported(task: () => Promise<ApplyResult>): Promise<ApplyResult> {
    try {
      const result = await task();
      this.#onApplied({ result });
      return result;
    } catch (error) {
      this.#onApplied({ error });
      throw error;
    }
  }

  async #converge(intent: HostIntent, refused: Refused[] = []): Promise<ApplyResult> {
    this.#announcer.hold();
    try {
      return await this.#convergeOnce(intent, refused);
    } catch (error) {
      // Whatever ran is unknown: the next apply reads the whole host.
      this.#picture = null;
      this.#restored = null;
      throw error;
    } finally {
      this.#announcer.release();
    }
  }

  async #convergeOnce(intent: HostIntent, refused: Refused[]): Promise<ApplyResult> {
    const started = performance.now();
    this.#firewallCache.rotate();
    const { scope, host: before } = await this.#look(intent);
    const observed = performance.now();
    const diff = (plan: DesiredPlan, host: ObservedHost) => {
      const cut = scope === null ? { plan, observed: host } : restrictToScope(plan, host, scope);
      return diffHost(cut.plan, cut.observed, this.#settings.prefix);
    };
    const planFor = (host: ObservedHost) => {
      const planned = this.#planFor(intent, host, scope);
      for (const r of refused) if (r.namespace !== null) planned.keep.add(r.namespace);
      return planned;
    };
    const plan = planFor(before);
    const all = diff(plan, before);
    const held =
      scope === null
        ? holdUnasked({
            parts: this.#parts(intent, before).parts,
            settled: this.#state.settled,
            repair: intent.repair ?? "all",
            ownerOf: (name) => this.#ownNamespace.exec(name)?.[2] ?? null,
            actions: all,
          })
        : () => false;
    const actions = all.filter((a) => !held(a));
    const planned = performance.now();
    const errors: Errors = new Map([...refused, ...plan.errors].map((e) => [e.resource_id, [e.message]]));
    const steps: Record<string, number>[] = [];
    let changes = 0;
    const execute = async (list: Action[]) => {
      const executed = await executeActions(
        list,
        {
          ovs: this.#ovs,
          locks: this.#locks,
          logger: this.#log,
          announcer: this.#announcer,
          hostNamespace: this.#options.hostNetns ?? null,
        },
        { readBack: this.#options.verify },
      );
      steps.push(executed.steps);
      changes += executed.changes;
      for (const [resource, messages] of executed.errors)
        errors.set(resource, [...(errors.get(resource) ?? []), ...messages]);
      return executed;
    };
    const first = await execute(actions);
    const executeEnd = performance.now();

    let after: ObservedHost | null = null;
    if (this.#options.verify) {
      // Planned from the picture, a command can fail on a hand change (an address already there, a rule already
      // gone): such a namespace is read whole and planned again before its failure counts.
      const stale = scope === null ? new Set<string>() : staleNamespaces(actions, first.errors, scope);
      for (const a of actions) if ("ns" in a && stale.has(a.ns)) errors.delete(a.resource);
      const touched = verifyScope(before, actions, first.readBack, scope !== null);
      for (const ns of stale) {
        touched.links.add(ns);
        touched.nat.add(ns);
      }
      // The self-check: against the new host state, the same intent must plan nothing (for healthy resources).
      const round: Round = { intent, planFor, diff, errors, held };
      let check = await this.#verify(round, plan, before, touched);
      if (check.left.length > 0 && scope !== null) {
        // The picture was stale on a changed resource (a hand change): once more, from what was just read.
        const again = await execute(check.left);
        check = await this.#verify(
          round,
          check.plan,
          check.host,
          verifyScope(check.host, check.left, again.readBack, true),
        );
      }
      for (const action of check.left) {
        const list = errors.get(action.resource) ?? [];
        list.push(`did not converge: ${describeAction(action)}`);
        errors.set(action.resource, list);
      }
      after = check.host;
    }
    this.#settle(intent, scope, after, errors);

    const end = performance.now();
    const ms = (from: number, to: number) => Math.round((to - from) * 10) / 10;
    const heldCount = all.length - actions.length;
    const result: ApplyResult = {
      revision: intent.revision,
      changes,
      ...(heldCount > 0 ? { held: heldCount } : {}),
      duration_ms: ms(started, end),
      errors: [...errors].map(([resource_id, messages]) => ({ resource_id, message: messages.join("; ") })),
      timings: {
        observe_ms: ms(started, observed),
        plan_ms: ms(observed, planned),
        execute_ms: ms(planned, executeEnd),
        verify_ms: ms(executeEnd, end),
      },
    };
    this.#log[result.errors.length > 0 ? "warn" : "info"](
      {
        revision: result.revision,
        changes: result.changes,
        held: heldCount,
        mode: scope === null ? "full" : "incremental",
        ...(scope === null ? {} : { scope: scope.namespaces.size, read: scope.read.size }),
        timings: result.timings,
        steps,
        errors: result.errors,
      },
      "applied",
    );
    return result;
  }

  /**
   * What this apply looks at, and the host it starts from. Incremental (a picture and a repair list): only the
   * namespaces and bridges that scope.ts selects, read afresh only where the picture may be wrong. Full: all.
   */
  async #look(intent: HostIntent): Promise<{ scope: Scope | null; host: ObservedHost }> {
    const repair = intent.repair ?? "all";
    const last = this.#picture ?? (repair === "all" ? null : await this.#restore(intent));
    this.#restored = null;
    if (last === null || repair === "all") return { scope: null, host: await this.#observe(intent) };
    const scope = selectScope({
      ...this.#parts(intent, last),
      settled: this.#state.settled,
      cached: last.namespaces.keys(),
      repair: new Set(repair),
      ownerOf: (name) => this.#ownNamespace.exec(name)?.[2] ?? null,
    });
    // Changed namespaces are planned from the picture (reading a 1000-FIP router costs ~30 ms): where a hand
    // change made it stale, a command fails or the self-check finds more, and that namespace is read and
    // planned again.
    if (!scope.list && scope.read.size === 0) return { scope, host: last };
    const host = await this.#observe(intent, {
      previous: last,
      links: scope.read,
      nat: scope.read,
      list: scope.list,
      ovsPorts: scope.list,
      bridges: [],
    });
    return { scope, host };
  }

  /**
   * The picture the last agent left, if the host still is as it shows: namespaces listed, OVS ports, root veth
   * ends and flows read (a handful of processes), namespace contents taken from it. Null: read the whole host.
   */
  async #restore(intent: HostIntent): Promise<ObservedHost | null> {
    const saved = this.#restored;
    if (saved === null) return null;
    const fresh = await this.#observe(intent, {
      previous: saved,
      links: new Set(),
      nat: new Set(),
      list: true,
      ovsPorts: true,
      bridges: this.#bridges,
    });
    const named = namespacesOf(intent, this.#settings.prefix);
    const ours = new Set(
      (await listNamespaces()).filter(
        (name) => this.#ownNamespace.test(name) && (this.#state.owned.has(name) || named.has(name)),
      ),
    );
    const kept = stillAsPictured(saved, fresh, ours);
    this.#log.info({ kept, namespaces: ours.size }, "the last agent's picture of the host");
    return kept ? fresh : null;
  }

  /** Reads what the actions touched; what the intent still asks of it (minus failed and held resources). */
  async #verify(
    round: Round,
    plan: DesiredPlan,
    previous: ObservedHost,
    touched: ObserveScope,
  ): Promise<{ host: ObservedHost; plan: DesiredPlan; left: Action[] }> {
    const host = await this.#observe(round.intent, touched);
    // Local VLANs come from the OVS ports: plan again only when those were read again.
    const next = host.ovsPorts === previous.ovsPorts ? plan : round.planFor(host);
    const left = round.diff(next, host).filter((a) => !round.errors.has(a.resource) && !round.held(a));
    return { host, plan: next, left };
  }

  #planFor(intent: HostIntent, host: ObservedHost, scope?: Scope | null): DesiredPlan {
    const workloads = this.#workloadVlans();
    return planHost(
      intent,
      this.#settings,
      this.#existingVlans(host),
      scope?.namespaces,
      workloads.keys(),
      this.#bridgeState(host),
    );
  }

  /** The integration bridge's interfaces that can carry flows now (ours with an ofport, bound workloads'). */
  #bridgeState(host: ObservedHost): BridgeState {
    const workloadPorts = this.#workloadPorts();
    const present = new Set(workloadPorts.values());
    for (const port of host.ovsPorts)
      if (port.bridge === this.#settings.integrationBridge && port.ofport !== null && port.ofport > 0)
        present.add(port.name);
    return { present, workloadPorts, cache: this.#firewallCache, memo: this.#flowsMemo };
  }

  /** The local VLANs in use: our ports' tags, and those of the workloads the binder wired (ours win). */
  #existingVlans(host: ObservedHost): Map<string, number> {
    const own = observedLocalVlans(host.ovsPorts, this.#settings.integrationBridge);
    return new Map([...this.#workloadVlans(), ...own]);
  }

  #parts(intent: HostIntent, host: ObservedHost) {
    const vlans = planLocalVlans(intent, this.#existingVlans(host), this.#workloadVlans().keys());
    const flows = planBridgeFlows(intent, this.#settings, vlans, this.#bridgeState(host));
    return { parts: intentParts(intent, this.#settings, vlans), flows: flowParts(flows) };
  }

  /** After an apply: the picture it leaves, and which parts the host now holds as asked. */
  #settle(intent: HostIntent, scope: Scope | null, after: ObservedHost | null, errors: Errors): void {
    this.#picture = after;
    // Ours from now on: what the intent names and the host holds; still ours: what we made that is not gone yet.
    const named = namespacesOf(intent, this.#settings.prefix);
    this.#state.owned = new Set(
      [...this.#state.owned, ...named].filter((ns) =>
        after === null ? named.has(ns) : after.namespaces.has(ns),
      ),
    );
    if (after === null) {
      // Not read again (no self-check): nothing is known to be as asked.
      this.#state.settled = new Map();
      return;
    }
    const next = scope === null ? new Map<string, string | null>() : new Map(this.#state.settled);
    const { parts, flows } = this.#parts(intent, after);
    for (const part of parts) {
      if (scope !== null && !scope.namespaces.has(part.key)) continue;
      next.set(part.key, errors.has(part.resourceId) ? null : part.digest);
    }
    for (const key of [...next.keys()]) {
      if (named.has(key) || key.startsWith("flows:")) continue;
      // Removed from the intent: gone, or its removal failed and is tried again next time.
      if (after.namespaces.has(key)) next.set(key, null);
      else next.delete(key);
    }
    for (const part of flows) {
      if (scope !== null && !scope.bridges.has(part.resourceId)) continue;
      next.set(part.key, errors.has(part.resourceId) ? null : part.digest);
    }
    this.#state.settled = next;
  }
}

/** The namespaces an intent asks for on this host. */
function namespacesOf(intent: HostIntent, prefix: string): Set<string> {
  return new Set([
    ...intent.routers.map((r) => namespaceNames.router(prefix, r.id)),
    ...intent.instances.map((i) => namespaceNames.instance(prefix, i.port_id)),
    ...intent.uplinks.map((u) => namespaceNames.uplink(prefix, u.network_id)),
    ...(intent.dhcp ?? []).map((d) => namespaceNames.dhcp(prefix, d.network_id)),
  ]);
}

/** The namespace an OVS port of ours belongs to (every port we make carries it). */
function portNamespace(port: ObservedOvsPort): string {
  return port.externalIds["netlens-namespace"] ?? "";
}

/** Namespaces whose commands failed although they were planned from the picture rather than read. */
function staleNamespaces(actions: Action[], failed: Errors, scope: Scope): Set<string> {
  const stale = new Set<string>();
  for (const a of actions) {
    if ("ns" in a && failed.has(a.resource) && !scope.read.has(a.ns)) stale.add(a.ns);
  }
  return stale;
}
