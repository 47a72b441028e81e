// iptables inside a router namespace: read the nat table with iptables-save, write whole chains of ours with one
// `iptables-restore --noflush` (atomic; chains of others are neither listed nor flushed).
import { run } from "./exec";

/**
 * The nat table with each rule's packet and byte counters (`[packets:bytes] -A ...`): the planner ignores them,
 * inspection and the trace show them; one read serves both.
 */
export async function saveNat(ns: string): Promise<string> {
  const { stdout } = await run("ip", ["netns", "exec", ns, "iptables-save", "-t", "nat", "-c"]);
  return stdout;
}

export async function restoreNat(ns: string, text: string): Promise<void> {
  await run("ip", ["netns", "exec", ns, "iptables-restore", "--noflush"], { input: text });
}

export async function enableForwarding(ns: string): Promise<void> {
  await run("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
}
