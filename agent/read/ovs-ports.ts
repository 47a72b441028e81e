// One `ovs-vsctl --format=json show -- list Bridge -- list Port -- list Interface` call, split into the
// `ovs-vsctl show` text and the agent's bridges with their ports. Pure.
import type { OvsPortsSection, SnapshotOvsInterface, SnapshotOvsPort } from "../../lib/host-snapshot";
import { ovsMap, ovsSet, ovsUuid } from "../host/ovs";

/**
 * The arguments of that call (after --db). One process instead of two: `show` prints its text first, then each
 * `list` prints its table as one line of JSON (--format applies to `list` only).
 */
export const showAndListArgs = [
  "--format=json",
  "show",
  "--",
  "--columns=name,ports,datapath_type,fail_mode",
  "list",
  "Bridge",
  "--",
  "--columns=_uuid,name,tag,interfaces",
  "list",
  "Port",
  "--",
  "--columns=_uuid,name,type,ofport,options,external_ids",
  "list",
  "Interface",
];

type OvsTable = { headings: string[]; data: unknown[][] };

/** Splits the output of `showAndListArgs`: the show text (verbatim) and the three tables. */
export function splitShowAndList(stdout: string): { show: string; tables: [OvsTable, OvsTable, OvsTable] } {
  const lines = stdout.split("\n");
  // show's lines are a UUID and indented text: a line starting with `{"` can only be a list's JSON table.
  const first = lines.findIndex((line) => line.startsWith('{"'));
  if (first < 0) throw new Error("ovs-vsctl show/list: no JSON tables in the output");
  const tables = lines.slice(first).filter((line) => line.startsWith('{"'));
  const [bridges, ports, interfaces] = tables.map((line) => JSON.parse(line) as OvsTable);
  if (bridges === undefined || ports === undefined || interfaces === undefined)
    throw new Error("ovs-vsctl show/list: expected three tables");
  return { show: `${lines.slice(0, first).join("\n")}\n`, tables: [bridges, ports, interfaces] };
}

function column(table: OvsTable, name: string): number {
  const index = table.headings.indexOf(name);
  if (index < 0) throw new Error(`ovs-vsctl list: no column ${name}`);
  return index;
}

function asString(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function asNumber(value: unknown): number | null {
  const first = ovsSet(value)[0];
  return typeof first === "number" ? first : null;
}

/** The given bridges (those that exist) and all their ports, sorted, so that equal content hashes equal. */
export function parseOvsPorts(
  tables: [OvsTable, OvsTable, OvsTable],
  bridgeNames: readonly string[],
): Omit<OvsPortsSection, "hash" | "kind"> {
  const [bridgeTable, portTable, interfaceTable] = tables;
  const interfaces = new Map<string, SnapshotOvsInterface>();
  const i = {
    uuid: column(interfaceTable, "_uuid"),
    name: column(interfaceTable, "name"),
    type: column(interfaceTable, "type"),
    ofport: column(interfaceTable, "ofport"),
    options: column(interfaceTable, "options"),
    externalIds: column(interfaceTable, "external_ids"),
  };
  for (const row of interfaceTable.data) {
    interfaces.set(ovsUuid(row[i.uuid]), {
      name: asString(row[i.name]),
      type: asString(row[i.type]),
      ofport: asNumber(row[i.ofport]),
      options: ovsMap(row[i.options]),
      external_ids: ovsMap(row[i.externalIds]),
    });
  }
  const p = {
    uuid: column(portTable, "_uuid"),
    name: column(portTable, "name"),
    tag: column(portTable, "tag"),
    interfaces: column(portTable, "interfaces"),
  };
  const portRows = new Map<string, unknown[]>();
  for (const row of portTable.data) portRows.set(ovsUuid(row[p.uuid]), row);

  const b = {
    name: column(bridgeTable, "name"),
    ports: column(bridgeTable, "ports"),
    datapathType: column(bridgeTable, "datapath_type"),
    failMode: column(bridgeTable, "fail_mode"),
  };
  const wanted = new Set(bridgeNames);
  const bridges: OvsPortsSection["bridges"] = [];
  const ports: SnapshotOvsPort[] = [];
  for (const row of bridgeTable.data) {
    const bridge = asString(row[b.name]);
    if (!wanted.has(bridge)) continue;
    const failMode = ovsSet(row[b.failMode])[0];
    bridges.push({
      name: bridge,
      datapath_type: asString(row[b.datapathType]),
      fail_mode: typeof failMode === "string" ? failMode : null,
    });
    for (const uuid of ovsSet(row[b.ports])) {
      const port = portRows.get(ovsUuid(uuid));
      if (port === undefined) continue;
      const members = ovsSet(port[p.interfaces])
        .map((ref) => interfaces.get(ovsUuid(ref)))
        .filter((member): member is SnapshotOvsInterface => member !== undefined)
        .sort((x, y) => compare(x.name, y.name));
      ports.push({ bridge, name: asString(port[p.name]), tag: asNumber(port[p.tag]), interfaces: members });
    }
  }
  bridges.sort((x, y) => compare(x.name, y.name));
  ports.sort((x, y) => compare(x.bridge, y.bridge) || compare(x.name, y.name));
  return { bridges, ports };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
