// iproute2: read with `ip -json`, write with `ip [-n NS] -force -batch -` fed on stdin, so that a whole
// namespace's changes cost one process and a failing line does not stop the others (its line number tells which).
import { normaliseDestination } from "../plan/addresses";
import type { ObservedDevice, ObservedRootLink, ObservedRoute } from "../plan/pictures";
import { run } from "./exec";

type JsonAddr = {
  ifname?: string;
  flags?: string[];
  mtu?: number;
  address?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
};
type JsonRoute = { dst?: string; gateway?: string; dev?: string; protocol?: string };
type JsonLink = { ifname?: string; flags?: string[]; mtu?: number };

/** What `ip -json addr show` and `ip -json route show` say of one namespace. */
export type NamespaceLinks = { loUp: boolean; devices: ObservedDevice[]; routes: ObservedRoute[] };

/** Devices (with addresses) and routes of one namespace, parsed from the one read inspection also uses. */
export async function readNamespace(ns: string): Promise<NamespaceLinks> {
  const { addr, route } = await readNamespaceJson(ns);
  return parseNamespaceJson(`${addr}\n${route}\n`);
}

const READ_LINES = "addr show\nroute show\n";

/** The output of READ_LINES under `ip -json -batch`: one JSON array per command, one per line. */
function parseNamespaceJson(stdout: string): NamespaceLinks {
  const [addrJson = "[]", routeJson = "[]"] = stdout
    .split("\n")
    .filter((line) => line.trim().startsWith("["));
  const links = JSON.parse(addrJson) as JsonAddr[];
  const routes = JSON.parse(routeJson) as JsonRoute[];
  let loUp = false;
  const devices: ObservedDevice[] = [];
  for (const link of links) {
    const up = link.flags?.includes("UP") ?? false;
    if (link.ifname === "lo") {
      loUp = up;
      continue;
    }
    devices.push({
      name: link.ifname ?? "",
      mac: link.address ?? "",
      mtu: link.mtu ?? 0,
      up,
      addresses: (link.addr_info ?? [])
        .filter((a) => a.family === "inet" && a.local !== undefined)
        .map((a) => `${a.local}/${a.prefixlen ?? 32}`),
    });
  }
  return {
    loUp,
    devices,
    routes: routes.map((r) => ({
      destination: normaliseDestination(r.dst ?? "default"),
      via: r.gateway ?? null,
      dev: r.dev ?? null,
      protocol: r.protocol ?? "boot",
    })),
  };
}

/**
 * `ip -json addr` and `ip -json route` of one namespace as iproute2 prints them (one JSON array each), in one
 * process: the text is what inspection shows and hashes, so it is not parsed here.
 */
export async function readNamespaceJson(ns: string): Promise<{ addr: string; route: string }> {
  const { stdout } = await run("ip", ["-n", ns, "-json", "-batch", "-"], { input: READ_LINES });
  const [addr, route] = stdout.split("\n").filter((line) => line.trim().startsWith("["));
  if (addr === undefined || route === undefined) throw new Error(`ip -n ${ns} -json: unexpected output`);
  return { addr, route };
}

/** veth ends in the host's namespace (the root one for null): where our taps live. */
export async function readRootVeths(hostNamespace: string | null): Promise<Map<string, ObservedRootLink>> {
  const { stdout } = await run("ip", [...onHost(hostNamespace), "-json", "link", "show", "type", "veth"]);
  const links = JSON.parse(stdout || "[]") as JsonLink[];
  const result = new Map<string, ObservedRootLink>();
  for (const link of links) {
    if (link.ifname === undefined) continue;
    result.set(link.ifname, {
      name: link.ifname,
      up: link.flags?.includes("UP") ?? false,
      mtu: link.mtu ?? 0,
    });
  }
  return result;
}

/** iproute2's arguments that run it in the host's namespace: none for the root namespace. */
export const onHost = (hostNamespace: string | null): string[] =>
  hostNamespace === null ? [] : ["-n", hostNamespace];

/** A line of a batch and what to blame when it fails. */
export type BatchLine = { line: string; resource: string };
export type BatchFailure = { resource: string; line: string; message: string };

/**
 * Runs the lines in one `ip -force -batch -` (in namespace `ns`, or the root namespace for null) and returns the
 * lines that failed with iproute2's message. Lines are argument words joined by spaces: every word comes from a
 * validated name or address, none holds a space. `readBack` (a namespace only): the same process then reads
 * the namespace's devices, addresses and routes, after its writes — the apply's self-check without a second
 * process per namespace.
 */
export async function batch(
  ns: string | null,
  lines: BatchLine[],
  readBack = false,
): Promise<{ failures: BatchFailure[]; state: NamespaceLinks | null }> {
  if (lines.length === 0) return { failures: [], state: null };
  const read = readBack && ns !== null;
  const args = [...(ns === null ? [] : ["-n", ns]), ...(read ? ["-json"] : []), "-force", "-batch", "-"];
  const input = `${lines.map((l) => l.line).join("\n")}\n${read ? READ_LINES : ""}`;
  const { stdout, stderr, code } = await run("ip", args, { input, allowFailure: true });
  const state = read && stdout.includes("[") ? parseReadBack(stdout) : null;
  if (code === 0) return { failures: [], state };
  const failures: BatchFailure[] = [];
  let message: string[] = [];
  for (const text of stderr.split("\n")) {
    const failed = /^Command failed -:(\d+)$/.exec(text.trim());
    if (failed === null) {
      if (text.trim()) message.push(text.trim());
      continue;
    }
    const entry = lines[Number(failed[1]) - 1];
    if (entry !== undefined) {
      failures.push({ resource: entry.resource, line: entry.line, message: message.join("; ") || "failed" });
    }
    message = [];
  }
  if (failures.length === 0) {
    // Not a per-line failure (e.g. the namespace is gone): blame every resource of the batch.
    const resources = [...new Set(lines.map((l) => l.resource))];
    return {
      failures: resources.map((resource) => ({
        resource,
        line: "",
        message: stderr.trim() || `ip exited ${code}`,
      })),
      state: null,
    };
  }
  return { failures, state };
}

/** The read-back after a batch's writes; null when it did not come out whole (the self-check reads again). */
function parseReadBack(stdout: string): NamespaceLinks | null {
  const arrays = stdout.split("\n").filter((line) => line.trim().startsWith("["));
  if (arrays.length !== 2) return null;
  try {
    return parseNamespaceJson(stdout);
  } catch {
    return null;
  }
}
