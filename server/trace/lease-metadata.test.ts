// no-dhcp-lease and metadata-unreachable, through trace.run against a scripted host: routes answered from the
// places the intent draws (local for an address the namespace holds, on-link within the subnet, else by the
// instance's lease: 169.254.169.254 via the DHCP port when the network is isolated, the rest via the gateway),
// OVS carrying every frame to the device with its destination MAC, and the nat rules and daemons each case sets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TraceAnswer, TraceDaemon, TraceHostInfo, TraceQuestion } from "../../agent/contract/trace";
import { cidrContains } from "../../lib/ip";
import { metadataRedirectRule } from "../../lib/router-nat";
import { recordBound } from "../agents/bindings.testing";
import { agents } from "../db/schema";
import { createTestApi, type TestApi } from "../testkit";
import { createTraceAgents } from "./agent";
import { loadTraceModel } from "./facts";
import { type HostPlaces, hostPlaces } from "./places";

const PREFIX = "p-";
const info: TraceHostInfo = {
  host: "h1",
  prefix: PREFIX,
  integration_bridge: "p-int",
  bridge_mappings: {},
  chain_prefix: "p",
  tunnel_bridge: null,
};

/** What the scripted host runs and holds, per case. */
const host = {
  daemons: new Map<string, TraceDaemon[]>(),
  nat: new Map<string, string[]>(),
};

let base: TestApi;
let api: TestApi;
let places: HostPlaces;
let vm = { id: "", address: "", mac: "" };
let dhcpAddress = "";

