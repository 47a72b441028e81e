// The agent's options, validated once at start-up: every one of these names reaches a command line (bridge
// names, namespace and chain prefixes), so none may hold anything but the characters we allow.
import { join } from "node:path";
import { z } from "zod";
import { bridgeName, hostName, hostRole, namespacePrefix } from "../lib/names";
import { ipv4, physicalNetworkName } from "../lib/schemas/common";

/** iptables chain names are at most 28 characters; the longest of ours is `<p>-float-snat` (11 more). */
export const chainPrefix = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,16}$/, "Chain prefix: 1-17 characters of A-Z a-z 0-9 _ -, first a letter");

export const agentOptions = z.object({
  /** OVSDB remote, e.g. unix:/path/db.sock (the sandbox's socket). */
  ovsdb: z.string().regex(/^(unix:\/[^\s]+|tcp:[0-9.]+:\d+)$/, "OVSDB remote: unix:/abs/path or tcp:ip:port"),
  /**
   * Where ovs-vswitchd keeps its `<bridge>.mgmt` OpenFlow sockets (ovs-ofctl talks to those). Defaults to the
   * directory of a unix: OVSDB socket, which is where scripts/ovs-sandbox.sh puts both.
   */
  ovsRunDir: z.string().startsWith("/").optional(),
  integrationBridge: bridgeName.default("br-int"),
  bridgeMappings: z.record(physicalNetworkName, bridgeName).default({}),
  /**
   * netdev (the userspace datapath, the default here: no kernel module), system (kernel module), or dummy: the
   * same userspace forwarding without the root-namespace taps, so that tests can run beside a live netdev stack.
   */
  datapathType: z.enum(["netdev", "system", "dummy"]).default("netdev"),
  prefix: namespacePrefix.default(""),
  chainPrefix: chainPrefix.default("netlens"),
  stateDir: z.string().min(1),
  /** After an apply that changed something, plan again against the new host state; it must be empty. */
  verify: z.boolean().default(true),
  /** The host's name as the server schedules with; the machine's host name by default. */
  host: hostName.optional(),
  /** What the host is for (Neutron: which agents run on it); both by default, as on one host. */
  roles: z.array(hostRole).min(1).default(["compute", "network"]),
  /** The VXLAN tunnel endpoint (Neutron's `local_ip`): an address of this host on the underlay. None: no tunnels. */
  localIp: ipv4.optional(),
  /** The tunnel bridge (Neutron's br-tun), made when the host has a local IP. */
  tunnelBridge: bridgeName.default("br-tun"),
  /**
   * The network namespace that is this host's own (a lab host: scripts/lab-hosts.sh), where its OVS runs and our
   * veths' host ends go; the agent stays in the root namespace (its API reachable by the server) and runs
   * iproute2 there with `ip -n`. None: the root namespace is the host's.
   */
  hostNetns: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "Host namespace: 1-64 characters of A-Z a-z 0-9 _ . -")
    .optional(),
  /** How often the host is read for inspection while a `snapshots` subscriber listens (changes made by hand). */
  inspectIntervalMs: z.number().int().min(100).max(600_000).default(2000),
  /** How often the agent checks that the host still holds what it was given (0: never). */
  watchIntervalMs: z.number().int().min(0).max(600_000).default(2000),
});

export type AgentOptionsInput = z.input<typeof agentOptions>;
export type AgentOptions = z.output<typeof agentOptions>;

/** Validates raw options (from the command line or a caller) and applies the defaults. */
export function parseAgentOptions(input: unknown): AgentOptions {
  const parsed = agentOptions.safeParse(input);
  if (!parsed.success) {
    throw new Error(`Invalid agent options: ${z.prettifyError(parsed.error)}`);
  }
  const options = parsed.data;
  const bridges = [options.integrationBridge, options.tunnelBridge, ...Object.values(options.bridgeMappings)];
  if (new Set(bridges).size !== bridges.length) {
    throw new Error(`Invalid agent options: bridges must differ (${bridges.join(", ")})`);
  }
  return { ...options, roles: [...new Set(options.roles)] };
}

/** Where DHCP servers keep their files: `<state dir>/dhcp/<network id>/` (Neutron's dhcp_confs). */
export function dhcpDir(options: Pick<AgentOptions, "stateDir">): string {
  return join(options.stateDir, "dhcp");
}

/**
 * Where metadata proxies keep their files (`<state dir>/metadata/<router id>/`) and the relay its socket: the
 * one the proxies forward to (agent/metadata/relay.ts).
 */
export function metadataSettings(options: Pick<AgentOptions, "stateDir">) {
  const dir = join(options.stateDir, "metadata");
  return { metadataDir: dir, relaySocket: join(dir, "relay.sock") };
}

/** Where HA routers' keepalived keeps its files: `<state dir>/ha/<router id>/` (Neutron's ha_confs_path). */
export function haDir(options: Pick<AgentOptions, "stateDir">): string {
  return join(options.stateDir, "ha");
}

/** The run directory holding `<bridge>.mgmt` sockets. */
export function ovsRunDir(options: AgentOptions): string {
  if (options.ovsRunDir !== undefined) return options.ovsRunDir;
  const match = /^unix:(.*)\/[^/]+$/.exec(options.ovsdb);
  if (match?.[1] === undefined) {
    throw new Error("Give ovsRunDir (--ovs-rundir) when OVSDB is not a unix: socket");
  }
  return match[1];
}

/** The agent's bridges: integration first, the mapped physical ones, then br-tun on a host with a local IP. */
export function agentBridges(options: AgentOptions): string[] {
  return [
    options.integrationBridge,
    ...Object.values(options.bridgeMappings),
    ...(options.localIp === undefined ? [] : [options.tunnelBridge]),
  ];
}
