// The nat table of a router namespace (and the mangle mark its hairpin SNAT needs), laid out as Neutron's L3
// agent lays them out, in chains of the agent's own prefix: the one home of these rule texts. The agent renders what it applies from it; drift and the trace on
// the server check the host's rules against the very same texts. Rules are written exactly as `iptables-save`
// prints them, so that desired and observed compare as strings.
import { ipv4SortKey } from "./ip";
import { deviceNames } from "./names";

export type NatChain = { name: string; rules: string[] };

/** The nat table of one router namespace, restricted to what we own: our chains and the jumps into them. */
export type NatTable = {
  chains: NatChain[];
  /** Rules of built-in chains that jump into ours, in order, e.g. "-A PREROUTING -j netlens-PREROUTING". */
  jumps: string[];
};

/** A port forwarding as the router's NAT needs it: a range is start and end, a single port both equal. */
export type NatPortForwarding = {
  floatingip_id: string;
  floating_ip_address: string;
  protocol: "tcp" | "udp";
  internal_ip_address: string;
  internal_port_start: number;
  internal_port_end: number;
  external_port_start: number;
  external_port_end: number;
};

/** What of a router its nat table depends on (the intent's router has these fields, and more). */
export type NatRouter = {
  gateway: { port_id: string; ip_address: string; enable_snat: boolean } | null;
  floating_ips: readonly { id: string; floating_ip_address: string; fixed_ip_address: string }[];
  port_forwardings: readonly NatPortForwarding[];
  interfaces: readonly unknown[];
};

/** The metadata service's address, and the port of the proxy in the router's namespace. */
export const METADATA_ADDRESS = "169.254.169.254";
export const METADATA_PROXY_PORT = 9697;

export type ChainNames = {
  prerouting: string;
  output: string;
  postrouting: string;
  snat: string;
  floatSnat: string;
  fipPf: string;
};

export function chainNames(prefix: string): ChainNames {
  return {
    prerouting: `${prefix}-PREROUTING`,
    output: `${prefix}-OUTPUT`,
    postrouting: `${prefix}-POSTROUTING`,
    snat: `${prefix}-snat`,
    floatSnat: `${prefix}-float-snat`,
    fipPf: `${prefix}-fip-pf`,
  };
}

/** The mangle chain that marks what enters from outside (Neutron's `mark`), jumped from PREROUTING. */
export const markChain = (prefix: string) => `${prefix}-mark`;

/** Neutron's external_ingress_mark and ROUTER_MARK_MASK. */
const EXTERNAL_INGRESS_MARK = "0x2/0xffff";

/** The three rules of a floating IP: DNAT from outside, DNAT for the router's own traffic, SNAT on the way out. */
export function floatingIpRules(prefix: string, floating: string, fixed: string) {
  const c = chainNames(prefix);
  return {
    prerouting: `-A ${c.prerouting} -d ${floating}/32 -j DNAT --to-destination ${fixed}`,
    output: `-A ${c.output} -d ${floating}/32 -j DNAT --to-destination ${fixed}`,
    floatSnat: `-A ${c.floatSnat} -s ${fixed}/32 -j SNAT --to-source ${floating}`,
  };
}

/** The gateway's SNAT rule (when enable_snat): what a router's instances without a floating IP leave by. */
export function gatewaySnatRule(prefix: string, gateway: NonNullable<NatRouter["gateway"]>): string {
  const qg = deviceNames.routerGateway(gateway.port_id);
  return `-A ${chainNames(prefix).snat} -o ${qg} -j SNAT --to-source ${gateway.ip_address}`;
}

/**
 * Hairpin: an instance reaching another's floating IP through the same router is DNATed back inside; unless it
 * came from outside (marked on qg), its source becomes the gateway's, so that the answer returns through the
 * router to be un-DNATed rather than straight to the instance, which would drop it.
 */
export function hairpinSnatRule(prefix: string, gateway: NonNullable<NatRouter["gateway"]>): string {
  return `-A ${chainNames(prefix).snat} -m mark ! --mark ${EXTERNAL_INGRESS_MARK} -m conntrack --ctstate DNAT -j SNAT --to-source ${gateway.ip_address}`;
}

/** The mangle rule that marks packets entering from the gateway port, which the hairpin SNAT leaves alone. */
export function externalMarkRule(prefix: string, gateway: NonNullable<NatRouter["gateway"]>): string {
  const qg = deviceNames.routerGateway(gateway.port_id);
  return `-A ${markChain(prefix)} -i ${qg} -j MARK --set-xmark ${EXTERNAL_INGRESS_MARK}`;
}

/** `--dport` and `--to-destination` take a range as `A:B` and `IP:A-B`. */
const span = (start: number, end: number, sep: string) =>
  start === end ? `${start}` : `${start}${sep}${end}`;

/** The DNAT rule of one port forwarding, as Neutron's L3 agent writes it in its fip-pf chain. */
export function portForwardingRule(prefix: string, pf: NatPortForwarding): string {
  const p = pf.protocol;
  const dport = span(pf.external_port_start, pf.external_port_end, ":");
  const to = `${pf.internal_ip_address}:${span(pf.internal_port_start, pf.internal_port_end, "-")}`;
  return `-A ${chainNames(prefix).fipPf} -d ${pf.floating_ip_address}/32 -p ${p} -m ${p} --dport ${dport} -j DNAT --to-destination ${to}`;
}

/** The addresses qg holds as /32 beside the gateway's: floating IPs associated with a port or forwarding ports. */
export function floatingAddresses(router: Pick<NatRouter, "floating_ips" | "port_forwardings">): string[] {
  return [
    ...new Set([
      ...router.floating_ips.map((fip) => fip.floating_ip_address),
      ...router.port_forwardings.map((pf) => pf.floating_ip_address),
    ]),
  ];
}

