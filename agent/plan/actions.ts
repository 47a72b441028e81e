// The plan is a value: an ordered list of typed actions. The executor (agent/converge/execute.ts) groups them into as few
// commands as possible (one OVS transaction, one `ip -batch` per namespace, one iptables-restore per router).

import type { NatChain } from "../../lib/router-nat";
import type { IptablesTable, NatEdit } from "./iptables";
import type { DaemonProgram } from "./pictures";

/** Every action names the resource (router / instance / network id) that an error is reported against. */
type Base = { resource: string };

export type Action = Base &
  (
    | { kind: "ovs-port-del"; port: string }
    /** A veth end in the root namespace whose namespace goes: deleting it takes the pair with it at once, while
     * `netns del` leaves the kernel to tear the namespace down later (a router made again soon would meet it). */
    | { kind: "root-link-del"; dev: string }
    | { kind: "netns-del"; ns: string }
    | { kind: "link-del"; ns: string; dev: string }
    | { kind: "netns-add"; ns: string }
    | { kind: "veth-add"; ns: string; dev: string; peer: string; mac: string | null; mtu: number }
    | { kind: "root-link-set"; dev: string; mtu: number }
    | {
        kind: "ovs-port-set";
        port: string;
        bridge: string;
        tag: number | null;
        externalIds: Record<string, string>;
        /** false: the port exists on the right bridge and only tag/external_ids change. */
        create: boolean;
      }
    /** A VXLAN port towards another host, made or set to these options (Interface type=vxlan). */
    | {
        kind: "tunnel-port-set";
        port: string;
        bridge: string;
        options: Record<string, string>;
        /** `netlens-prefix`: how we recognise it as ours. */
        externalIds: Record<string, string>;
        create: boolean;
      }
    | { kind: "lo-up"; ns: string }
    | { kind: "link-set"; ns: string; dev: string; mac: string | null; mtu: number }
    | { kind: "addr-del"; ns: string; dev: string; address: string }
    | { kind: "addr-add"; ns: string; dev: string; address: string }
    | { kind: "route-del"; ns: string; destination: string }
    | { kind: "route-set"; ns: string; destination: string; via: string }
    | { kind: "forwarding"; ns: string }
    /** IPv6 off in a new namespace (every device, and those made later), before its devices come up. */
    | { kind: "ipv6-off"; ns: string }
    | {
        kind: "nat-chains";
        ns: string;
        /** nat, or mangle (the router's hairpin mark): one restore each. */
        table: IptablesTable;
        /** Whole chains to (re)write: each is declared (which flushes it) and refilled in one restore. */
        chains: NatChain[];
        /** Chains whose order does not matter, edited in place: `-D` the rules that go, `-A` the ones that come. */
        edits: NatEdit[];
        /** Jump rules to delete from built-in chains, then to append, so that their order is ours. */
        deleteJumps: string[];
        addJumps: string[];
      }
    /** `atomic`: in one bundle (one transaction); else flow by flow, removals first. */
    | { kind: "flows-set"; bridge: string; add: string[]; remove: string[]; atomic: boolean }
    /** Stops a daemon of a namespace (the one its pid file names, if it runs); `purge`: then removes that
     * directory of its files (the daemon is no longer wanted). */
    | { kind: "daemon-stop"; ns: string; program: DaemonProgram; pidFile: string; purge: string | null }
    /** Writes a daemon's files (path -> content), each replaced whole. */
    | { kind: "daemon-files"; ns: string; dir: string; files: Record<string, string> }
    | { kind: "daemon-start"; ns: string; program: DaemonProgram; args: string[]; pidFile: string }
    /** SIGHUP: dnsmasq re-reads its hosts, addn-hosts and options files, keepalived its configuration; both keep
     * running. */
    | { kind: "daemon-reload"; ns: string; program: DaemonProgram; pidFile: string }
    /** Asks DHCP for the device's lease (udhcpc) and sets the address and routes it hands out. */
    | { kind: "dhcp-lease"; ns: string; dev: string }
    /** A gratuitous ARP for an address just added (address without prefix length). */
    | { kind: "arp-announce"; ns: string; dev: string; address: string }
  );

export type ActionKind = Action["kind"];

/** What a namespace's daemons need done, in this order (agent/converge/daemon-steps.ts). */
export type DaemonAction = Extract<
  Action,
  { kind: "daemon-stop" | "daemon-files" | "daemon-start" | "daemon-reload" }
>;