function answer(q: TraceQuestion): TraceAnswer {
  const place = (ns: string) => places.all.find((p) => p.namespace === ns);
  switch (q.kind) {
    case "route": {
      const devices = place(q.namespace)?.devices ?? [];
      if (devices.some((d) => d.addresses.includes(q.dst)))
        return { kind: "route", ok: true, route: { type: "local", dst: q.dst, dev: "lo" }, text: "local" };
      const onLink = devices.find((d) => d.addresses.some((a) => cidrContains("10.65.0.0/24", a)));
      if (onLink && cidrContains("10.65.0.0/24", q.dst))
        return {
          kind: "route",
          ok: true,
          route: { dst: q.dst, dev: onLink.name },
          text: `dev ${onLink.name}`,
        };
      const isolated = places.dhcp.values().next().value?.devices[0]?.addresses.includes("169.254.169.254");
      const gateway = q.dst === "169.254.169.254" && isolated ? dhcpAddress : "10.65.0.1";
      if (onLink && place(q.namespace)?.kind === "instance")
        return {
          kind: "route",
          ok: true,
          route: { dst: q.dst, gateway, dev: onLink.name },
          text: `via ${gateway} dev ${onLink.name}`,
        };
      return { kind: "route", ok: false, error: "Network is unreachable", text: "unreachable" };
    }
    case "ovs": {
      const tap = places.all.flatMap((p) => p.devices).find((d) => d.mac === q.dl_dst)?.tap;
      const trace = { bridges: [q.bridge], rules: [], vlan: 1, notes: [], datapath_actions: "", text: "" };
      return { kind: "ovs", ok: true, trace: { ...trace, outputs: tap ? [tap] : [] } };
    }
    case "nat": {
      const rules = host.nat.get(q.namespace) ?? [];
      return {
        kind: "nat",
        ok: true,
        rules: rules.map((rule) => ({ chain: rule.split(" ")[1] ?? "", rule, packets: 0, bytes: 0 })),
      };
    }
    case "daemons":
      return { kind: "daemons", ok: true, daemons: host.daemons.get(q.namespace) ?? [] };
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

/** The picture of the host after a change: places from the intent as the trace compiles it. */
async function redraw() {
  places = hostPlaces((await loadTraceModel(base.db, ["h1"])).intent, PREFIX);
}

const running = (hosts: string | null): TraceDaemon[] => [
  { program: "dnsmasq", running: true, hosts },
  { program: "haproxy", running: true, hosts: null },
];

beforeAll(async () => {
  base = await createTestApi();
  await base.db.insert(agents).values({ url: "http://agent.test", host: "h1", prefix: PREFIX });
  const traceAgents = createTraceAgents(() => ({
    ask: async (questions) => ({ info, answers: questions.map(answer), duration_ms: 0 }),
    probe: () => Promise.reject(new Error("no probe here")),
  }));
  api = await base.with({ traceAgents });
  await api.caller.network.create({ name: "iso-net" });
  await api.caller.subnet.create({ name: "iso-subnet", network_id: "iso-net", cidr: "10.65.0.0/24" });
  const server = await api.caller.server.create({ name: "iso-vm", network_id: "iso-net" });
  vm = {
    id: server.id,
    address: Object.values(server.addresses)[0]?.[0] ?? "",
    mac: server.mac_address ?? "",
  };
  await redraw();
  const dhcp = [...places.dhcp.values()][0];
  dhcpAddress = dhcp?.devices[0]?.addresses[0] ?? "";
  host.daemons.set(dhcp?.namespace ?? "", running(`${vm.mac},host,${vm.address}\n`));
});
afterAll(() => base.close());

const dhcpNs = () => [...places.dhcp.values()][0]?.namespace ?? "";

describe("a trace to the metadata service", () => {
  it("reaches an isolated network's DHCP namespace over tcp/80, through the route the lease gave", async () => {
    const result = await api.caller.trace.run({ from: "iso-vm", to: "metadata" });
    expect(result).toMatchObject({ verdict: "delivered", protocol: "tcp", port: 80, diagnoses: [] });
    expect(result.to).toMatchObject({ kind: "metadata", address: "169.254.169.254" });
    expect(result.forward[0]?.decided_by.text).toBe(`via ${dhcpAddress} dev eth0`);
    expect(result.forward.at(-1)).toMatchObject({
      action: "delivered",
      where: { namespace: dhcpNs() },
      packet: { src: vm.address, dst: "169.254.169.254" },
    });
  });

  it("is unreachable when the DHCP namespace's proxy is not running", async () => {
    host.daemons.set(dhcpNs(), [{ program: "dnsmasq", running: true, hosts: `${vm.mac},h,${vm.address}\n` }]);
    const result = await api.caller.trace.run({ from: "iso-vm", to: "169.254.169.254" });
    expect(result.verdict).toBe("dropped");
    expect(result.diagnoses).toEqual([
      {
        code: "metadata-unreachable",
        hop: `forward[${result.forward.length - 1}]`,
        message: expect.stringContaining(
          `The metadata proxy (haproxy) of network iso-net's DHCP namespace is not running in ${dhcpNs()}`,
        ),
        fix: "netlens drift repair --all (the agent reconciles every namespace and starts the proxy again).",
      },
    ]);
    host.daemons.set(dhcpNs(), running(`${vm.mac},h,${vm.address}\n`));
  });

  it("is answered by the router on the subnet's gateway through its REDIRECT, and unreachable without it", async () => {
    const router = await api.caller.router.create({ name: "iso-router" });
    await api.caller.router.addInterface({ id: "iso-router", subnet_id: "iso-subnet" });
    await redraw();
    const routerNs = places.routers.get(router.id)?.namespace ?? "";
    host.daemons.set(routerNs, [{ program: "haproxy", running: true, hosts: null }]);

    host.nat.set(routerNs, ["-A PREROUTING -j p-PREROUTING", metadataRedirectRule("p")]);
    const redirected = await api.caller.trace.run({ from: "iso-vm", to: "metadata" });
    expect(redirected.verdict).toBe("delivered");
    const dnat = redirected.forward.find((h) => h.action === "dnat");
    expect(dnat?.decided_by.text).toContain("-j REDIRECT --to-ports 9697");
    expect(dnat?.packet).toEqual({ src: vm.address, dst: "10.65.0.1" });
    // The reply comes back from 169.254.169.254: conntrack undoes the redirect.
    expect(redirected.reply.at(-1)?.packet).toEqual({ src: "169.254.169.254", dst: vm.address });

    host.nat.set(routerNs, ["-A PREROUTING -j p-PREROUTING"]);
    const missing = await api.caller.trace.run({ from: "iso-vm", to: "metadata" });
    expect(missing.verdict).toBe("dropped");
    expect(missing.diagnoses).toContainEqual(
      expect.objectContaining({
        code: "metadata-unreachable",
        message: expect.stringContaining(`The metadata redirect is missing in ${routerNs}`),
        fix: expect.stringContaining("netlens drift repair iso-router"),
      }),
    );
    await api.caller.router.removeInterface({ id: "iso-router", subnet_id: "iso-subnet" });
    await redraw();
  });

  it("is unreachable from a subnet with no router and DHCP disabled (no isolated metadata)", async () => {
    await api.caller.subnet.update({ id: "iso-subnet", enable_dhcp: false });
    await redraw();
    const result = await api.caller.trace.run({ from: "iso-vm", to: "metadata" });
    expect(result.verdict).toBe("dropped");
    expect(result.diagnoses).toContainEqual({
      code: "metadata-unreachable",
      hop: expect.stringMatching(/^forward\[\d+\]$/),
      message: expect.stringContaining(
        "Subnet iso-subnet has no router on its gateway 10.65.0.1 and DHCP disabled, so no isolated metadata either",
      ),
      fix: expect.stringContaining("netlens subnet set iso-subnet --dhcp"),
    });
    await api.caller.subnet.update({ id: "iso-subnet", enable_dhcp: true });
    await redraw();
  });

  it("is asked of an instance only", async () => {
    await expect(api.caller.trace.run({ from: "metadata", to: "iso-vm" })).rejects.toThrow(
      "The metadata service only answers",
    );
    await expect(api.caller.trace.run({ from: "10.65.0.1", to: "metadata" })).rejects.toThrow();
  });
});

describe("a trace of an end that cannot get its lease", () => {
  it("names a probe whose network's dnsmasq is not running, or has no host entry for its MAC", async () => {
    host.daemons.set(dhcpNs(), [{ program: "dnsmasq", running: false, hosts: null }]);
    const dead = await api.caller.trace.run({ from: "iso-vm", to: "metadata" });
    expect(dead.diagnoses).toContainEqual({
      code: "no-dhcp-lease",
      hop: null,
      message: expect.stringContaining(
        `No DHCP server runs for network iso-net: dnsmasq is not running in ${dhcpNs()}`,
      ),
      fix: expect.stringContaining("netlens drift repair iso-net"),
    });

    host.daemons.set(dhcpNs(), running("fa:16:3e:99:99:99,host-10-65-0-99.openstacklocal,10.65.0.99\n"));
    const unknown = await api.caller.trace.run({ from: "iso-vm", to: "metadata" });
    expect(unknown.diagnoses).toContainEqual(
      expect.objectContaining({
        code: "no-dhcp-lease",
        message: expect.stringContaining(`dnsmasq in ${dhcpNs()} has no host entry for Port`),
      }),
    );
    host.daemons.set(dhcpNs(), running(`${vm.mac},h,${vm.address}\n`));
  });

  it("stops at a bound workload port whose MAC dnsmasq does not know, before any hop", async () => {
    const port = await api.caller.port.create({ name: "wl-port", network_id: "iso-net" });
    await recordBound(base.db, "h1", port);
    const result = await api.caller.trace.run({ from: "iso-vm", to: "wl-port" });
    expect(result).toMatchObject({ verdict: "dropped", forward: [], to: { kind: "port", name: "wl-port" } });
    expect(result.diagnoses).toEqual([
      expect.objectContaining({
        code: "no-dhcp-lease",
        hop: null,
        message: expect.stringContaining(`has no host entry for Port wl-port (${port.mac_address})`),
      }),
    ]);
  });
});

describe("a trace from an address the instance does not hold", () => {
  it("ends at the instance's port with port-security-spoof; a probe cannot send it", async () => {
    const forged = "10.65.0.99";
    const result = await api.caller.trace.run({ from: "iso-vm", to: "metadata", source_address: forged });
    expect(result.diagnoses.map((d) => d.code)).toEqual(["port-security-spoof"]);
    expect(result.forward.at(-1)).toMatchObject({
      action: "dropped",
      decided_by: { kind: "security_group" },
      packet: { src: forged, dst: "169.254.169.254" },
    });
    expect(result.diagnoses[0]?.hop).toBe(`forward[${result.forward.length - 1}]`);
    // Its own address passes the same port.
    const own = await api.caller.trace.run({ from: "iso-vm", to: "metadata", source_address: vm.address });
    expect(own.diagnoses.map((d) => d.code)).not.toContain("port-security-spoof");
    await expect(
      api.caller.trace.run({ from: "iso-vm", to: "metadata", source_address: forged, probe: true }),
    ).rejects.toThrow("a source address is for explain only");
  });
});
