// A workload plugged by hand the way Nova and os-vif plug a VM, for the CLI's integration tests: a namespace, a
// veth whose namespace end has the port's MAC (and an address set statically, or none: it asks DHCP), the
// other end added to the integration bridge with `external_ids:iface-id=<port id>` in one transaction.
import { run } from "../../agent/host/exec";

/** A namespace with one veth end `eth0` (MAC, and `address` when given), its other end `dev` up in the root. */
export async function addWorkload(ns: string, dev: string, mac: string, address: string | null) {
  await run("ip", ["netns", "add", ns]);
  await run("ip", ["link", "add", dev, "type", "veth", "peer", "name", "eth0", "netns", ns]);
  await run("ip", ["-n", ns, "link", "set", "eth0", "address", mac, "up"]);
  if (address !== null) await run("ip", ["-n", ns, "addr", "add", address, "dev", "eth0"]);
  await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
  await run("ip", ["link", "set", dev, "up"]);
}

/** What os-vif does for a VM's tap: one transaction adding the port with its iface-id. */
export const plugWorkload = (db: string, bridge: string, dev: string, portId: string, mac: string) =>
  run("ovs-vsctl", [
    `--db=${db}`,
    "--may-exist",
    "add-port",
    bridge,
    dev,
    "--",
    "set",
    "Interface",
    dev,
    `external_ids:iface-id=${portId}`,
    "external_ids:iface-status=active",
    `external_ids:attached-mac=${mac}`,
  ]);