/** Order of execution: removals before additions, devices before the OVS ports that need them, addresses before
 * the routes that use them, NAT and flows last. */
export const actionOrder: readonly ActionKind[] = [
  // A process in a namespace keeps it alive after `netns del`: daemons stop first.
  "daemon-stop",
  "ovs-port-del",
  "root-link-del",
  "netns-del",
  "link-del",
  "netns-add",
  "veth-add",
  "root-link-set",
  "ipv6-off",
  "ovs-port-set",
  "tunnel-port-set",
  "lo-up",
  "link-set",
  "addr-del",
  "addr-add",
  "route-del",
  "route-set",
  "forwarding",
  "nat-chains",
  "flows-set",
  // dnsmasq binds to its device's address: daemons start after the links are configured.
  "daemon-files",
  "daemon-start",
  "daemon-reload",
  // Once the network's DHCP server (maybe made in the same apply) answers.
  "dhcp-lease",
  "arp-announce",
];

/** One line per action, for logs and for the "did not converge" error. */
export function describeAction(action: Action): string {
  switch (action.kind) {
    case "ovs-port-del":
      return `ovs del-port ${action.port}`;
    case "root-link-del":
      return `link del ${action.dev}`;
    case "netns-del":
      return `netns del ${action.ns}`;
    case "link-del":
      return `${action.ns}: link del ${action.dev}`;
    case "netns-add":
      return `netns add ${action.ns}`;
    case "veth-add":
      return `veth ${action.peer} <-> ${action.ns}/${action.dev}`;
    case "root-link-set":
      return `link set ${action.dev} mtu ${action.mtu} up`;
    case "ovs-port-set":
      return `ovs ${action.create ? "add-port" : "set port"} ${action.bridge} ${action.port} tag=${action.tag ?? "none"}`;
    case "tunnel-port-set":
      return `ovs ${action.create ? "add-port" : "set port"} ${action.bridge} ${action.port} type=vxlan remote_ip=${action.options.remote_ip ?? "?"}`;
    case "lo-up":
      return `${action.ns}: link set lo up`;
    case "link-set":
      return `${action.ns}: link set ${action.dev} mtu ${action.mtu}${action.mac ? ` address ${action.mac}` : ""} up`;
    case "addr-del":
      return `${action.ns}: addr del ${action.address} dev ${action.dev}`;
    case "addr-add":
      return `${action.ns}: addr add ${action.address} dev ${action.dev}`;
    case "route-del":
      return `${action.ns}: route del ${action.destination}`;
    case "route-set":
      return `${action.ns}: route replace ${action.destination} via ${action.via}`;
    case "forwarding":
      return `${action.ns}: sysctl net.ipv4.ip_forward=1`;
    case "ipv6-off":
      return `${action.ns}: sysctl net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1`;
    case "nat-chains":
      return `${action.ns}: iptables-restore --noflush -t ${action.table} of ${natSummary(action)}`;
    case "flows-set":
      return `ovs-ofctl${action.atomic ? " --bundle" : ""} add-flows ${action.bridge} (+${action.add.length} -${action.remove.length} flows)`;
    case "daemon-stop":
      return `${action.ns}: stop ${action.program} (${action.pidFile})${action.purge ? `, remove ${action.purge}` : ""}`;
    case "daemon-files":
      return `${action.ns}: write ${Object.keys(action.files).join(", ")}`;
    case "daemon-start":
      return `ip netns exec ${action.ns} ${action.program} ${action.args.join(" ")}`;
    case "daemon-reload":
      return `${action.ns}: kill -HUP ${action.program} (${action.pidFile})`;
    case "dhcp-lease":
      return `ip netns exec ${action.ns} udhcpc -q -i ${action.dev}`;
    case "arp-announce":
      return `ip netns exec ${action.ns} arping -U -I ${action.dev} ${action.address}`;
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

function natSummary(action: Extract<Action, { kind: "nat-chains" }>): string {
  const parts = [
    ...action.chains.map((c) => c.name),
    ...action.edits.map((e) => `${e.chain} (-${e.remove.length} +${e.add.length})`),
  ];
  return parts.join(", ") || "jumps";
}

export function sortActions(actions: Action[]): Action[] {
  const rank = new Map(actionOrder.map((kind, index) => [kind, index]));
  // Array.prototype.sort is stable: within one kind, the planner's order is kept.
  return [...actions].sort((a, b) => (rank.get(a.kind) ?? 0) - (rank.get(b.kind) ?? 0));
}
