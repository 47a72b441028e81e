// The connection tracking table of a namespace, as Debian's `conntrack` lists it.
import { run } from "./exec";

/** `conntrack -L` in the namespace: one line per tracked connection (its summary goes to stderr). */
export async function listConntrack(ns: string): Promise<string> {
  const { stdout } = await run("ip", ["netns", "exec", ns, "conntrack", "-L"]);
  return stdout;
}

/** `conntrack -L` in the namespace, only the connections that came from `src` to `dst` (before NAT). */
export async function listConntrackBetween(ns: string, src: string, dst: string): Promise<string> {
  const { stdout } = await run("ip", [
    "netns",
    "exec",
    ns,
    "conntrack",
    "-L",
    "--orig-src",
    src,
    "--orig-dst",
    dst,
  ]);
  return stdout;
}
