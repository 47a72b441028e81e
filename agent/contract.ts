// The agent's contract: the desired state of one host ("intent"), as the server compiles it and the agent
// validates it. The server may `import type` from this file and nothing else of agent/.
import { z } from "zod";
import { cidr, ipv4 } from "../lib/schemas/common";

const uuid = z.uuid();
const mac = z.string().regex(/^fa:16:3e(:[0-9a-f]{2}){3}$/, "MAC must be fa:16:3e:xx:xx:xx");
const prefixlen = z.number().int().min(1).max(32);
const route = z.object({ destination: cidr, nexthop: ipv4 });

export const intentNetwork = z.object({
  id: uuid,
  network_type: z.enum(["flat", "vlan", "vxlan", "local"]),
  physical_network: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .nullable(),
  segmentation_id: z.number().int().min(1).max(16777215).nullable(),
  mtu: z.number().int().min(68).max(9000),
});

/** An address on a port: the port's only fixed IP, with its subnet's prefix length. */
const portAddress = {
  port_id: uuid,
  network_id: uuid,
  mac_address: mac,
  ip_address: ipv4,
  prefixlen,
};

export const intentRouterGateway = z.object({
  ...portAddress,
  /** The external subnet's gateway: the router's default route. Null: no default route. */
  gateway_ip: ipv4.nullable(),
  enable_snat: z.boolean(),
});

export const intentFloatingIp = z.object({
  id: uuid,
  floating_ip_address: ipv4,
  fixed_ip_address: ipv4,
});

export const intentRouter = z.object({
  id: uuid,
  gateway: intentRouterGateway.nullable(),
  interfaces: z.array(z.object(portAddress)),
  routes: z.array(route),
  floating_ips: z.array(intentFloatingIp),
});

/** A lab instance: namespace `<prefix>qprobe-<port id>` holding one veth (eth0) on br-int. */
export const intentInstance = z.object({
  id: uuid,
  ...portAddress,
  /** The subnet's gateway_ip: the instance's default route, as DHCP would hand it out. */
  gateway_ip: ipv4.nullable(),
  host_routes: z.array(route),
  mtu: z.number().int().min(68).max(9000),
});

/** A simulated outside world for labs: a namespace on the physical bridge holding `address` (e.g. 203.0.113.1/24). */
export const intentUplink = z.object({
  network_id: uuid,
  physical_network: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  segmentation_id: z.number().int().min(1).max(4094).nullable(),
  address: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/),
});

export const hostIntent = z.object({
  revision: z.number().int().min(1),
  networks: z.array(intentNetwork),
  routers: z.array(intentRouter),
  instances: z.array(intentInstance),
  uplinks: z.array(intentUplink),
  /**
   * What this push may put back although its part of the intent did not change since the last apply (a hand
   * change: drift). Absent or "all": the whole host converges, as an intent alone always did. A list of resource
   * ids (router, instance, external network): only those, plus every resource whose part changed; the others'
   * drift is left for the server to show until someone asks for a repair (issue 4).
   */
  repair: z.union([z.literal("all"), z.array(z.string().max(64)).max(100_000)]).optional(),
});

export type HostIntent = z.infer<typeof hostIntent>;
export type IntentNetwork = z.infer<typeof intentNetwork>;
export type IntentRouter = z.infer<typeof intentRouter>;
export type IntentRouterGateway = z.infer<typeof intentRouterGateway>;
export type IntentFloatingIp = z.infer<typeof intentFloatingIp>;
export type IntentInstance = z.infer<typeof intentInstance>;
export type IntentUplink = z.infer<typeof intentUplink>;

/** What the agent answers to `apply`. Errors name the resource (router, instance, floating IP or network id). */
export type ApplyResult = {
  revision: number;
  /** Number of changes made on the host; 0 for a re-apply of an unchanged intent. */
  changes: number;
  duration_ms: number;
  errors: { resource_id: string; message: string }[];
  /** Actions not run because their resource's intent did not change and no repair was asked for it. */
  held?: number;
  /** Where the time went: reading the host, planning, running commands, the post-apply self-check. */
  timings?: { observe_ms: number; plan_ms: number; execute_ms: number; verify_ms: number };
};

/** What the agent tells about itself (`info`): the server checks bridge mappings before accepting a gateway. */
export type AgentInfo = {
  host: string;
  prefix: string;
  /** The prefix of its nat chains (`<p>-PREROUTING`, ...): the server writes the rules it expects with it. */
  chain_prefix?: string;
  integration_bridge: string;
  bridge_mappings: Record<string, string>;
  applied_revision: number;
  version: string;
};

// ---- Host inspection (DESIGN §5, issue 4): what `snapshot` returns and `snapshots` streams. ----

/** Sections per namespace of ours (`<prefix>qrouter-*`, `<prefix>qprobe-*`, `<prefix>quplink-*`). */
export type NamespaceSectionKind = "addr" | "routes" | "nat";

