// The agent itself, without HTTP: validated options, the apply loop (observe -> plan -> diff -> execute ->
// verify), the applied revision kept on disk. main.ts serves it; tests and the server's tests use it in-process.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino, { type Logger } from "pino";
import type { AgentError } from "../lib/host-snapshot";
import { deviceNames } from "../lib/names";
import { executeActions } from "./apply";
import { type AgentInfo, type ApplyResult, type HostIntent, hostIntent } from "./contract/intent";
import type { NamespaceLinks } from "./linux/ip";
import { KeyedLock } from "./linux/lock";
import { type ObserveScope, observeHost } from "./linux/observe";
import { Ovs, type OvsCommand } from "./linux/ovs";
import { HostMonitor } from "./observe/monitor";
import { SnapshotReader } from "./observe/reader";
import { type AgentOptions, type AgentOptionsInput, ovsRunDir, parseAgentOptions } from "./options";
import { type Action, describeAction } from "./plan/actions";
import { type DesiredPlan, type HostSettings, planHost, planLocalVlans } from "./plan/desired";
import { diffHost, ownNamespacePattern } from "./plan/diff";
import { observedLocalVlans } from "./plan/localVlans";
import type { ObservedHost } from "./plan/model";
import { planFlows } from "./plan/ovs";
import {
  FAILED,
  flowParts,
  intentParts,
  REMOVAL_FAILED,
  restrictToScope,
  type Scope,
  selectScope,
} from "./plan/scope";
import { Tracer } from "./trace/tracer";

export const AGENT_VERSION = "0.1.0";

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

export type Agent = {
  readonly options: AgentOptions;
  info(): AgentInfo;
  /** Validates the intent, refuses an older revision, and makes the host match it. */
  apply(intent: HostIntent): Promise<ApplyResult>;
  /** The actions an apply would run now, without running them. */
  plan(intent: HostIntent): Promise<Action[]>;
  observe(): Promise<ObservedHost>;
  /** Host inspection: `snapshot()` now, `events()` for a subscriber (DESIGN §5). */
  readonly monitor: HostMonitor;
  /** Packet path tracing (issue 6): answers the server's questions about paths, sends probes. */
  readonly tracer: Tracer;
  /** Removes everything of ours from the host (namespaces, OVS ports); keeps bridges and the revision. */
  cleanup(): Promise<ApplyResult>;
  /** Waits for a running apply; leaves the dataplane as it is (traffic keeps flowing). */
  close(): Promise<void>;
};

type State = {
  applied_revision: number;
  /** Resource id -> fingerprint of its part of the intent, for the resources the last apply left as asked. */
  converged: Record<string, string>;
  /** The resource ids of the last applied intent. */
  known: string[];
};

