// The connection tracking table of a namespace, as Debian's `conntrack` lists it.
import { run } from "./exec";

/** `conntrack -L` in the namespace: one line per tracked connection (its summary goes to stderr). */
export async function listConntrack(ns: string): Promise<string> {
  const { stdout } = await run("ip", ["netns", "exec", ns, "conntrack", "-L"]);
  return stdout;
}
