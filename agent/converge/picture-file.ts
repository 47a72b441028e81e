// The picture of the host an agent leaves when it stops (agent.close()), for the next start to take instead of
// reading every namespace again: at 500 routers that read is ~1,500 processes (addresses, nat, mangle of each),
// tens of seconds on a busy host. The next start takes it only once, and only if what is cheap to read says the
// host is still as the picture has it (converge/loop.ts): the same namespaces of ours, OVS ports, root veth ends
// of those ports and flows. Inside a namespace, a hand change made while no agent ran is then not seen, exactly
// as one made while it runs is not seen by an incremental apply: it is drift, shown until a repair asks. The
// file is removed as it is read: a crash later (no close) leaves none, and that start reads the whole host.
import { readFile, rm } from "node:fs/promises";
import type { Logger } from "pino";
import type {
  ObservedHost,
  ObservedNamespace,
  ObservedOvsPort,
  ObservedRootLink,
  ObservedTunnelPort,
} from "../plan/pictures";
import { writeAtomically } from "./state";

type PictureJson = {
  namespaces: ObservedNamespace[];
  ovsPorts: ObservedOvsPort[];
  tunnelPorts: ObservedTunnelPort[];
  flows: [string, string[]][];
  rootLinks: ObservedRootLink[];
};

export async function writePicture(path: string, host: ObservedHost): Promise<void> {
  const body: PictureJson = {
    namespaces: [...host.namespaces.values()],
    ovsPorts: host.ovsPorts,
    tunnelPorts: host.tunnelPorts,
    flows: [...host.flows],
    rootLinks: [...host.rootLinks.values()],
  };
  await writeAtomically(path, JSON.stringify(body));
}

/** The picture the last agent left, removed as it is read; null when there is none or it cannot be read. */
export async function takePicture(path: string, log: Logger): Promise<ObservedHost | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      log.warn({ path, err: error }, "host picture unreadable: reading the host");
    return null;
  }
  await rm(path, { force: true });
  try {
    const body = JSON.parse(text) as PictureJson;
    return {
      namespaces: new Map(body.namespaces.map((ns) => [ns.name, ns])),
      ovsPorts: body.ovsPorts,
      tunnelPorts: body.tunnelPorts ?? [],
      flows: new Map(body.flows),
      rootLinks: new Map(body.rootLinks.map((link) => [link.name, link])),
    };
  } catch (error) {
    log.warn({ path, err: error }, "host picture unreadable: reading the host");
    return null;
  }
}

/**
 * Whether the host, as read cheaply now (`fresh`: namespaces listed, OVS ports, root veth ends and flows read,
 * namespace contents not), still is what `saved` pictured: the same namespaces of ours, the same OVS ports (tags,
 * external_ids, ofports: an OVS restart renumbers them) and tunnel ports, the same state of their root veth ends, the same flows.
 * Root veths that are no port of ours (other software's) may come and go meanwhile.
 */
export function stillAsPictured(
  saved: ObservedHost,
  fresh: ObservedHost,
  namespaces: ReadonlySet<string>,
): boolean {
  if (namespaces.size !== saved.namespaces.size) return false;
  for (const name of namespaces) if (!saved.namespaces.has(name)) return false;
  const ports = (list: ObservedOvsPort[]) => list.map((p) => JSON.stringify(p)).sort();
  if (!sameList(ports(saved.ovsPorts), ports(fresh.ovsPorts))) return false;
  const tunnels = (list: ObservedTunnelPort[]) => list.map((p) => JSON.stringify(p)).sort();
  if (!sameList(tunnels(saved.tunnelPorts), tunnels(fresh.tunnelPorts))) return false;
  for (const port of saved.ovsPorts) {
    const before = saved.rootLinks.get(port.name);
    const now = fresh.rootLinks.get(port.name);
    if (JSON.stringify(before) !== JSON.stringify(now)) return false;
  }
  if (saved.flows.size !== fresh.flows.size) return false;
  for (const [bridge, flows] of saved.flows) {
    const now = fresh.flows.get(bridge);
    if (now === undefined || !sameList([...flows].sort(), [...now].sort())) return false;
  }
  return true;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
