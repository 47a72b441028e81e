// Reading `ovs-appctl ofproto/trace` and `dpif/show`. PURE: text in, data out, so that the parsing is tested
// without a vswitchd. We keep OVS's own words (rule text, actions, its "-> ..." notes) and only pull out what
// the server needs to compose a path: the bridges crossed, the VLAN pushed, and the ports the packet leaves by.
import { tunnelPortName } from "../../lib/names";
import type { OvsTrace, OvsTraceRule } from "../contract/trace";

/** Datapath port number -> port name, per datapath ("netdev@ovs-netdev", "dummy@ovs-dummy"). */
export type DatapathPorts = Map<string, { bridges: Set<string>; ports: Map<number, string> }>;

/**
 * `ovs-appctl dpif/show`:
 * ```
 * netdev@ovs-netdev: hit:26 missed:50
 *   br-int:
 *     br-int 65534/1: (tap)
 *     int-br-ex 1/none: (patch: peer=phy-br-ex)
 *     tap0567bbe4-85 3/4: (system)
 * ```
 * Each port line is `NAME OFPORT/DPPORT: (TYPE)`; patch ports have no datapath port ("none").
 */
export function parseDpifShow(text: string): DatapathPorts {
  const result: DatapathPorts = new Map();
  let current: { bridges: Set<string>; ports: Map<number, string> } | undefined;
  for (const line of text.split("\n")) {
    const datapath = /^(\S+@\S+):/.exec(line);
    if (datapath?.[1] !== undefined) {
      current = { bridges: new Set(), ports: new Map() };
      result.set(datapath[1], current);
      continue;
    }
    const bridge = /^ {2}(\S+):\s*$/.exec(line);
    if (bridge?.[1] !== undefined) {
      current?.bridges.add(bridge[1]);
      continue;
    }
    const port = /^ {4}(\S+) \d+\/(\d+):/.exec(line);
    if (port?.[1] !== undefined && port[2] !== undefined) current?.ports.set(Number(port[2]), port[1]);
  }
  return result;
}

/** The port names of the datapath that holds `bridge`. */
export function portsOfBridge(datapaths: DatapathPorts, bridge: string): Map<number, string> {
  for (const datapath of datapaths.values()) if (datapath.bridges.has(bridge)) return datapath.ports;
  return new Map();
}

/** Splits `a,b(c,d),e` at top-level commas. */
function splitActions(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

export function parseOfprotoTrace(text: string, ports: Map<number, string>): OvsTrace {
  const bridges: string[] = [];
  const rules: OvsTraceRule[] = [];
  const notes: string[] = [];
  let bridge = "";
  let rule: OvsTraceRule | undefined;
  let datapathActions = "";
  for (const line of text.split("\n")) {
    const header = /^bridge\("([^"]+)"\)$/.exec(line);
    if (header?.[1] !== undefined) {
      bridge = header[1];
      bridges.push(bridge);
      rule = undefined;
      continue;
    }
    const actions = /^Datapath actions: (.*)$/.exec(line);
    if (actions?.[1] !== undefined) {
      datapathActions = actions[1].trim();
      continue;
    }
    if (/^(Final flow|Megaflow|Flow):/.test(line)) {
      rule = undefined;
      continue;
    }
    const ruleLine = /^ {0,3}(\d+)\. (.*)$/.exec(line);
    if (ruleLine?.[1] !== undefined && ruleLine[2] !== undefined && bridge !== "") {
      rule = { bridge, table: Number(ruleLine[1]), text: ruleLine[2].trim(), actions: [] };
      rules.push(rule);
      continue;
    }
    const trimmed = line.trim();
    if (trimmed.length === 0 || /^-+$/.test(trimmed)) continue;
    if (trimmed.startsWith("->") || trimmed.startsWith(">>")) {
      notes.push(trimmed.replace(/^(->|>>)\s*/, ""));
      continue;
    }
    if (rule !== undefined) rule.actions.push(trimmed);
  }
  const outputs: string[] = [];
  let vlan: number | null = null;
  for (const action of splitActions(datapathActions)) {
    if (/^\d+$/.test(action)) {
      const number = Number(action);
      outputs.push(ports.get(number) ?? `dp${number}`);
      continue;
    }
    // The userspace datapath sends into a VXLAN tunnel by pushing its header (all tunnel ports share one
    // datapath port): the port is the one named after the header's remote address.
    const tunnel = /tnl_push\(.*?ipv4\(src=[\d.]+,dst=([\d.]+)/.exec(action)?.[1];
    if (tunnel !== undefined) outputs.push(tunnelPortName(tunnel));
    const push = /^push_vlan\(vid=(\d+)/.exec(action);
    if (push?.[1] !== undefined && vlan === null) vlan = Number(push[1]);
  }
  // Before OVS has resolved the remote's MAC on the underlay it drops the packet and sends an ARP request: the
  // packets after it go into the tunnel, as any first packet waits for ARP. The tunnel is where this one goes.
  for (const note of notes) {
    const unresolved = /^neighbor cache miss for ([\d.]+) on bridge /.exec(note)?.[1];
    if (unresolved !== undefined && !outputs.includes(tunnelPortName(unresolved)))
      outputs.unshift(tunnelPortName(unresolved));
  }
  return { bridges, rules, outputs, vlan, notes, datapath_actions: datapathActions, text };
}

/**
 * The ofproto/trace flow argument: `in_port=NAME,[tun_id=…,tun_src=…,tun_dst=…,]PROTO,dl_src=…,dl_dst=…,nw_src=…,
 * nw_dst=…[,PROTO_dst=N]`; the tunnel fields for a frame a VXLAN port brings in.
 */
export function ofprotoFlow(flow: {
  in_port: string;
  protocol: "icmp" | "tcp" | "udp";
  dl_src: string;
  dl_dst: string;
  nw_src: string;
  nw_dst: string;
  tp_dst?: number;
  tun_id?: number;
  tun_src?: string;
  tun_dst?: string;
  dl_vlan?: number;
}): string {
  const fields = [
    `in_port=${flow.in_port}`,
    ...(flow.tun_id === undefined ? [] : [`tun_id=0x${flow.tun_id.toString(16)}`]),
    ...(flow.tun_src === undefined ? [] : [`tun_src=${flow.tun_src}`]),
    ...(flow.tun_dst === undefined ? [] : [`tun_dst=${flow.tun_dst}`]),
    ...(flow.dl_vlan === undefined ? [] : [`dl_vlan=${flow.dl_vlan}`]),
    flow.protocol,
    `dl_src=${flow.dl_src}`,
    `dl_dst=${flow.dl_dst}`,
    `nw_src=${flow.nw_src}`,
    `nw_dst=${flow.nw_dst}`,
  ];
  // An echo request, as ping sends it; a SYN for tcp.
  if (flow.protocol === "icmp") fields.push("icmp_type=8", "icmp_code=0");
  if (flow.protocol === "tcp") fields.push("tcp_flags=0x002");
  // The protocol's own field: ofproto/trace reads `tp_dst` as TCP's, and refuses it on a udp flow ("prerequisites
  // not met for setting tp_dst").
  if (flow.tp_dst !== undefined && flow.protocol !== "icmp")
    fields.push(`${flow.protocol}_dst=${flow.tp_dst}`);
  return fields.join(",");
}
