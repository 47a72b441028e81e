// The interfaces on the integration bridge that someone else plugged with `external_ids:iface-id` (libvirt's tap
// for a VM, a container's veth), and the local VLAN tags of the bridge's ports of ours: one ovs-vsctl call.
import type { Ovs } from "../host/ovs";
import { ovsMap, ovsSet, ovsUuid } from "../host/ovs";
import type { ObservedPlugged } from "../plan/bindings";

const args = (bridge: string) => [
  "--format=json",
  "--",
  "--columns=ports",
  "list",
  "Bridge",
  bridge,
  "--",
  "--columns=_uuid,name,tag,other_config,interfaces",
  "list",
  "Port",
  "--",
  "--columns=_uuid,name,ofport,external_ids",
  "list",
  "Interface",
];

type OvsTable = { headings: string[]; data: unknown[][] };

export type IntegrationPorts = {
  /** Interfaces plugged by others: no netlens mark, an iface-id. */
  plugged: ObservedPlugged[];
  /** Local VLAN of each network, from the ports of ours (their netlens-network-id and tag). */
  ownTags: Map<string, number>;
};

function table(line: string | undefined): OvsTable {
  if (line === undefined) throw new Error("ovs-vsctl list: expected three tables");
  return JSON.parse(line) as OvsTable;
}

const firstNumber = (value: unknown): number | null => {
  const first = ovsSet(value)[0];
  return typeof first === "number" ? first : null;
};

/** Parses the output of `args`. Pure. */
export function parseIntegrationPorts(stdout: string, prefix: string): IntegrationPorts {
  const lines = stdout.split("\n").filter((line) => line.startsWith("{"));
  const [bridges, portTable, interfaceTable] = [table(lines[0]), table(lines[1]), table(lines[2])];
  const onBridge = new Set(bridges.data.flatMap((row) => ovsSet(row[0]).map(ovsUuid)));
  const interfaces = new Map(interfaceTable.data.map((row) => [ovsUuid(row[0]), row]));
  const plugged: ObservedPlugged[] = [];
  const ownTags = new Map<string, number>();
  for (const [uuid, name, tag, otherConfig, members] of portTable.data) {
    if (!onBridge.has(ovsUuid(uuid))) continue;
    const refs = ovsSet(members).map(ovsUuid);
    // A bond is no workload's single interface.
    const member = refs.length === 1 ? interfaces.get(refs[0] ?? "") : undefined;
    if (member === undefined) continue;
    const ids = ovsMap(member[3]);
    const portTag = firstNumber(tag);
    if (ids["netlens-prefix"] !== undefined) {
      const network = ids["netlens-network-id"];
      if (
        ids["netlens-prefix"] === prefix &&
        network !== undefined &&
        portTag !== null &&
        !ownTags.has(network)
      )
        ownTags.set(network, portTag);
      continue;
    }
    const ifaceId = ids["iface-id"];
    if (ifaceId === undefined) continue;
    plugged.push({
      name: String(name),
      ifaceId,
      attachedMac: ids["attached-mac"] ?? null,
      tag: portTag,
      ofport: firstNumber(member[2]),
      netUuid: ovsMap(otherConfig).net_uuid ?? null,
    });
  }
  plugged.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { plugged, ownTags };
}

export async function readIntegrationPorts(
  ovs: Ovs,
  bridge: string,
  prefix: string,
): Promise<IntegrationPorts> {
  return parseIntegrationPorts(await ovs.vsctl(args(bridge)), prefix);
}
