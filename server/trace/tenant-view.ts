// What a member sees of a trace: the one place where an admin's answer becomes a tenant's. The path (each hop's
// action, the packet's addresses, the graph node), the rules of the member's own resources (structured, from
// `hop.rule`) and the verdict stay; the host's internals go: its name, bridges, namespaces, devices, local VLANs,
// the host's own words (`ip route get`, iptables, ofproto/trace, tcpdump), fixes in host commands, and anything
// of another project (its resources, its addresses). Built up from what may be shown, never by deleting what
// may not: a field the admin's answer gains later stays out of the member's until it is added here. PURE.
import type { ConntrackTuple } from "../../lib/host-snapshot";
import type {
  Diagnosis,
  DiagnosisCode,
  Hop,
  HopConntrack,
  HopRule,
  ProbeOutcome,
  TraceEndpointView,
  TraceResult,
} from "../../lib/schemas/trace";
import { forwardingText, securityRuleText } from "../../lib/trace-rule-text";

export type TenantScope = {
  /** What the member may see named, by ID: its own instances, routers, ports ("gateway port 203.0.113.5",
   * "port web-1") and floating IPs, and the networks it sees (its own, shared and external ones). */
  names: ReadonlyMap<string, string>;
  /** Addresses of other projects' ports and floating IPs (none the member holds itself). */
  hidden: ReadonlySet<string>;
};

/** What a hop outside the member's project says, whatever it was. */
export const OUTSIDE_PROJECT = "a hop outside your project";
/** An address of another project's, as the member's view prints it. */
export const HIDDEN_ADDRESS = "(hidden)";

export function tenantView(result: TraceResult, scope: TenantScope): TraceResult {
  return {
    verdict: result.verdict,
    from: endpoint(result.from, scope),
    to: endpoint(result.to, scope),
    protocol: result.protocol,
    port: result.port,
    mode: result.mode,
    forward: result.forward.map((hop) => tenantHop(hop, scope)),
    reply: result.reply.map((hop) => tenantHop(hop, scope)),
    diagnoses: result.diagnoses.map(tenantDiagnosis),
    ...(result.probe ? { probe: tenantProbe(result.probe) } : {}),
    duration_ms: result.duration_ms,
  };
}

function address(value: string, scope: TenantScope): string {
  return scope.hidden.has(value) ? HIDDEN_ADDRESS : value;
}

function endpoint(view: TraceEndpointView, scope: TenantScope): TraceEndpointView {
  const named = scope.names.has(view.id);
  return {
    kind: view.kind,
    id: named ? view.id : "",
    name: named ? view.name : "",
    address: address(view.address, scope),
  };
}

/** The rule if it is the member's own resource's, with what it names of others left out; else undefined. */
function ownRule(rule: HopRule, scope: TenantScope): HopRule | undefined {
  switch (rule.kind) {
    case "route":
      if (!scope.names.has(rule.owner_id)) return undefined;
      return {
        ...rule,
        destination: address(rule.destination, scope),
        nexthop: rule.nexthop === null ? null : address(rule.nexthop, scope),
        port_id: rule.port_id !== null && scope.names.has(rule.port_id) ? rule.port_id : null,
      };
    case "floating_ip_nat":
      return scope.names.has(rule.floating_ip_id) ? rule : undefined;
    case "router_snat":
      return scope.names.has(rule.router_id) ? rule : undefined;
    case "port_forwarding":
      return scope.names.has(rule.floating_ip_id) ? rule : undefined;
    case "security_group_rule":
      // The port is the member's: its groups and their rules are its project's.
      return scope.names.has(rule.port_id) ? rule : undefined;
    default: {
      const unknown: never = rule;
      throw new Error(`A hop rule the tenant view does not know: ${JSON.stringify(unknown)}`);
    }
  }
}

function tenantHop(hop: Hop, scope: TenantScope): Hop {
  const packet = { src: address(hop.packet.src, scope), dst: address(hop.packet.dst, scope) };
  const probe = hop.probe ? { probe: { seen: hop.probe.seen, evidence: [] } } : {};
  if (!scope.names.has(hop.where.node_id)) {
    return {
      where: { node_id: "" },
      action: hop.action,
      packet,
      decided_by: { kind: "model", text: OUTSIDE_PROJECT },
      ...probe,
    };
  }
  const rule = hop.rule === undefined ? undefined : ownRule(hop.rule, scope);
  const portId = hop.where.port_id;
  return {
    where: {
      node_id: hop.where.node_id,
      ...(portId !== undefined && scope.names.has(portId) ? { port_id: portId } : {}),
    },
    action: hop.action,
    packet,
    decided_by: { kind: hop.decided_by.kind, text: ruleText(hop, rule, packet, scope) },
    ...(rule === undefined ? {} : { rule }),
    ...(hop.conntrack === undefined ? {} : { conntrack: tenantConntrack(hop.conntrack, scope) }),
    ...probe,
  };
}

