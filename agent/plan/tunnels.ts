// The tunnel bridge as Neutron's OVS agent lays it out with l2population, pure: a VXLAN port per other host that
// shares a network with this one (none towards the others), and br-tun's flows that translate the integration
// bridge's local VLANs to VNIs: unicast to a known remote MAC goes to that MAC's host only, broadcast and
// unknown unicast to the network's hosts only (its flood list), ARP for a known remote address is answered on
// br-tun, and what a tunnel brings in with a network's VNI enters br-int tagged with that network's local VLAN.
// Flows are written as `ovs-ofctl --names --no-stats dump-flows` prints them (after normalizeFlow).
//
//   table 0   from patch-int: to 2; from a VXLAN port: to 4; anything else dropped
//   table 2   ARP broadcasts to 21 (the ARP responder), unicast to 20, multicast and broadcast to 22
//   table 4   per VNI: push the network's local VLAN, out to patch-int
//   table 20  per network and remote MAC: strip the VLAN, set the VNI, out to that MAC's host; else to 22
//   table 21  per network and remote address: the ARP reply, back where the request came from; else to 22
//   table 22  per network: strip the VLAN, set the VNI, out to each of its hosts (the flood list)
import { tunnelPortName } from "../../lib/names";
import type { HostIntent, IntentTunnelNetwork } from "../contract/intent";
import { FLOW_COOKIE, loadNetwork } from "./ovs";
import type { DesiredFlows, DesiredTunnelPort } from "./pictures";

/** Neutron's names of the patch pair between the integration bridge and br-tun. */
export const TUNNEL_PATCH = { onTunnel: "patch-int", onIntegration: "patch-tun" } as const;

export const TUNNEL_TABLES = {
  patchLocal: 2,
  tunnelToLocal: 4,
  unicast: 20,
  arpResponder: 21,
  flood: 22,
} as const;

const T = TUNNEL_TABLES;

export type TunnelSettings = {
  integrationBridge: string;
  tunnelBridge: string;
  /** This host's tunnel endpoint (Neutron's local_ip). */
  localIp: string;
};

const hex = (value: number) => `0x${value.toString(16)}`;

const flow = (table: number, body: string) =>
  `cookie=${FLOW_COOKIE},${table === 0 ? "" : `table=${table},`}${body}`;

/** The address as one number, as `load:` prints an ARP field. */
const ipNumber = (ip: string) => ip.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);

/**
 * Why an intent's tunnels cannot be (the whole intent is refused, nothing applied): towards this host's own tunnel
 * address, or on a host without one. Null: they can.
 */
export function tunnelsRefusal(
  tunnels: readonly IntentTunnelNetwork[],
  localIp: string | null,
): string | null {
  for (const network of tunnels) {
    const remotes = [...network.remote_ips, ...network.remote_ports.map((p) => p.remote_ip)];
    if (remotes.length === 0) continue;
    if (localIp === null)
      return `Network ${network.network_id} has tunnels but this host has no tunnel endpoint (--local-ip)`;
    if (remotes.includes(localIp))
      return `Network ${network.network_id}: remote IP ${localIp} is this host's own tunnel endpoint (local_ip)`;
  }
  return null;
}

export type TunnelPlan = {
  ports: DesiredTunnelPort[];
  /** br-tun's flows, and the integration bridge's for what comes in from patch-tun. */
  tunnelFlows: DesiredFlows;
  integrationFlows: string[];
};

/**
 * The tunnel bridge for the intent's tunnel networks that have a port on this host (a local VLAN): a network
 * without one here needs no tunnel (l2population). A remote port whose host is not in its network's remote
 * IPs is still reached: its host joins the network's flood list.
 */
