// keepalived for an HA router, as Neutron's L3 agent runs it (neutron/agent/linux/keepalived.py): one
// keepalived.conf per router in `<state dir>/ha/<router id>/`, one VRRP instance on the router's `ha-` device.
// The only address VRRP adverts carry is the primary VIP, 169.254.0.<vr_id>/24 on `ha-`; the router's own
// addresses (qr-, the gateway's, the floating IPs) are `virtual_ipaddress_excluded` and its routes
// `virtual_routes`: keepalived adds them (with gratuitous ARPs) on the node that becomes MASTER and removes them on
// the others. Pure: the configuration text and the daemon.
import { deviceNames, haPrimaryVip } from "../../lib/names";
import type { IntentRouterHa } from "../contract/intent";
import type { Address, DesiredDaemon, DesiredDevice, DesiredRoute } from "./pictures";

/**
 * The advert interval (s) when the intent gives none. Neutron's ha_vrrp_advert_int (2 s) cannot meet a failover
 * under 3 s: a BACKUP takes over after RFC 5798's Master_Down_Interval, 3 intervals and the skew
 * ((256 - priority) / 256 of one), 7.6 s at 2 s. At 0.5 s that is 1.9 s, and the MASTER may fall silent for
 * 1.4 s (an advert late by almost three intervals) before a BACKUP takes over: far beyond what a loaded 2-core
 * host delays a sleeping process. VRRPv3 counts in hundredths; Debian's keepalived 2.2.7 was seen to hold 0.5 s.
 */
export const DEFAULT_ADVERT_INT = 0.5;
/** Neutron's: the priority every node of a router gets (nopreempt: none is preferred). */
export const DEFAULT_PRIORITY = 50;

/** A second round of gratuitous ARPs this long after becoming MASTER (Neutron's garp_master_delay). */
const GARP_MASTER_DELAY = 60;

export function keepalivedPaths(haDir: string, routerId: string) {
  const dir = `${haDir}/${routerId}`;
  return { dir, config: `${dir}/keepalived.conf`, pid: `${dir}/keepalived.pid`, vrrpPid: `${dir}/vrrp.pid` };
}

/** What keepalived holds on the MASTER: addresses with their device, routes (with the gateway's device). */
export type KeepalivedVips = {
  haDevice: string;
  addresses: { address: Address; dev: string }[];
  routes: DesiredRoute[];
  /** The device of the default route (the gateway's qg-); null: no gateway. */
  gatewayDevice: string | null;
};

export function renderKeepalivedConfig(ha: IntentRouterHa, vips: KeepalivedVips): string {
  const dev = vips.haDevice;
  const excluded = vips.addresses.map((a) => `        ${a.address} dev ${a.dev}`);
  const routes = vips.routes.map((r) =>
    r.destination === "default"
      ? `        0.0.0.0/0 via ${r.via}${vips.gatewayDevice === null ? "" : ` dev ${vips.gatewayDevice}`}`
      : `        ${r.destination} via ${r.via}`,
  );
  const block = (name: string, lines: string[]) =>
    lines.length === 0 ? [] : [`    ${name} {`, ...lines, "    }"];
  return [
    "global_defs {",
    "    notification_email_from netlens@openstack.local",
    "    router_id netlens",
    // VRRPv3: adverts in hundredths of a second (v2 counts whole seconds).
    "    vrrp_version 3",
    "}",
    `vrrp_instance VR_${ha.vr_id} {`,
    // Every node starts BACKUP and none takes the router back once another holds it (Neutron's choice: a
    // failover is the only move).
    "    state BACKUP",
    `    interface ${dev}`,
    `    virtual_router_id ${ha.vr_id}`,
    `    priority ${ha.priority ?? DEFAULT_PRIORITY}`,
    `    garp_master_delay ${GARP_MASTER_DELAY}`,
    "    nopreempt",
    `    advert_int ${ha.advert_int ?? DEFAULT_ADVERT_INT}`,
    "    track_interface {",
    `        ${dev}`,
    "    }",
    "    virtual_ipaddress {",
    `        ${haPrimaryVip(ha.vr_id)} dev ${dev}`,
    "    }",
    ...block("virtual_ipaddress_excluded", excluded),
    ...block("virtual_routes", routes),
    "}",
    "",
  ].join("\n");
}

/**
 * keepalived as a daemon of the router's namespace: VRRP only (`-P`), its own pid files (several run on one
 * host, one per HA router). SIGHUP re-reads the configuration and keeps the state (a new floating IP on the
 * MASTER is added without a failover).
 */
export function keepalivedDaemon(
  haDir: string,
  routerId: string,
  ha: IntentRouterHa,
  vips: KeepalivedVips,
): DesiredDaemon {
  const paths = keepalivedPaths(haDir, routerId);
  return {
    program: "keepalived",
    dir: paths.dir,
    pidFile: paths.pid,
    args: ["-P", "-f", paths.config, "-p", paths.pid, "-r", paths.vrrpPid],
    files: { [paths.config]: renderKeepalivedConfig(ha, vips) },
  };
}

/**
 * An HA router's split: every address planned on its devices and every route become keepalived's (VIPs on the
 * MASTER, announced by keepalived's gratuitous ARPs); the devices keep none the agent would set, add or remove.
 */
export function handToKeepalived(
  devices: readonly DesiredDevice[],
  routes: readonly DesiredRoute[],
  haDevice: string,
  gatewayDevice: string | null,
): { devices: DesiredDevice[]; vips: KeepalivedVips } {
  return {
    devices: devices.map((d) => ({ ...d, addresses: [], vips: d.addresses, announce: false })),
    vips: {
      haDevice,
      addresses: devices.flatMap((d) => d.addresses.map((address) => ({ address, dev: d.name }))),
      routes: [...routes],
      gatewayDevice,
    },
  };
}

/** The `ha-` device of this node's HA port. */
export const haDeviceOf = (ha: IntentRouterHa) => deviceNames.routerHa(ha.ha_port.port_id);
