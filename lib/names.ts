// Names of what the agent makes on a host, and the rules every such name keeps. Shared so that the server can
// tell users where things live (`server show` -> namespace), the agent can recognise what is its own (prefix +
// kind + uuid), and every name that reaches a command line is held to one shape wherever it is validated.
import { z } from "zod";

export const namespaceNames = {
  router: (prefix: string, routerId: string) => `${prefix}qrouter-${routerId}`,
  instance: (prefix: string, portId: string) => `${prefix}qprobe-${portId}`,
  uplink: (prefix: string, networkId: string) => `${prefix}quplink-${networkId}`,
  dhcp: (prefix: string, networkId: string) => `${prefix}qdhcp-${networkId}`,
};

/** `vxlan-<the remote address in 8 hex digits>`, as Neutron names a tunnel port (at most 15 characters). */
export function tunnelPortName(remoteIp: string): string {
  return `vxlan-${remoteIp
    .split(".")
    .map((octet) => Number(octet).toString(16).padStart(2, "0"))
    .join("")}`;
}

/** The remote address a `vxlan-<8 hex>` port's name encodes (tunnelPortName's inverse); null: not one. */
export function remoteOfTunnelPort(name: string): string | null {
  const hex = /^vxlan-([0-9a-f]{8})$/.exec(name)?.[1];
  if (hex === undefined) return null;
  return [0, 2, 4, 6].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(".");
}

/** Linux interface names are at most 15 characters: a 3-letter kind and 11 characters of the port id. */
export const deviceNames = {
  routerInterface: (portId: string) => `qr-${portId.slice(0, 11)}`,
  routerGateway: (portId: string) => `qg-${portId.slice(0, 11)}`,
  /** An HA router's port on its project's HA network, over which keepalived speaks VRRP. */
  routerHa: (portId: string) => `ha-${portId.slice(0, 11)}`,
  /** The root-namespace end of a port's veth pair, plugged into br-int (Nova's tap naming). */
  tap: (portId: string) => `tap${portId.slice(0, 11)}`,
  /** The namespace end of a DHCP port's veth (Neutron's `ns-` name when it plugs with veths). */
  dhcpInside: (portId: string) => `ns-${portId.slice(0, 11)}`,
  /** The root-namespace end of a simulated uplink's veth pair, plugged into the physical bridge. */
  uplinkTap: (networkId: string) => `upl${networkId.slice(0, 11)}`,
  intPatch: (bridge: string) => `int-${bridge}`,
  phyPatch: (bridge: string) => `phy-${bridge}`,
};

/**
 * An HA router's primary VIP (Neutron's): the one address VRRP adverts carry, on the `ha-` device of the node
 * whose keepalived is MASTER; its other addresses follow it.
 */
export const haPrimaryVip = (vrId: number) => `169.254.0.${vrId}/24`;

const uuidPattern = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** A lowercase UUID, as every id of ours is written. */
export const UUID = new RegExp(`^${uuidPattern}$`);

export type NamespaceKind = "qrouter" | "qprobe" | "quplink" | "qdhcp";

/** Matches our namespaces only: `<prefix>(qrouter|qprobe|quplink|qdhcp)-<uuid>`; group 1 is the kind, group 2 the id. */
export function ownNamespacePattern(prefix: string): RegExp {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  return new RegExp(`^${escaped}(qrouter|qprobe|quplink|qdhcp)-(${uuidPattern})$`);
}

/** Bridge names become tap names in the root namespace and `int-`/`phy-` patch names: 15 - 4 = 11 characters. */
export const bridgeName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,10}$/, "Bridge name: 1-11 characters of A-Z a-z 0-9 _ -");

/**
 * A host's name as agents register it and users schedule with (`router create --host`): a DNS name of labels,
 * as Nova and Neutron take `binding:host_id`.
 */
export const hostName = z
  .string()
  .max(253, "Host name: at most 253 characters")
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
    "Host name: DNS labels of A-Z a-z 0-9 and -, separated by dots",
  );

/** What a host is for: compute hosts run instances and bound ports, network nodes routers and DHCP. */
export const hostRole = z.enum(["compute", "network"]);

/** Namespace prefix: lets a test run beside a live stack; "" for the live one. */
export const namespacePrefix = z
  .string()
  .regex(/^([A-Za-z0-9][A-Za-z0-9_-]{0,15})?$/, "Prefix: up to 16 characters of A-Z a-z 0-9 _ -");

/** A namespace of ours under any prefix; the agent checks that the prefix is its own. */
export const ownNamespaceName = z
  .string()
  .regex(
    new RegExp(`^[A-Za-z0-9_-]{0,16}q(?:router|probe|uplink|dhcp)-${uuidPattern}$`),
    "Invalid namespace name",
  );

/** A Linux interface name (at most 15 characters). */
export const interfaceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, "Invalid interface name");
