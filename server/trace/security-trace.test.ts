// Security group verdicts through trace.run against a scripted host (routes on the link, OVS carrying every
// frame to the device with its destination MAC): the rule that lets a packet out of one port and into another,
// the reply of an allowed connection, security-group-blocks with the rule to create (and delivered once it is
// created), a port whose port security is disabled; and, at the filter's step, a source the port may not use.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TraceAnswer, TraceHostInfo, TraceQuestion } from "../../agent/contract/trace";
import { cidrContains } from "../../lib/ip";
import type { Hop } from "../../lib/schemas/trace";
import { agents } from "../db/schema";
import { createTestApi, type TestApi } from "../testkit";
import { createTraceAgents, type TraceAgent } from "./agent";
import { HostAnswers } from "./ask";
import { loadTraceModel } from "./facts";
import { type HostPlaces, hostPlaces } from "./places";
import { crossFilter, filterDiagnosis } from "./port-filter";
import { Trail } from "./trail";
import type { WalkContext } from "./walk-state";

const PREFIX = "s-";
const CIDR = "10.66.0.0/24";
const info: TraceHostInfo = {
  host: "h1",
  prefix: PREFIX,
  integration_bridge: "s-int",
  bridge_mappings: {},
  chain_prefix: "s",
  tunnel_bridge: null,
};

let base: TestApi;
let api: TestApi;
let places: HostPlaces;
const vms = { a: { address: "", port: "" }, b: { address: "", port: "" } };

