// The nat table of a router namespace, laid out as Neutron's L3 agent lays it out, in chains of the agent's own
// prefix: the one home of these rule texts. The agent renders what it applies from it; drift and the trace on
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

/** What of a router its nat table depends on (the intent's router has these fields, and more). */
export type NatRouter = {
  gateway: { port_id: string; ip_address: string; enable_snat: boolean } | null;
  floating_ips: readonly { floating_ip_address: string; fixed_ip_address: string }[];
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
};

export function chainNames(prefix: string): ChainNames {
  return {
    prerouting: `${prefix}-PREROUTING`,
    output: `${prefix}-OUTPUT`,
    postrouting: `${prefix}-POSTROUTING`,
    snat: `${prefix}-snat`,
    floatSnat: `${prefix}-float-snat`,
  };
}

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
  }
  const jumps = [
    `-A PREROUTING -j ${c.prerouting}`,
    `-A OUTPUT -j ${c.output}`,
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
  }
  const chains: NatChain[] = [
    { name: c.output, rules: output },
    { name: c.postrouting, rules: own.postrouting },
    { name: c.prerouting, rules: prerouting },
    { name: c.floatSnat, rules: floatSnat },
    { name: c.snat, rules: own.snat },
  ];
  // iptables-save lists chains in byte order; keeping that order makes the rendered text equal to its output.
  chains.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { chains, jumps: own.jumps };
}