/**
 * Each floating IP a router carries (associated with a port, or forwarding ports), with its address and the
 * nat rules that are its own: what the plan puts on qg, and what drift and the trace look for.
 */
export function routerFloatingIps(
  router: NatRouter,
  prefix: string,
): { id: string; address: string; rules: string[] }[] {
  if (router.gateway === null) return [];
  const found = new Map<string, { id: string; address: string; rules: string[] }>();
  for (const fip of router.floating_ips)
    found.set(fip.id, {
      id: fip.id,
      address: fip.floating_ip_address,
      rules: Object.values(floatingIpRules(prefix, fip.floating_ip_address, fip.fixed_ip_address)),
    });
  for (const pf of router.port_forwardings) {
    const fip = found.get(pf.floatingip_id) ?? {
      id: pf.floatingip_id,
      address: pf.floating_ip_address,
      rules: [],
    };
    fip.rules.push(portForwardingRule(prefix, pf));
    found.set(pf.floatingip_id, fip);
  }
  return [...found.values()];
}

/**
 * Instances behind the router reach the metadata service at 169.254.169.254:80, redirected to the router's
 * metadata proxy (as Neutron's L3 agent does), once the router has interfaces to serve.
 */
export function metadataRedirectRule(prefix: string): string {
  return `-A ${chainNames(prefix).prerouting} -d ${METADATA_ADDRESS}/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports ${METADATA_PROXY_PORT}`;
}

/** The rules that belong to the router itself rather than to one of its floating IPs, by chain. */
function routerOwnChains(router: NatRouter, prefix: string) {
  const c = chainNames(prefix);
  const prerouting = router.interfaces.length > 0 ? [metadataRedirectRule(prefix)] : [];
  const postrouting: string[] = [];
  const snat: string[] = [];
  const gateway = router.gateway;
  if (gateway !== null) {
    const qg = deviceNames.routerGateway(gateway.port_id);
    // Traffic between the router's own subnets is routed, not translated (unless it was DNATed on the way in).
    postrouting.push(`-A ${c.postrouting} ! -i ${qg} ! -o ${qg} -m conntrack ! --ctstate DNAT -j ACCEPT`);
    // A floating IP's own SNAT must win over the gateway SNAT: float-snat comes first.
    snat.push(`-A ${c.snat} -j ${c.floatSnat}`);
    if (gateway.enable_snat) snat.push(gatewaySnatRule(prefix, gateway));
    // Neutron adds it with or without enable_snat: it serves floating IPs, not the gateway's SNAT.
    snat.push(hairpinSnatRule(prefix, gateway));
  }
  const jumps = [
    `-A PREROUTING -j ${c.prerouting}`,
    `-A PREROUTING -j ${c.fipPf}`,
    `-A OUTPUT -j ${c.output}`,
    `-A OUTPUT -j ${c.fipPf}`,
    `-A POSTROUTING -j ${c.postrouting}`,
    `-A POSTROUTING -j ${c.snat}`,
  ];
  return { prerouting, postrouting, snat, jumps };
}

/** Every rule of the table that is the router's own (jumps included), not one of its floating IPs'. */
export function routerOwnRules(router: NatRouter, prefix: string): string[] {
  const own = routerOwnChains(router, prefix);
  return [...own.jumps, ...own.prerouting, ...own.postrouting, ...own.snat];
}

export function renderRouterNat(router: NatRouter, prefix: string): NatTable {
  const c = chainNames(prefix);
  const own = routerOwnChains(router, prefix);
  const prerouting = [...own.prerouting];
  const output: string[] = [];
  const floatSnat: string[] = [];
  const fipPf: string[] = [];
  if (router.gateway !== null) {
    // Sorted by address so that the text (and thus the diff) does not depend on the intent's order.
    const fips = router.floating_ips
      .map((fip) => ({ fip, key: ipv4SortKey(fip.floating_ip_address) }))
      .sort((a, b) => a.key - b.key);
    for (const { fip } of fips) {
      const rules = floatingIpRules(prefix, fip.floating_ip_address, fip.fixed_ip_address);
      prerouting.push(rules.prerouting);
      output.push(rules.output);
      floatSnat.push(rules.floatSnat);
    }
    // By address, then protocol and port: the text does not depend on the order forwardings were made in.
    const forwardings = [...router.port_forwardings].sort(
      (a, b) =>
        ipv4SortKey(a.floating_ip_address) - ipv4SortKey(b.floating_ip_address) ||
        a.protocol.localeCompare(b.protocol) ||
        a.external_port_start - b.external_port_start,
    );
    for (const pf of forwardings) fipPf.push(portForwardingRule(prefix, pf));
  }
  const chains: NatChain[] = [
    { name: c.output, rules: output },
    { name: c.postrouting, rules: own.postrouting },
    { name: c.prerouting, rules: prerouting },
    { name: c.floatSnat, rules: floatSnat },
    { name: c.fipPf, rules: fipPf },
    { name: c.snat, rules: own.snat },
  ];
  // iptables-save lists chains in byte order; keeping that order makes the rendered text equal to its output.
  chains.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { chains, jumps: own.jumps };
}

/** The mangle table of a router namespace: the mark on what enters from outside, once it has a gateway. */
export function renderRouterMangle(router: NatRouter, prefix: string): NatTable {
  const chain = markChain(prefix);
  return {
    chains: [
      { name: chain, rules: router.gateway === null ? [] : [externalMarkRule(prefix, router.gateway)] },
    ],
    jumps: [`-A PREROUTING -j ${chain}`],
  };
}
