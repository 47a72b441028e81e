// iptables inside a router namespace: read the nat (and mangle) table with iptables-save, write whole chains of
// ours with one `iptables-restore --noflush` per table (atomic; chains of others are neither listed nor flushed).
// Also the two sysctls a new namespace may need: forwarding (routers), IPv6 off (HA routers).
import { run } from "./exec";

/**
 * The nat table with each rule's packet and byte counters (`[packets:bytes] -A ...`): the planner ignores them,
 * inspection and the trace show them; one read serves both.
 */
export async function saveNat(ns: string): Promise<string> {
  const { stdout } = await run("ip", ["netns", "exec", ns, "iptables-save", "-t", "nat", "-c"]);
  return stdout;
}

/** The mangle table, where the router marks what enters from outside (planning only: no counters). */
export async function saveMangle(ns: string): Promise<string> {
  const { stdout } = await run("ip", ["netns", "exec", ns, "iptables-save", "-t", "mangle"]);
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
