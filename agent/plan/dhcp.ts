// A network's DHCP server as Neutron's DHCP agent lays it out: namespace `qdhcp-<network id>` holding the
// network's DHCP port (a veth: `tap<port id[:11]>` on the integration bridge with the network's local VLAN,
// `ns-<port id[:11]>` inside with the port's addresses), and dnsmasq bound to it, fed a hosts file, an addn-hosts
// file and an options file rendered here. Pure: the files and the command line are values, compared with what
// the host holds to decide between nothing, a reload (SIGHUP: the files changed) and a restart (the command line
// changed).
import { cidrBounds, ipv4SortKey, netmaskOf, parseCidr } from "../../lib/ip";
import { deviceNames, namespaceNames } from "../../lib/names";
import { METADATA_ADDRESS } from "../../lib/router-nat";
import type { IntentDhcp, IntentDhcpSubnet } from "../contract/intent";
import type { Action } from "./actions";
import { sortAddresses } from "./addresses";
import { localVlanOf, networkOf, type PlanContext, portExternalIds } from "./context";
import { type MetadataSettings, metadataProxy } from "./metadata-proxy";
import type { DesiredNamespace, DesiredOvsPort } from "./pictures";

/** Neutron's dhcp_domain: hostnames are `host-a-b-c-d.openstacklocal`. */
export const DHCP_DOMAIN = "openstacklocal";

/** Where one network's dnsmasq keeps its files, under the agent's DHCP directory (Neutron's dhcp_confs). */
export function dhcpPaths(dhcpDir: string, networkId: string) {
  const dir = `${dhcpDir}/${networkId}`;
  return {
    dir,
    pid: `${dir}/pid`,
    host: `${dir}/host`,
    addnHosts: `${dir}/addn_hosts`,
    opts: `${dir}/opts`,
    log: `${dir}/log`,
  };
}
export type DhcpPaths = ReturnType<typeof dhcpPaths>;

/** dnsmasq's tag for a subnet (Neutron's `subnet-<id>`): its range and its options carry it. */
const subnetTag = (subnet: IntentDhcpSubnet) => `subnet-${subnet.id}`;

const byAddress = <T extends { ip_address: string }>(list: readonly T[]) =>
  [...list].sort((a, b) => ipv4SortKey(a.ip_address) - ipv4SortKey(b.ip_address));

/** `--dhcp-hostsfile`: one `mac,fqdn,ip` per fixed IP, as Neutron writes it; re-read on SIGHUP. */
export function renderHosts(dhcp: IntentDhcp): string {
  return byAddress(dhcp.hosts)
    .map((h) => `${h.mac_address},${h.hostname}.${DHCP_DOMAIN},${h.ip_address}\n`)
    .join("");
}

/** `--addn-hosts`: the same names for dnsmasq's DNS answers; re-read on SIGHUP. */
export function renderAddnHosts(dhcp: IntentDhcp): string {
  return byAddress(dhcp.hosts)
    .map((h) => `${h.ip_address}\t${h.hostname}.${DHCP_DOMAIN} ${h.hostname}\n`)
    .join("");
}

/**
 * `--dhcp-optsfile`, per subnet: the router (option 3; empty when the subnet has no gateway, so that dnsmasq
 * sends none rather than its own address), DNS servers (6), the MTU (26), and with host routes the classless
 * static routes (121, and 249 for Windows) with the default route via the gateway among them, as Neutron does:
 * a client that gets option 121 ignores option 3 (RFC 3442).
 */
export function renderOpts(dhcp: IntentDhcp): string {
  const lines: string[] = [];
  for (const subnet of dhcp.subnets) {
    const tag = `tag:${subnetTag(subnet)}`;
    if (subnet.dns_nameservers.length > 0)
      lines.push(`${tag},option:dns-server,${subnet.dns_nameservers.join(",")}`);
    if (subnet.host_routes.length > 0) {
      const routes = subnet.host_routes.map((r) => `${r.destination},${r.nexthop}`);
      if (subnet.gateway_ip !== null) routes.push(`0.0.0.0/0,${subnet.gateway_ip}`);
      lines.push(`${tag},option:classless-static-route,${routes.join(",")}`);
      lines.push(`${tag},249,${routes.join(",")}`);
    }
    lines.push(`${tag},option:mtu,${dhcp.mtu}`);
    lines.push(
      subnet.gateway_ip === null ? `${tag},option:router` : `${tag},option:router,${subnet.gateway_ip}`,
    );
  }
  return lines.map((line) => `${line}\n`).join("");
}

/**
 * dnsmasq's command line, as the DHCP agent builds it: no /etc/hosts or resolv.conf, static leases only (one
 * `--dhcp-range=set:subnet-<id>,<network>,static,<netmask>,<lease>s` per subnet, so only hosts in the hosts file
 * get an address), no lease file (the hosts file is the truth), bound to the DHCP port's device only, its own
 * log file (each exchange in a few lines: DHCPDISCOVER ... DHCPACK), and no configuration file of the host's.
 */