/**
 * The member's own router's entry for the member's own connection: its addresses are those the hops show
 * already (the member's and the peer's, another project's hidden as everywhere), its ports and state are the
 * connection's. The host's line goes: its timeout, mark and zone are the host's bookkeeping.
 */
function tenantConntrack(conntrack: HopConntrack, scope: TenantScope): HopConntrack {
  const { entry } = conntrack;
  const tuple = (t: ConntrackTuple): ConntrackTuple => ({
    src: address(t.src, scope),
    dst: address(t.dst, scope),
    sport: t.sport,
    dport: t.dport,
  });
  return {
    entry:
      entry === null
        ? null
        : {
            protocol: entry.protocol,
            state: entry.state,
            original: tuple(entry.original),
            reply: tuple(entry.reply),
            flags: entry.flags,
            text: "",
          },
    agrees: conntrack.agrees,
    others: conntrack.others,
  };
}

/** What decided the hop, in the member's terms: its own rule when one decided it, else what happened. */
function ruleText(hop: Hop, rule: HopRule | undefined, packet: Hop["packet"], scope: TenantScope): string {
  const at = scope.names.get(hop.where.node_id) ?? "";
  const label = (id: string | null, otherwise: string) =>
    id === null ? otherwise : (scope.names.get(id) ?? id);
  switch (rule?.kind) {
    case "route":
      return rule.local
        ? `${label(rule.owner_id, at)} holds ${rule.destination}: delivered`
        : `${label(rule.owner_id, at)} routes ${rule.destination} ${rule.nexthop === null ? "on the link" : `via ${rule.nexthop}`} out of ${label(rule.port_id, "a device the model does not know")}`;
    case "floating_ip_nat": {
      const { floating_ip_address: fip, fixed_ip_address: fixed } = rule;
      const nat =
        hop.action === "snat" ? `source ${fixed} -> ${fip} (SNAT)` : `destination ${fip} -> ${fixed} (DNAT)`;
      return `${rule.conntrack ? "reply of a connection through " : ""}floating IP ${fip}: ${nat}`;
    }
    case "router_snat":
      return rule.conntrack
        ? `reply of a connection SNATed by router ${label(rule.router_id, at)}: destination ${rule.external_ip_address} -> ${packet.dst}`
        : `router ${label(rule.router_id, at)} SNATs the source to its gateway address ${rule.external_ip_address}`;
    case "port_forwarding":
      return forwardingText(rule);
    case "security_group_rule":
      return securityRuleText(rule);
    case undefined:
      return happened(hop, at, packet);
    default: {
      const unknown: never = rule;
      throw new Error(`A hop rule the tenant view does not know: ${JSON.stringify(unknown)}`);
    }
  }
}

/** A hop no rule of the member's decided: what happened there, from its action and the kind of what decided. */
function happened(hop: Hop, at: string, packet: Hop["packet"]): string {
  // A filter's verdict is told by the member's own port (the hop's node), without addresses.
  if (hop.decided_by.kind === "security_group") return hop.decided_by.text;
  switch (hop.action) {
    case "switched":
      return `switched on network ${at}`;
    case "delivered":
      return hop.decided_by.kind === "model"
        ? `${packet.dst} is beyond external network ${at}'s gateway: the packet left for the outside world`
        : `delivered at ${at}`;
    case "dropped":
      switch (hop.decided_by.kind) {
        case "ovs_flow":
          return `network ${at} does not carry the frame to the next port on the host`;
        case "route":
          return `${at} has no route to ${packet.dst}`;
        case "arp":
          return `nothing on the network answers for the next hop: the packet never leaves ${at}`;
        default:
          return `dropped at ${at}; an admin can see why on the host`;
      }
    case "routed":
      return `routed by ${at}`;
    case "dnat":
    case "snat":
      return `address translated at ${at}`;
    default: {
      const unknown: never = hop.action;
      throw new Error(`Unknown hop action ${String(unknown)}`);
    }
  }
}

