// Names of what the agent makes on a host. Shared so that the server can tell users where things live
// (`server show` → namespace) and the agent can recognise what is its own (prefix + kind + uuid).

export const namespaceNames = {
  router: (prefix: string, routerId: string) => `${prefix}qrouter-${routerId}`,
  instance: (prefix: string, portId: string) => `${prefix}qprobe-${portId}`,
  uplink: (prefix: string, networkId: string) => `${prefix}quplink-${networkId}`,
};

/** Linux interface names are at most 15 characters: a 3-letter kind and 11 characters of the port id. */
export const deviceNames = {
  routerInterface: (portId: string) => `qr-${portId.slice(0, 11)}`,
  routerGateway: (portId: string) => `qg-${portId.slice(0, 11)}`,
  /** The root-namespace end of a port's veth pair, plugged into br-int (Nova's tap naming). */
  tap: (portId: string) => `tap${portId.slice(0, 11)}`,
  /** The root-namespace end of a simulated uplink's veth pair, plugged into the physical bridge. */
  uplinkTap: (networkId: string) => `upl${networkId.slice(0, 11)}`,
  intPatch: (bridge: string) => `int-${bridge}`,
  phyPatch: (bridge: string) => `phy-${bridge}`,
};