function answer(q: TraceQuestion): TraceAnswer {
  switch (q.kind) {
    case "route": {
      const devices = places.all.find((p) => p.namespace === q.namespace)?.devices ?? [];
      if (devices.some((d) => d.addresses.includes(q.dst)))
        return { kind: "route", ok: true, route: { type: "local", dst: q.dst, dev: "lo" }, text: "local" };
      if (cidrContains(CIDR, q.dst))
        return { kind: "route", ok: true, route: { dst: q.dst, dev: "eth0" }, text: "dev eth0" };
      return { kind: "route", ok: false, error: "Network is unreachable", text: "unreachable" };
    }
    case "ovs": {
      const tap = places.all.flatMap((p) => p.devices).find((d) => d.mac === q.dl_dst)?.tap;
      const trace = { bridges: [q.bridge], rules: [], vlan: 1, notes: [], datapath_actions: "", text: "" };
      return { kind: "ovs", ok: true, trace: { ...trace, outputs: tap ? [tap] : [] } };
    }
    case "nat":
      return { kind: "nat", ok: true, rules: [] };
    case "daemons":
      return { kind: "daemons", ok: true, daemons: [] };
    case "ports":
      return { kind: "ports", ok: true, ports: [], bridges: [info.integration_bridge], uplinks: {} };
    case "links":
      return { kind: "links", ok: true, links: [] };
    case "conntrack":
      return { kind: "conntrack", ok: true, entries: [] };
    default: {
      const unreachable: never = q;
      throw new Error(`unscripted ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The walk's context for one step: the host is this file's scripted one. */
const context = (filters: WalkContext["filters"]): WalkContext => ({
  host: new HostAnswers(agent),
  across: null,
  info,
  protocol: "icmp",
  port: null,
  places: places.all,
  ports: [],
  nat: new Map(),
  macs: new Map(),
  fipIds: new Map(),
  filters,
  forwardings: [],
});

const agent: TraceAgent = {
  ask: async (questions) => ({ info, answers: questions.map(answer), duration_ms: 0 }),
  probe: () => Promise.reject(new Error("no probe here")),
};

beforeAll(async () => {
  base = await createTestApi();
  await base.db.insert(agents).values({ url: "http://agent.test", host: "h1", prefix: PREFIX });
  const traceAgents = createTraceAgents(() => agent);
  api = await base.with({ traceAgents });
  await api.caller.network.create({ name: "sg-net" });
  await api.caller.subnet.create({ name: "sg-subnet", network_id: "sg-net", cidr: CIDR, enable_dhcp: false });
  for (const key of ["a", "b"] as const) {
    const server = await api.caller.server.create({ name: `sg-${key}`, network_id: "sg-net" });
    vms[key] = { address: Object.values(server.addresses)[0]?.[0] ?? "", port: server.port_id ?? "" };
  }
  places = hostPlaces((await loadTraceModel(base.db, ["h1"])).intent, PREFIX);
});
afterAll(() => base.close());

const filterHops = (hops: Hop[]) => hops.filter((h) => h.decided_by.kind === "security_group");

describe("security groups in a trace", () => {
  it("names the rules that let the packet out of one port and into the other, and passes the reply", async () => {
    const result = await api.caller.trace.run({ from: "sg-a", to: "sg-b" });
    expect(result.verdict).toBe("delivered");
    const [out, into] = filterHops(result.forward);
    expect(out).toMatchObject({
      action: "switched",
      where: { port_id: vms.a.port },
      rule: {
        kind: "security_group_rule",
        direction: "egress",
        security_group_name: "default",
        protocol: null,
      },
    });
    expect(into).toMatchObject({
      action: "switched",
      where: { port_id: vms.b.port },
      rule: { kind: "security_group_rule", direction: "ingress", remote_group_id: expect.any(String) },
    });
    const back = filterHops(result.reply);
    expect(back.map((h) => h.decided_by)).toEqual([
      expect.objectContaining({ text: expect.stringContaining("egress: reply of an allowed connection") }),
      expect.objectContaining({ text: expect.stringContaining("ingress: reply of an allowed connection") }),
    ]);
  });

  it("drops what no rule allows with the rule to create, and delivers once it is created", async () => {
    const web = await api.caller.securityGroup.create({ name: "web" });
    await api.caller.port.update({ id: vms.b.port, security_groups: ["web"] });
    const blocked = await api.caller.trace.run({ from: "sg-a", to: "sg-b", protocol: "tcp", port: 22 });
    expect(blocked.verdict).toBe("dropped");
    const last = blocked.forward.length - 1;
    expect(blocked.forward[last]).toMatchObject({
      action: "dropped",
      where: { port_id: vms.b.port },
      decided_by: { kind: "security_group", text: expect.stringContaining("ingress: no rule") },
    });
    expect(blocked.diagnoses).toEqual([
      {
        code: "security-group-blocks",
        hop: `forward[${last}]`,
        message: expect.stringContaining(`allows tcp port 22 from ${vms.a.address}`),
        fix: `netlens security group rule create --protocol tcp --dst-port 22 --ingress --remote-ip ${vms.a.address}/32 web`,
      },
    ]);

    const rule = await api.caller.securityGroupRule.create({
      security_group_id: web.id,
      direction: "ingress",
      protocol: "tcp",
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: `${vms.a.address}/32`,
    });
    const allowed = await api.caller.trace.run({ from: "sg-a", to: "sg-b", protocol: "tcp", port: 22 });
    expect(allowed.verdict).toBe("delivered");
    expect(filterHops(allowed.forward)[1]?.rule).toEqual({
      kind: "security_group_rule",
      port_id: vms.b.port,
      security_group_id: web.id,
      security_group_name: "web",
      rule_id: rule.id,
      direction: "ingress",
      protocol: "tcp",
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: `${vms.a.address}/32`,
      remote_group_id: null,
    });
    // Another port is still blocked.
    const other = await api.caller.trace.run({ from: "sg-a", to: "sg-b", protocol: "tcp", port: 23 });
    expect(other.diagnoses.map((d) => d.code)).toEqual(["security-group-blocks"]);
  });

  it("says a port whose port security is disabled is not filtered", async () => {
    await api.caller.port.update({ id: vms.b.port, security_groups: [], port_security_enabled: false });
    const result = await api.caller.trace.run({ from: "sg-a", to: "sg-b", protocol: "udp", port: 53 });
    expect(result.verdict).toBe("delivered");
    expect(filterHops(result.forward)[1]).toMatchObject({
      action: "switched",
      where: { port_id: vms.b.port },
      decided_by: { text: `port security is disabled on port ${vms.b.port}: not filtered` },
    });
  });
});

describe("port-security-spoof", () => {
  it("drops a packet leaving a port from an address it may not use, and says how to allow it", async () => {
    await api.caller.port.update({ id: vms.a.port, port_security_enabled: true });
    const model = await loadTraceModel(base.db, ["h1"]);
    const place = places.all.find((p) => p.node_id === model.ports.get(vms.a.port)?.device_id);
    const device = place?.devices[0];
    if (place === undefined || device === undefined) throw new Error("no place for sg-a");
    const trail = new Trail("h1", { packet: { src: "10.66.0.250", dst: vms.b.address }, srcKnown: true });
    expect(crossFilter(context(model.filters), trail, "forward", "egress", { place, device }, null)).toBe(
      false,
    );
    const walked = trail.end(null);
    expect(walked.hops[0]).toMatchObject({ action: "dropped", where: { port_id: vms.a.port } });
    const [event] = walked.events;
    if (event?.type !== "filter-drop") throw new Error("no filter-drop event");
    expect(filterDiagnosis(model.ports, event, "forward[0]")).toEqual({
      code: "port-security-spoof",
      hop: "forward[0]",
      message: expect.stringContaining(`sends from 10.66.0.250, which is neither one of its fixed IPs`),
      fix: `Send from the port's own address, or allow the address: netlens port set --allowed-address ip-address=10.66.0.250 ${vms.a.port}`,
    });
    // The same address as an allowed address pair passes.
    await api.caller.port.update({ id: vms.a.port, allowed_address_pairs: [{ ip_address: "10.66.0.250" }] });
    const allowed = (await loadTraceModel(base.db, ["h1"])).filters;
    const again = new Trail("h1", { packet: { src: "10.66.0.250", dst: vms.b.address }, srcKnown: true });
    expect(crossFilter(context(allowed), again, "forward", "egress", { place, device }, null)).toBe(true);
  });
});
