// iptables inside a router namespace: read the nat (and mangle) table with iptables-save, write whole chains of
// ours with one `iptables-restore --noflush` per namespace (each table one atomic commit; chains of others are
// neither listed nor flushed). Also the two sysctls a new namespace may need: forwarding (routers), IPv6 off (HA
// routers).
import { run } from "./exec";

/**
 * The nat table with each rule's packet and byte counters (`[packets:bytes] -A ...`): the planner ignores them,
 * inspection and the trace show them; one read serves both.
 */
export async function saveNat(ns: string): Promise<string> {
  const { stdout } = await run("ip", ["netns", "exec", ns, "iptables-save", "-t", "nat", "-c"]);
  return stdout;
}

/**
 * Every table of the namespace with counters, in one process (a router's nat and mangle: the planner reads both
 * from this text, each under its `*table` line).
 */
export async function saveTables(ns: string): Promise<string> {
  const { stdout } = await run("ip", ["netns", "exec", ns, "iptables-save", "-c"]);
  return stdout;
}

export async function restoreTables(ns: string, text: string): Promise<void> {
  await run("ip", ["netns", "exec", ns, "iptables-restore", "--noflush"], { input: text });
}

/** IPv6 off on every device of the namespace and on those made in it later. */
export async function disableIpv6(ns: string): Promise<void> {
  await run("ip", [
    "netns",
    "exec",
    ns,
    "sysctl",
    "-q",
    "-w",
    "net.ipv6.conf.all.disable_ipv6=1",
    "net.ipv6.conf.default.disable_ipv6=1",
  ]);
}

export async function enableForwarding(ns: string): Promise<void> {
  await run("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
}
