// What a host's raw names stand for (qrouter-<uuid> is demo-router, tapXXXXXXXXXXX is vm1's port), and the filter
// that narrows every section of the host page to what mentions an address or a name.
import { deviceNames } from "@/lib/names";

type Named = { id: string; name: string };
export type HostModel = {
  routers: readonly Named[];
  servers: readonly Named[];
  networks: readonly Named[];
  ports: readonly { id: string; device_id: string; device_owner: string }[];
};

const nameOf = (x: Named) => x.name || x.id.slice(0, 8);

/** For each device name the agent makes (tap, qr-, qg-), what it belongs to: "instance vm1", "router r1". */
function deviceOwners(model: HostModel): Map<string, string> {
  const servers = new Map(model.servers.map((s) => [s.id, nameOf(s)]));
  const routers = new Map(model.routers.map((r) => [r.id, nameOf(r)]));
  const owners = new Map<string, string>();
  for (const p of model.ports) {
    const server = servers.get(p.device_id);
    const router = routers.get(p.device_id);
    if (server) owners.set(deviceNames.tap(p.id), `instance ${server}`);
    if (router && p.device_owner === "network:router_interface")
      owners.set(deviceNames.routerInterface(p.id), `router ${router}`);
    if (router && p.device_owner === "network:router_gateway")
      owners.set(deviceNames.routerGateway(p.id), `router ${router} gateway`);
  }
  return owners;
}

/** "router demo-router" for a qrouter-<id> namespace, "instance vm1" for qprobe-<port id>, "uplink of public". */
export function namespaceLabel(model: HostModel, namespace: string): string | undefined {
  const router = model.routers.find((r) => namespace.endsWith(`qrouter-${r.id}`));
  if (router) return `router ${nameOf(router)}`;
  const port = model.ports.find((p) => namespace.endsWith(`qprobe-${p.id}`));
  const server = port ? model.servers.find((s) => s.id === port.device_id) : undefined;
  if (server) return `instance ${nameOf(server)}`;
  const network = model.networks.find((n) => namespace.endsWith(`quplink-${n.id}`));
  return network ? `uplink of ${nameOf(network)}` : undefined;
}

/**
 * `ovs-vsctl show` with what each of our ports belongs to, after its interface's name (`Interface tap3707a5fb-83
 * # instance vm1`); the Port lines stay as OVS prints them.
 */
export function annotateOvsShow(model: HostModel, text: string): string {
  const owners = deviceOwners(model);
  return text
    .split("\n")
    .map((line) => {
      const port = /^\s*Interface "?([^"\s]+)"?\s*$/.exec(line)?.[1];
      const owner = port === undefined ? undefined : owners.get(port);
      return owner ? `${line}  # ${owner}` : line;
    })
    .join("\n");
}

/**
 * `ovs-vsctl show` narrowed to the ports whose block mentions `query` (with the bridges they are on): a port
 * block is its `Port` line and the more indented lines under it.
 */
export function filterOvsShow(text: string, query: string): string {
  const q = query.trim().toLowerCase();
  if (q === "") return text;
  const lines = text.split("\n");
  const indent = (l: string) => l.length - l.trimStart().length;
  const kept: string[] = [];
  let bridge: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (/^\s*Bridge /.test(line)) {
      bridge = line;
      continue;
    }
    if (!/^\s*Port /.test(line)) continue;
    const block = [line];
    while (i + 1 < lines.length && indent(lines[i + 1] ?? "") > indent(line)) block.push(lines[++i] ?? "");
    if (!block.join("\n").toLowerCase().includes(q)) continue;
    if (bridge !== undefined) {
      kept.push(bridge);
      bridge = undefined;
    }
    kept.push(...block);
  }
  return kept.join("\n");
}

/** Whether any of `texts` mentions the query (case-insensitive); an empty query matches everything. */
export function mentions(query: string, ...texts: readonly (string | undefined)[]): boolean {
  const q = query.trim().toLowerCase();
  return q === "" || texts.some((t) => t?.toLowerCase().includes(q));
}