export async function createAgent(input: AgentOptionsInput, logger?: Logger): Promise<Agent> {
  const options = parseAgentOptions(input);
  const log = logger ?? pino({ name: "netlens-agent" });
  const ovs = new Ovs(options.ovsdb, ovsRunDir(options));
  const locks = new KeyedLock();
  const bridges = [options.integrationBridge, ...Object.values(options.bridgeMappings)];
  const settings: HostSettings = {
    prefix: options.prefix,
    chainPrefix: options.chainPrefix,
    integrationBridge: options.integrationBridge,
    bridgeMappings: options.bridgeMappings,
  };
  const statePath = join(options.stateDir, "state.json");

  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const saved = await readState(statePath);
  let applied = saved.applied_revision;
  let converged = new Map(Object.entries(saved.converged));
  let known = new Set(saved.known);
  await ensureBridges(ovs, options);
  if (options.datapathType !== "system") {
    const tso = (
      await ovs.vsctl(["--if-exists", "get", "Open_vSwitch", ".", "other_config:userspace-tso-enable"])
    ).trim();
    if (tso !== '"true"' && tso !== "true") {
      // Seen here: without it, TCP through veths on the userspace datapath dies on unfilled checksums (ping works).
      log.warn(
        "other_config:userspace-tso-enable is not true: TCP through veth ports will fail (see scripts/ovs-sandbox.sh)",
      );
    }
  }
  log.info({ bridges, prefix: options.prefix, applied_revision: applied }, "agent ready");

  const observe = (scope?: ObserveScope) =>
    observeHost(ovs, { prefix: options.prefix, chainPrefix: options.chainPrefix, bridges }, scope);
  const planAgainst = async (
    intent: HostIntent,
    host: ObservedHost,
  ): Promise<{ plan: DesiredPlan; actions: Action[] }> => {
    const plan = planHost(intent, settings, observedLocalVlans(host.ovsPorts, options.integrationBridge));
    return { plan, actions: diffHost(plan, host, options.prefix) };
  };

  /**
   * Issue 4: an operator's hand change must be shown as drift before anything puts it back. An action is held
   * when its resource's part of the intent is what the last apply converged, or when it would remove something
   * of ours that no intent we applied named, unless the intent asks to repair that resource (or "all").
   */
  const holdFor = (intent: HostIntent) => {
    const repair = intent.repair ?? "all";
    if (repair === "all") return () => false;
    const asked = new Set(repair);
    const prints = fingerprints(intent);
    return (action: Action) => {
      if (asked.has(action.resource)) return false;
      const print = prints.get(action.resource);
      if (print !== undefined) return converged.get(action.resource) === print;
      return UUID.test(action.resource) && !known.has(action.resource);
    };
  };

  /**
   * The host as the last apply left it (read before it, read again where it wrote after it): an incremental apply
   * starts from this picture instead of reading the host. null: read the whole host (start-up, after a failure).
   */
  let picture: ObservedHost | null = null;
  /** Namespace (or `flows:<bridge>`) -> digest of its part of the intent that the host was left as. */
  let settled = new Map<string, string>();
  const pattern = ownNamespacePattern(options.prefix);
  const partsFor = (intent: HostIntent, host: ObservedHost) => {
    const vlans = planLocalVlans(intent, observedLocalVlans(host.ovsPorts, options.integrationBridge));
    const flows = planFlows(options.integrationBridge, options.bridgeMappings, intent.networks, vlans);
    return { parts: intentParts(intent, settings, vlans), flows: flowParts(flows) };
  };

  /**
   * Full (start-up, repair "all", no repair field): read the whole host, plan and diff all of it, hold what
   * issue 4 says to hold. Incremental (a repair list, as the server pushes): only the namespaces and bridges
   * whose part of the intent changed, that the intent no longer names, that failed last time or whose repair is
   * asked are planned; of those, only the ones not left as asked by the last apply are read from the host.
   */
  const converge = async (intent: HostIntent): Promise<ApplyResult> => {
    try {
      return await convergeOnce(intent);
    } catch (error) {
      // Whatever ran is unknown: the next apply reads the whole host.
      picture = null;
      settled = new Map();
      throw error;
    }
  };

  const convergeOnce = async (intent: HostIntent): Promise<ApplyResult> => {
    const started = performance.now();
    const repair = intent.repair ?? "all";
    let scope: Scope | null = null;
    let before: ObservedHost;
    if (picture !== null && repair !== "all") {
      const last = picture;
      scope = selectScope({
        ...partsFor(intent, last),
        settled,
        cached: last.namespaces.keys(),
        repair: new Set(repair),
        ownerOf: (name) => pattern.exec(name)?.[2] ?? null,
      });
      // Changed namespaces are planned from the picture (reading a 1000-FIP router costs ~30 ms): where a hand
      // change made it stale, a command fails or the self-check finds more, and that namespace is read and
      // planned again (below).
      before =
        scope.list || scope.read.size > 0
          ? await observe({
              previous: last,
              links: scope.read,
              nat: scope.read,
              list: scope.list,
              ovsPorts: scope.list,
              bridges: [],
            })
          : last;
    } else {
      before = await observe();
    }
    const observed = performance.now();
    const held = scope === null ? holdFor(intent) : () => false;
    const planFor = (host: ObservedHost) =>
      planHost(
        intent,
        settings,
        observedLocalVlans(host.ovsPorts, options.integrationBridge),
        scope?.namespaces,
      );
    const diffAgainst = (plan: DesiredPlan, host: ObservedHost) => {
      const cut = scope === null ? { plan, observed: host } : restrictToScope(plan, host, scope);
      return diffHost(cut.plan, cut.observed, options.prefix);
    };
    let plan = planFor(before);
    const all = diffAgainst(plan, before);
    const actions = all.filter((a) => !held(a));
    const heldCount = all.length - actions.length;
    const planned = performance.now();
    const errors = new Map<string, string[]>();
    for (const e of plan.errors) errors.set(e.resource_id, [e.message]);
    let changes = 0;
    let executeMs = 0;
    const steps: Record<string, number>[] = [];
    let after: ObservedHost | null = before;
    let pending = actions;
    for (let round = 0; pending.length > 0; round++) {
      const t0 = performance.now();
      const executed = await executeActions(
        pending,
        { ovs, locks, logger: log },
        { readBack: options.verify },
      );
      executeMs += performance.now() - t0;
      steps.push(executed.steps);
      changes += executed.changes;
      for (const [resource, messages] of executed.errors)
        errors.set(resource, [...(errors.get(resource) ?? []), ...messages]);
      if (!options.verify || after === null) {
        after = null; // not read again: the next apply reads the whole host
        break;
      }
      // Planned from the picture, a command can fail on a hand change (an address already there, a rule already
      // gone): such a namespace is read whole and planned again, once, before its failure counts.
      const stale = new Set<string>();
      if (round === 0 && scope !== null) {
        for (const a of pending) {
          if ("ns" in a && executed.errors.has(a.resource) && !scope.read.has(a.ns)) stale.add(a.ns);
        }
        for (const a of pending) if ("ns" in a && stale.has(a.ns)) errors.delete(a.resource);
      }
      // The self-check: against the new host state, the same intent must plan nothing (for healthy resources).
      // Only what the actions touched is read again.
      const touched = verifyScope(after, pending, executed.readBack);
      for (const ns of stale) {
        touched.links.add(ns);
        touched.nat.add(ns);
      }
      const fresh: ObservedHost = await observe(touched);
      if (fresh.ovsPorts !== after.ovsPorts) plan = planFor(fresh);
      after = fresh;
      const left = diffAgainst(plan, fresh).filter((a) => !errors.has(a.resource) && !held(a));
      if (left.length > 0 && round === 0 && scope !== null) {
        // Planned from the picture, which a hand change on a changed resource made stale: once more, from what
        // was just read. (A changed resource converges whole, as asked.)
        pending = left;
        continue;
      }
      for (const action of left) {
        const list = errors.get(action.resource) ?? [];
        list.push(`did not converge: ${describeAction(action)}`);
        errors.set(action.resource, list);
      }
      break;
    }
    settle(intent, scope, after, errors);
    const ms = (from: number, to: number) => Math.round((to - from) * 10) / 10;
    const end = performance.now();
    const executeEnd = planned + executeMs;
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
    const level = result.errors.length > 0 ? "warn" : "info";
    log[level](
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
  };

  /** After an apply: the picture it leaves, and which parts the host now holds as asked. */
  const settle = (
    intent: HostIntent,
    scope: Scope | null,
    after: ObservedHost | null,
    errors: Map<string, string[]>,
  ) => {
    if (after === null) {
      picture = null;
      settled = new Map();
      return;
    }
    picture = after;
    const next = scope === null ? new Map<string, string>() : new Map(settled);
    const { parts, flows } = partsFor(intent, after);
    const named = new Set(parts.map((p) => p.key));
    for (const part of parts) {
      if (scope !== null && !scope.namespaces.has(part.key)) continue;
      next.set(part.key, errors.has(part.resourceId) ? FAILED : part.digest);
    }
    for (const key of [...next.keys()]) {
      if (named.has(key) || key.startsWith("flows:")) continue;
      // Removed from the intent: gone, or its removal failed and is tried again next time.
      if (after.namespaces.has(key)) next.set(key, REMOVAL_FAILED);
      else next.delete(key);
    }
    for (const part of flows) {
      if (scope !== null && !scope.bridges.has(part.resourceId)) continue;
      next.set(part.key, errors.has(part.resourceId) ? FAILED : part.digest);
    }
    settled = next;
  };

  // One apply at a time: each plans against the host state the previous one left.
  const serial = new KeyedLock();

  const startedAt = new Date();
  let lastApplyAt: string | null = null;
  let applyError: AgentError | null = null;
  const host = options.host ?? hostname();
  const reader = new SnapshotReader(ovs, {
    prefix: options.prefix,
    chainPrefix: options.chainPrefix,
    bridges,
  });
  const monitor = new HostMonitor(
    () => reader.read(),
    () => ({
      host,
      applied_revision: applied,
      started_at: startedAt,
      last_apply_at: lastApplyAt,
      apply_error: applyError,
    }),
    { intervalMs: options.inspectIntervalMs, logger: log },
  );
  const tracer = new Tracer(ovs, {
    host,
    prefix: options.prefix,
    chainPrefix: options.chainPrefix,
    integrationBridge: options.integrationBridge,
    bridgeMappings: options.bridgeMappings,
    ovsRunDir: ovsRunDir(options),
  });
  /** Every apply (and cleanup) goes through here: health remembers how it went, subscribers see its effect. */
  const recorded = async (task: () => Promise<ApplyResult>): Promise<ApplyResult> => {
    try {
      const result = await task();
      const at = new Date().toISOString();
      lastApplyAt = at;
      applyError =
        result.errors.length === 0
          ? null
          : {
              message: result.errors.map((e) => `${e.resource_id}: ${e.message}`).join("; "),
              at,
              source: "apply",
            };
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      applyError = { message, at: new Date().toISOString(), source: "apply" };
      throw error;
    } finally {
      monitor.changed();
    }
  };

  return {
    options,
    info: () => ({
      host,
      prefix: options.prefix,
      chain_prefix: options.chainPrefix,
      integration_bridge: options.integrationBridge,
      bridge_mappings: { ...options.bridgeMappings },
      applied_revision: applied,
      version: AGENT_VERSION,
    }),
    apply: (raw) =>
      serial.with("apply", () => {
        // Refused before `recorded`: an invalid or older intent is the caller's mistake and leaves health alone.
        const intent = hostIntent.parse(raw);
        if (intent.revision < applied) throw new RevisionConflictError(intent.revision, applied);
        return recorded(async () => {
          const result = await converge(intent);
          const failed = new Set(result.errors.map((e) => e.resource_id));
          const prints = fingerprints(intent);
          converged = new Map([...prints].filter(([id]) => !failed.has(id)));
          known = new Set([...prints.keys(), ...portIds(intent)]);
          applied = Math.max(applied, intent.revision);
          await writeState(statePath, {
            applied_revision: applied,
            converged: Object.fromEntries(converged),
            known: [...known],
          });
          return result;
        });
      }),
    plan: (raw) =>
      serial.with("apply", async () => (await planAgainst(hostIntent.parse(raw), await observe())).actions),
    observe,
    monitor,
    tracer,
    cleanup: () =>
      serial.with("apply", () =>
        recorded(async () => {
          const result = await converge({
            revision: applied || 1,
            networks: [],
            routers: [],
            instances: [],
            uplinks: [],
          });
          // Nothing is converged any more: the next intent makes everything again, asked or not.
          converged = new Map();
          known = new Set();
          await writeState(statePath, { applied_revision: applied, converged: {}, known: [] });
          return result;
        }),
      ),
    close: async () => {
      monitor.close();
      tracer.close();
      await serial.with("apply", async () => {});
      log.info("agent closed; dataplane left as is");
    },
  };
}

/**
 * What an apply's actions may have changed: per namespace its links (devices, addresses, routes; already read
 * back by its own batch where it ran) or its nat table, the namespace list and root veth ends when namespaces
 * or veths came or went, the OVS ports if any port action ran, the bridges whose flows were replaced.
 */
function verifyScope(
  previous: ObservedHost,
  actions: Action[],
  readBack: ReadonlyMap<string, NamespaceLinks>,
): ObserveScope {
  const links = new Set<string>();
  const nat = new Set<string>();
  const bridges = new Set<string>();
  let list = false;
  let ovsPorts = false;
  for (const action of actions) {
    switch (action.kind) {
      case "ovs-port-del":
      case "ovs-port-set":
        ovsPorts = true;
        break;
      case "flows-replace":
        bridges.add(action.bridge);
        break;
      case "root-link-set":
      case "root-link-del":
      case "netns-del":
        list = true;
        break;
      case "netns-add":
        list = true;
        links.add(action.ns);
        nat.add(action.ns);
        break;
      case "veth-add":
      case "link-del":
        list = true;
        links.add(action.ns);
        break;
      case "lo-up":
      case "link-set":
      case "addr-del":
      case "addr-add":
      case "route-del":
      case "route-set":
        links.add(action.ns);
        break;
      case "forwarding":
        break;
      case "nat-chains":
        nat.add(action.ns);
        break;
      default: {
        const unreachable: never = action;
        throw new Error(`Unknown action ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return { previous, links, nat, known: readBack, list, ovsPorts, bridges: [...bridges] };
}

/** The bridges and their patch ports, created if missing; a restart finds them and changes nothing. */
async function ensureBridges(ovs: Ovs, options: AgentOptions): Promise<void> {
  const commands: OvsCommand[] = [];
  const bridge = (name: string) => {
    commands.push(["--may-exist", "add-br", name]);
    // secure: with no controller, only our flows forward (Neutron's choice); the first apply writes them.
    commands.push(["set", "Bridge", name, `datapath_type=${options.datapathType}`, "fail_mode=secure"]);
  };
  bridge(options.integrationBridge);
  for (const physical of Object.values(options.bridgeMappings)) {
    bridge(physical);
    const intPatch = deviceNames.intPatch(physical);
    const phyPatch = deviceNames.phyPatch(physical);
    commands.push(["--may-exist", "add-port", options.integrationBridge, intPatch]);
    commands.push(["set", "Interface", intPatch, "type=patch", `options:peer=${phyPatch}`]);
    commands.push(["--may-exist", "add-port", physical, phyPatch]);
    commands.push(["set", "Interface", phyPatch, "type=patch", `options:peer=${intPatch}`]);
  }
  await ovs.transact(commands);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Per resource (router, instance, uplink's network), a digest of its part of the intent and of the networks
 * (their MTU and segments shape every device): equal digests, nothing asked of that resource changed.
 */
/**
 * Ids that name what the agent made besides the resources themselves: an instance's namespace and tap are named
 * after its port, so removing them is recognised as removing something a past intent asked for.
 */
function portIds(intent: HostIntent): string[] {
  return [
    ...intent.instances.map((i) => i.port_id),
    ...intent.routers.flatMap((r) => [
      ...r.interfaces.map((i) => i.port_id),
      ...(r.gateway === null ? [] : [r.gateway.port_id]),
    ]),
  ];
}

function fingerprints(intent: HostIntent): Map<string, string> {
  const networks = JSON.stringify(intent.networks);
  const print = (part: unknown) =>
    createHash("sha256").update(networks).update(JSON.stringify(part)).digest("hex").slice(0, 24);
  const prints = new Map<string, string>();
  for (const router of intent.routers) prints.set(router.id, print(router));
  for (const instance of intent.instances) prints.set(instance.id, print(instance));
  for (const uplink of intent.uplinks) prints.set(uplink.network_id, print(uplink));
  return prints;
}

async function readState(path: string): Promise<State> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<State>;
    const revision = parsed.applied_revision;
    const converged =
      typeof parsed.converged === "object" && parsed.converged !== null ? parsed.converged : {};
    return {
      applied_revision: typeof revision === "number" && Number.isInteger(revision) ? revision : 0,
      converged: Object.fromEntries(Object.entries(converged).filter(([, v]) => typeof v === "string")),
      known: Array.isArray(parsed.known) ? parsed.known.filter((k) => typeof k === "string") : [],
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      return { applied_revision: 0, converged: {}, known: [] };
    throw error;
  }
}

/** Write-then-rename: a crash leaves the old state or the new one, never half a file. */
async function writeState(path: string, state: State): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
