// Network MTUs as Neutron derives and bounds them: `global_physnet_mtu` and `physical_network_mtus` give each
// physical network's MTU; a flat or vlan network takes its physical network's, a vxlan network the global one less
// the VXLAN overhead, a local network the global one. A network's MTU may be set lower, never below IPv4's minimum.
import type { NetworkType } from "../../lib/schemas/network";
import { badRequest } from "./errors";

/** IPv4's minimum link MTU (RFC 791): every host must accept a 68-byte datagram unfragmented. */
export const MIN_MTU = 68;
/** The largest MTU a device of ours is given (the agent's contract refuses more). */
export const MAX_MTU = 9000;
/** An outer Ethernet, IPv4, UDP and VXLAN header (Neutron's overhead for VXLAN over IPv4). */
export const VXLAN_OVERHEAD = 50;

export type MtuSettings = {
  /** Neutron's `global_physnet_mtu`: the underlying physical network's MTU (default 1500). */
  globalPhysnetMtu: number;
  /** Neutron's `physical_network_mtus`: physical networks whose MTU differs from the global one. */
  physicalNetworkMtus: Readonly<Record<string, number>>;
};

export const defaultMtuSettings: MtuSettings = { globalPhysnetMtu: 1500, physicalNetworkMtus: {} };

/**
 * A physical network's MTU. As Neutron's flat and vlan type drivers, a listed MTU above the global one is
 * capped to it: the global MTU is the underlay's, which every physical network crosses.
 */
export function physnetMtu(settings: MtuSettings, physnet: string): number {
  const listed = settings.physicalNetworkMtus[physnet];
  return listed === undefined ? settings.globalPhysnetMtu : Math.min(listed, settings.globalPhysnetMtu);
}

/** The largest MTU a network of this type (on this physical network) can carry: its MTU when none is asked. */
export function maxMtu(settings: MtuSettings, type: NetworkType, physnet: string | null): number {
  switch (type) {
    case "flat":
    case "vlan":
      return physnet === null ? settings.globalPhysnetMtu : physnetMtu(settings, physnet);
    case "vxlan":
      return settings.globalPhysnetMtu - VXLAN_OVERHEAD;
    case "local":
      return settings.globalPhysnetMtu;
  }
}

/** An MTU asked for a network, within its bounds; refused with Neutron's wording otherwise. */
export function checkMtu(requested: number, max: number): number {
  if (requested < MIN_MTU) {
    throw badRequest(`Requested MTU is too small, minimum is ${MIN_MTU}`, "InvalidInput");
  }
  if (requested > max) throw badRequest(`Requested MTU is too big, maximum is ${max}`, "InvalidInput");
  return requested;
}

/**
 * `physnet1:1500,physnet2:9000` (Neutron's `physical_network_mtus` list) -> by physical network. Throws a
 * readable error for a malformed entry, a repeated physical network or an MTU out of bounds.
 */
export function parsePhysnetMtus(list: string, validName: (name: string) => boolean): Record<string, number> {
  const result: Record<string, number> = {};
  for (const raw of list.split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const match = /^([^:]+):(\d+)$/.exec(entry);
    const [, physnet, mtu] = match ?? [];
    if (physnet === undefined || mtu === undefined || !validName(physnet)) {
      throw new Error(`"${entry}" is not PHYSNET:MTU (a physical network name, a colon, a number)`);
    }
    if (physnet in result) throw new Error(`physical network ${physnet} is listed twice`);
    const value = Number(mtu);
    if (value < MIN_MTU || value > MAX_MTU) {
      throw new Error(`the MTU of ${physnet} must be ${MIN_MTU} to ${MAX_MTU}, not ${value}`);
    }
    result[physnet] = value;
  }
  return result;
}