export function dnsmasqArgs(dhcp: IntentDhcp, paths: DhcpPaths, device: string): string[] {
  let leases = 0;
  const ranges = dhcp.subnets.map((subnet) => {
    const { network, prefixlen } = parseCidr(subnet.cidr, false);
    const { first, last } = cidrBounds(subnet.cidr);
    leases += last - first + 1;
    return `--dhcp-range=set:${subnetTag(subnet)},${network},static,${netmaskOf(prefixlen)},${dhcp.lease_duration}s`;
  });
  return [
    "--no-hosts",
    "--no-resolv",
    `--pid-file=${paths.pid}`,
    `--dhcp-hostsfile=${paths.host}`,
    `--addn-hosts=${paths.addnHosts}`,
    `--dhcp-optsfile=${paths.opts}`,
    "--leasefile-ro",
    `--interface=${device}`,
    "--bind-interfaces",
    "--except-interface=lo",
    ...ranges,
    `--dhcp-lease-max=${leases}`,
    "--conf-file=/dev/null",
    `--domain=${DHCP_DOMAIN}`,
    `--log-facility=${paths.log}`,
  ];
}

export function planDhcp(
  dhcp: IntentDhcp,
  ctx: PlanContext & { dhcpDir: string },
  metadata: MetadataSettings,
): { namespace: DesiredNamespace; ports: DesiredOvsPort[] } {
  const network = networkOf(ctx, dhcp.network_id);
  const ns = namespaceNames.dhcp(ctx.prefix, dhcp.network_id);
  const peer = deviceNames.tap(dhcp.port_id);
  const device = deviceNames.dhcpInside(dhcp.port_id);
  const served = new Map(dhcp.subnets.map((s) => [s.id, s]));
  for (const a of dhcp.addresses) {
    if (!served.has(a.subnet_id)) throw new Error(`DHCP port address ${a.ip_address} is on no subnet served`);
  }
  const paths = dhcpPaths(ctx.dhcpDir, dhcp.network_id);
  const gateway = dhcp.subnets.find(
    (s) => s.gateway_ip !== null && dhcp.addresses.some((a) => a.subnet_id === s.id),
  )?.gateway_ip;
  return {
    namespace: {
      name: ns,
      kind: "dhcp",
      resourceId: dhcp.network_id,
      devices: [
        {
          name: device,
          peer,
          mac: dhcp.mac_address,
          mtu: network.mtu,
          addresses: sortAddresses([
            ...dhcp.addresses.map((a) => `${a.ip_address}/${a.prefixlen}`),
            // An isolated network's metadata service is this namespace's (Neutron's enable_isolated_metadata).
            ...(dhcp.metadata === true ? [`${METADATA_ADDRESS}/32`] : []),
          ]),
          announce: false,
        },
      ],
      // As the DHCP agent sets it: a default route via the first subnet's gateway, for dnsmasq's own traffic.
      routes: gateway ? [{ destination: "default", via: gateway }] : [],
      forwarding: false,
      nat: null,
      daemons: [
        {
          program: "dnsmasq",
          dir: paths.dir,
          pidFile: paths.pid,
          args: dnsmasqArgs(dhcp, paths, device),
          files: {
            [paths.host]: renderHosts(dhcp),
            [paths.addnHosts]: renderAddnHosts(dhcp),
            [paths.opts]: renderOpts(dhcp),
          },
          restartOnRemoval: paths.host,
        },
        ...(dhcp.metadata === true
          ? [metadataProxy({ kind: "network", id: dhcp.network_id }, metadata)]
          : []),
      ],
    },
    ports: [
      {
        name: peer,
        bridge: ctx.integrationBridge,
        tag: localVlanOf(ctx, dhcp.network_id),
        externalIds: portExternalIds(ctx, {
          portId: dhcp.port_id,
          mac: dhcp.mac_address,
          networkId: dhcp.network_id,
          namespace: ns,
        }),
        resourceId: dhcp.network_id,
      },
    ],
  };
}

/**
 * A device configured by DHCP: the addresses and routes it lacks are asked of the DHCP server (one lease)
 * instead of being added; what it has too much is still removed.
 */
export function leaseInstead(actions: Action[], dev: string): Action[] {
  const asked = actions.filter((a) => a.kind === "addr-add" || a.kind === "route-set");
  const first = asked[0];
  if (first === undefined) return actions;
  const rest = actions.filter((a) => a.kind !== "addr-add" && a.kind !== "route-set");
  return [...rest, { kind: "dhcp-lease", ns: first.ns, dev, resource: first.resource }];
}