/**
 * Where a section lives in a snapshot: the host-wide ones by name, the per-namespace ones as
 * `netns/<namespace>/<kind>` (e.g. `netns/qrouter-<router id>/nat`). Each section also names its own kind and
 * namespace, so a consumer never has to parse the key.
 */
export type SnapshotSectionKey =
  | "ovs"
  | "ovsPorts"
  | "revision"
  | "health"
  | `netns/${string}/${NamespaceSectionKind}`;

/**
 * `hash`: a digest of the section's content (sha256, hex, first 16 characters). Equal hashes mean equal content,
 * so a consumer can tell what changed without comparing the data.
 */
type Hashed = { hash: string };

/** `ovs-vsctl show` of the agent's OVSDB, verbatim. */
export type OvsShowSection = Hashed & { kind: "ovs"; text: string };

export type SnapshotOvsInterface = {
  name: string;
  /** "" for a plain (system) interface, "internal", "patch", ... */
  type: string;
  /** null while vswitchd has not opened it; -1 when it could not. */
  ofport: number | null;
  /** e.g. {peer: "phy-br-ex"} for a patch port. */
  options: Record<string, string>;
  external_ids: Record<string, string>;
};

export type SnapshotOvsPort = {
  bridge: string;
  name: string;
  /** The local VLAN (access port); null for a trunk or an untagged port. */
  tag: number | null;
  interfaces: SnapshotOvsInterface[];
};

/** The agent's bridges (integration + mapped physical ones) and all their ports, sorted by bridge and name. */
export type OvsPortsSection = Hashed & {
  kind: "ovsPorts";
  bridges: { name: string; datapath_type: string; fail_mode: string | null }[];
  ports: SnapshotOvsPort[];
};

/** One element of `ip -json addr` as iproute2 prints it (the fields named here, and any others it adds). */
export type IpJsonLink = {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  mtu?: number;
  operstate?: string;
  address?: string;
  addr_info?: {
    family?: string;
    local?: string;
    prefixlen?: number;
    scope?: string;
    [field: string]: unknown;
  }[];
  [field: string]: unknown;
};

/** One element of `ip -json route` as iproute2 prints it. */
export type IpJsonRoute = {
  dst?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  flags?: string[];
  [field: string]: unknown;
};

export type AddrSection = Hashed & { kind: "addr"; namespace: string; links: IpJsonLink[] };

export type RoutesSection = Hashed & { kind: "routes"; namespace: string; routes: IpJsonRoute[] };

/** A rule of our nat chains (or a built-in chain's jump into one), with its counters. */
export type NatRuleCounters = {
  chain: string;
  /** As `iptables -t nat -S` prints it, e.g. "-A netlens-PREROUTING -d 203.0.113.20/32 -j DNAT --to-destination 10.0.0.5". */
  rule: string;
  packets: number;
  bytes: number;
};

/**
 * Router namespaces only. `text`: `iptables-save -t nat -c` verbatim but for its two comment lines ("# Generated
 * by ... on <date>", "# Completed on <date>"), which carry the time of the read and would make every read differ.
 * The counters are part of the content: traffic through a rule changes the section.
 */
export type NatSection = Hashed & { kind: "nat"; namespace: string; text: string; rules: NatRuleCounters[] };

export type RevisionSection = Hashed & { kind: "revision"; applied_revision: number };

export type AgentError = { message: string; at: string; source: "apply" | "observe" };

/**
 * `last_error`: the most recent of the last apply's error (null once an apply succeeds) and the last host read's
 * error (null once a read succeeds). `uptime_s` is as of the event's `taken_at` and is left out of the hash:
 * otherwise the section would change on every read.
 */
export type HealthSection = Hashed & {
  kind: "health";
  started_at: string;
  uptime_s: number;
  last_error: AgentError | null;
  last_apply_at: string | null;
};

export type HostSection =
  | OvsShowSection
  | OvsPortsSection
  | AddrSection
  | RoutesSection
  | NatSection
  | RevisionSection
  | HealthSection;

export type HostSections = { [key in SnapshotSectionKey]?: HostSection };

/** What the `snapshot` query returns: every section as of `taken_at`. */
export type HostSnapshot = {
  host: string;
  /** Increases by one each time any section's hash changes (per agent process). */
  seq: number;
  taken_at: string;
  sections: HostSections;
};

/** The first event of a `snapshots` subscription (and the first after a resume the agent cannot serve). */
export type SnapshotFullEvent = HostSnapshot & { type: "full" };

/** Every later event: only the sections whose hash changed since the previous event, and those that went away. */
export type SnapshotDeltaEvent = {
  type: "delta";
  seq: number;
  taken_at: string;
  changed: HostSections;
  removed: SnapshotSectionKey[];
};

/**
 * What `snapshots` yields, each wrapped by tRPC's `tracked(id, event)`: the client sees `{ id, data }`, and
 * after a reconnect sends the last id back (`lastEventId`), so that the agent answers with a delta from there.
 */
export type SnapshotEvent = SnapshotFullEvent | SnapshotDeltaEvent;

/** The agent's tRPC router type, for the server's client. */
export type { AgentRouter } from "./api/router";
