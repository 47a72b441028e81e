// The agent itself, without HTTP: validated options wired to the converge loop (converge/loop.ts: where it
// decides what to change), the host monitor (read/) and the tracer (trace/). Commands run only in host/.
// main.ts serves it; tests and the server's tests use it in-process.
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import pino, { type Logger } from "pino";
import type { AgentError } from "../lib/host-snapshot";
import type { AgentInfo, ApplyResult, IntentEnvelope } from "./contract/intent";
import { Binder } from "./converge/binder";
import { ensureBridges } from "./converge/bridges";
import { type ApplyOutcome, Converger } from "./converge/loop";
import { namespaceExists } from "./host/netns";
import { Ovs } from "./host/ovs";
import { InterfaceMonitor } from "./host/ovsdb-monitor";
import {
  type AgentOptions,
  type AgentOptionsInput,
  agentBridges,
  dhcpDir,
  haDir,
  metadataSettings,
  ovsRunDir,
  parseAgentOptions,
} from "./options";
import type { Action } from "./plan/actions";
import type { ObservedHost } from "./plan/pictures";
import { HostMonitor } from "./read/monitor";
import { SnapshotReader } from "./read/snapshot-reader";
import { Tracer } from "./trace/tracer";

export const AGENT_VERSION = "0.1.0";

export type Agent = {
  readonly options: AgentOptions;
  info(): AgentInfo;
  /**
   * Refuses an intent whose envelope is wrong or whose revision is older; reports each resource that does not
   * fit its schema; makes the host match the rest.
   */
  apply(intent: IntentEnvelope): Promise<ApplyResult>;
  /** The actions an apply would run now, without running them. */
  plan(intent: IntentEnvelope): Promise<Action[]>;
  observe(): Promise<ObservedHost>;
  /** Host inspection: `snapshot()` now, `events()` for a subscriber. */
  readonly monitor: HostMonitor;
  /** Packet path tracing: answers the server's questions about paths, sends probes. */
  readonly tracer: Tracer;
  /** Removes everything of ours from the host (namespaces, OVS ports); keeps bridges and the revision. */
  cleanup(): Promise<ApplyResult>;
  /** Resolves once what applies left to do in the background (gratuitous ARPs) is done. */
  idle(): Promise<void>;
  /** Waits for a running apply; leaves the dataplane as it is (traffic keeps flowing). */
  close(): Promise<void>;
};

export async function createAgent(input: AgentOptionsInput, logger?: Logger): Promise<Agent> {
  const options = parseAgentOptions(input);
  const log = logger ?? pino({ name: "netlens-agent" });
  const ovs = new Ovs(options.ovsdb, ovsRunDir(options));
  const host = options.host ?? hostname();
  const bridges = agentBridges(options);

  if (options.hostNetns !== undefined && !(await namespaceExists(options.hostNetns)))
    throw new Error(
      `Host namespace ${options.hostNetns} does not exist (--host-netns: see scripts/lab-hosts.sh)`,
    );
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  await ensureBridges(ovs, options, log);

  // Health remembers how the last apply went; subscribers see its effect at once.
  const startedAt = new Date();
  let lastApplyAt: string | null = null;
  let applyError: AgentError | null = null;
  const onApplied = (outcome: ApplyOutcome) => {
    const at = new Date().toISOString();
    if ("error" in outcome) {
      const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      applyError = { message, at, source: "apply" };
    } else {
      lastApplyAt = at;
      const { errors } = outcome.result;
      applyError =
        errors.length === 0
          ? null
          : { message: errors.map((e) => `${e.resource_id}: ${e.message}`).join("; "), at, source: "apply" };
    }
    monitor.changed();
    binder.schedule();
  };
  const converger = await Converger.start({
    ovs,
    options,
    runDir: ovsRunDir(options),
    log,
    onApplied,
    workloadVlans: () => binder.vlans(),
    workloadPorts: () => binder.ports(),
  });
  const binder = new Binder({
    ovs,
    integrationBridge: options.integrationBridge,
    bridgeMappings: options.bridgeMappings,
    prefix: options.prefix,
    host: converger,
    log,
    // The report is in hand: no need to read the whole host for it (the monitor's read composes the same).
    onChange: () => monitor.patch({ bindings: binder.section() }),
  });
  const plugs = new InterfaceMonitor(options.ovsdb, () => binder.schedule(), log);

  const reader = new SnapshotReader(ovs, {
    prefix: options.prefix,
    chainPrefix: options.chainPrefix,
    bridges,
    dhcpDir: dhcpDir(options),
    haDir: haDir(options),
    owns: (namespace) => converger.owns(namespace),
  });
  const monitor = new HostMonitor(
    async () => {
      const read = await reader.read();
      return { ...read, sections: { ...read.sections, bindings: binder.section() } };
    },
    () => ({
      host,
      applied_revision: converger.appliedRevision,
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
    ...(options.localIp === undefined ? {} : { tunnelBridge: options.tunnelBridge }),
    ovsRunDir: ovsRunDir(options),
    dhcpDir: dhcpDir(options),
    metadataDir: metadataSettings(options).metadataDir,
    haDir: haDir(options),
  });
  if (options.watchIntervalMs > 0) converger.watch(options.watchIntervalMs);
  // What was plugged while no agent ran is bound now (a failed pass is logged and tried again).
  plugs.start();
  binder.schedule();
  log.info({ bridges, prefix: options.prefix, applied_revision: converger.appliedRevision }, "agent ready");

  return {
    options,
    info: () => ({
      host,
      prefix: options.prefix,
      chain_prefix: options.chainPrefix,
      integration_bridge: options.integrationBridge,
      bridge_mappings: { ...options.bridgeMappings },
      roles: [...options.roles],
      local_ip: options.localIp ?? null,
      applied_revision: converger.appliedRevision,
      version: AGENT_VERSION,
    }),
    apply: (intent) => converger.apply(intent),
    plan: (intent) => converger.plan(intent),
    observe: () => converger.observe(),
    monitor,
    tracer,
    cleanup: () => converger.cleanup(),
    idle: () => converger.idle(),
    close: async () => {
      plugs.stop();
      monitor.close();
      tracer.close();
      await binder.close();
      await converger.close();
      log.info("agent closed; dataplane left as is");
    },
  };
}