export function planTunnels(
  intent: HostIntent,
  settings: TunnelSettings,
  localVlans: ReadonlyMap<string, number>,
): TunnelPlan {
  const tunnelFlows: string[] = [
    flow(0, `priority=1,in_port=${TUNNEL_PATCH.onTunnel} actions=resubmit(,${T.patchLocal})`),
    flow(0, "priority=0 actions=drop"),
    flow(T.patchLocal, `priority=1,arp,dl_dst=ff:ff:ff:ff:ff:ff actions=resubmit(,${T.arpResponder})`),
    flow(
      T.patchLocal,
      `priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00 actions=resubmit(,${T.unicast})`,
    ),
    flow(T.patchLocal, `priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=resubmit(,${T.flood})`),
    flow(T.tunnelToLocal, "priority=0 actions=drop"),
    flow(T.unicast, `priority=0 actions=resubmit(,${T.flood})`),
    flow(T.arpResponder, `priority=0 actions=resubmit(,${T.flood})`),
    flow(T.flood, "priority=0 actions=drop"),
  ];
  const patch = TUNNEL_PATCH.onIntegration;
  const integrationFlows = [flow(0, `priority=2,in_port=${patch} actions=drop`)];
  const remotes = new Set<string>();
  for (const network of intent.tunnels ?? []) {
    const local = localVlans.get(network.network_id);
    if (local === undefined) continue;
    const vni = hex(network.segmentation_id);
    const toTunnel = `strip_vlan,load:${vni}->NXM_NX_TUN_ID[]`;
    const hosts = [
      ...new Set([...network.remote_ips, ...network.remote_ports.map((p) => p.remote_ip)]),
    ].sort();
    if (hosts.length === 0) continue;
    for (const host of hosts) remotes.add(host);
    tunnelFlows.push(
      flow(
        T.tunnelToLocal,
        `priority=1,tun_id=${vni} actions=mod_vlan_vid:${local},output:${TUNNEL_PATCH.onTunnel}`,
      ),
      flow(
        T.flood,
        `priority=1,dl_vlan=${local} actions=${toTunnel},${hosts.map((h) => `output:${tunnelPortName(h)}`).join(",")}`,
      ),
    );
    for (const port of network.remote_ports) {
      const mac = port.mac_address.toLowerCase();
      tunnelFlows.push(
        flow(
          T.unicast,
          `priority=2,dl_vlan=${local},dl_dst=${mac} actions=${toTunnel},output:${tunnelPortName(port.remote_ip)}`,
        ),
        flow(
          T.arpResponder,
          `priority=1,arp,dl_vlan=${local},arp_tpa=${port.ip_address} actions=${arpReply(mac, port.ip_address)}`,
        ),
      );
    }
    // What a tunnel brings in carries the network's local VLAN: it passes the firewall's ingress, as from a
    // physical bridge.
    integrationFlows.push(
      flow(0, `priority=3,in_port=${patch},dl_vlan=${local} actions=${loadNetwork(local)},resubmit(,60)`),
    );
  }
  const ports = [...remotes].sort().map((remoteIp) => ({
    name: tunnelPortName(remoteIp),
    bridge: settings.tunnelBridge,
    options: {
      remote_ip: remoteIp,
      local_ip: settings.localIp,
      in_key: "flow",
      out_key: "flow",
      dst_port: "4789",
    },
  }));
  for (const port of ports)
    tunnelFlows.push(flow(0, `priority=1,in_port=${port.name} actions=resubmit(,${T.tunnelToLocal})`));
  return {
    ports,
    tunnelFlows: { bridge: settings.tunnelBridge, flows: [...new Set(tunnelFlows)].sort() },
    integrationFlows,
  };
}

/** Neutron's ARP responder: the request turned into the reply for `ip` at `mac`, sent back where it came from. */
function arpReply(mac: string, ip: string): string {
  return [
    "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]",
    `mod_dl_src:${mac}`,
    "load:0x2->NXM_OF_ARP_OP[]",
    "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]",
    "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[]",
    `load:${hex(Number.parseInt(mac.replaceAll(":", ""), 16))}->NXM_NX_ARP_SHA[]`,
    `load:${hex(ipNumber(ip))}->NXM_OF_ARP_SPA[]`,
    "IN_PORT",
  ].join(",");
}