/** Each diagnosis in the member's words: what is wrong and who can fix it, without the host's names. */
const tenantDiagnoses: Record<DiagnosisCode, Pick<Diagnosis, "message" | "fix">> = {
  "gateway-not-router": {
    message:
      "The subnet's gateway address is not the router's interface: what leaves the subnet (replies included) bypasses the router and its NAT.",
    fix: "An admin moves the router's interface to the subnet's gateway address, or points the subnet's gateway at the router's interface.",
  },
  "gateway-port-wrong-bridge": {
    message: "On the host, the router's external gateway has no path to the external network.",
    fix: "An admin repairs the host: the admin's trace names the port and the bridge.",
  },
  "router-no-gateway": {
    message:
      "The router has no external gateway: nothing leaves it for an external network, and its floating IPs have no NAT.",
    fix: "An admin sets the router's external gateway.",
  },
  "fip-subnet-not-routed": {
    message: "The floating IP maps to an address on a subnet that its router is not attached to.",
    fix: "An admin attaches the subnet to the router.",
  },
  "nat-rule-missing": {
    message: "A NAT rule that the path needs is missing on the host.",
    fix: "An admin re-applies the router: the admin's trace names the rule.",
  },
  "no-listener": {
    message: "The destination answered with a reset: nothing listens on that port (the path itself works).",
    fix: "Start the service in the instance, or trace the port it listens on.",
  },
  "no-route": {
    message: "There is no route for the packet at this hop.",
    fix: "From outside, your instances are reached through their floating IPs; otherwise attach the subnet to a router with a gateway (an admin's change).",
  },
  "no-next-hop": {
    message: "Nothing on the network holds the next hop's address.",
    fix: "Give the next hop's address to a port on that network, or fix the route that names it (an admin's change).",
  },
  "probe-lost": {
    message:
      "The probe was not seen at this hop: the packet dies between the last hop that saw it and this one.",
    fix: "See the hop's rule and the diagnoses above.",
  },
  "port-not-bound": {
    message:
      "The port is not bound on any host: nothing is plugged in with its ID, so it is DOWN and no packet reaches it or leaves it.",
    fix: "Plug the VM or container into the host's integration bridge with the port's ID, as Nova does; an admin can see why it was not bound.",
  },
  "no-dhcp-lease": {
    message:
      "The instance cannot get its address by DHCP: DHCP is off on its subnet, its port is not bound, or the network's DHCP server does not serve it.",
    fix: "Enable DHCP on the subnet (`netlens subnet set --dhcp`); otherwise an admin can see which on the host.",
  },
  "metadata-unreachable": {
    message:
      "The metadata service cannot be reached from the instance: its network has no router and no metadata of its own, or the proxy that answers is not running.",
    fix: "Attach the subnet to a router, or enable DHCP on it; otherwise an admin repairs the host (`netlens drift repair --all`).",
  },
  "security-group-blocks": {
    message:
      "No rule of the port's security groups allows this packet: it is dropped where it leaves or reaches the port.",
    fix: "Ask an admin to add a rule for this protocol and port, from (or to) this address, to the port's security group (members read security groups, they do not change them); the admin's trace names the exact command.",
  },
  "port-security-spoof": {
    message:
      "The port sends from an address that is neither one of its fixed IPs nor an allowed address pair: port security drops it.",
    fix: "Send from the port's own address, or ask an admin to add the address as an allowed address pair of the port.",
  },
  "mtu-mismatch": {
    message: "A device on the path has an MTU other than its network's: full-size packets are dropped there.",
    fix: "An admin sets the device back to the network's MTU (the admin's trace names it), or sets the network's MTU.",
  },
  "tunnel-missing": {
    message:
      "The destination is on another host, and no tunnel joins the two hosts for this network: the packet cannot get there.",
    fix: "An admin repairs the tunnels between the hosts: the admin's trace names them.",
  },
  "host-down": {
    message: "The packet reaches a host whose agent does not answer: the trace cannot follow it there.",
    fix: "An admin brings the host's agent back: the admin's trace names the host.",
  },
  "ha-router-not-active": {
    message:
      "The router is highly available, but none of the nodes that run it is active: nothing answers for its addresses.",
    fix: "An admin brings back a node that runs the router: the admin's trace names the nodes.",
  },
};

function tenantDiagnosis(d: Diagnosis): Diagnosis {
  return { code: d.code, hop: d.hop, ...tenantDiagnoses[d.code] };
}

const probeDetails: Record<ProbeOutcome["result"], string> = {
  reply: "the destination answered",
  connected: "the destination accepted the connection",
  reset: "the destination refused the connection (reset)",
  unreachable: "an ICMP error came back",
  timeout: "nothing came back in time",
  sent: "sent; no answer is expected",
};

function tenantProbe(probe: ProbeOutcome): ProbeOutcome {
  return { result: probe.result, rtt_ms: probe.rtt_ms, detail: probeDetails[probe.result] };
}
