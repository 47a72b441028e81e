// Drift, pure: a host that reports exactly what the intent asks has none; each kind of hand change is named on
// the resource it belongs to (a DNAT rule on its floating IP, a route on its router, a tag on its instance).
import { describe, expect, it } from "vitest";
import type { HostIntent } from "../../agent/contract/intent";
import { dhcpIds, labDhcp } from "../../agent/testing/dhcp";
import { haNetwork, haRouter, ids, labIntent } from "../../agent/testing/intent";
import type { HaState, HostSections, SnapshotOvsPort } from "../../lib/host-snapshot";
import { deviceNames, namespaceNames } from "../../lib/names";
import { floatingIpRules, routerOwnRules } from "../../lib/router-nat";
import { computeDrift } from "./drift";

const prefix = "t-";
const chainPrefix = "tnat";
const settings = {
  host: "h1",
  prefix,
  chainPrefix: null,
  integrationBridge: null,
  bridgeMappings: { public: "t-ex" },
};
const inputs = {
  routers: [{ id: ids.router, name: "r1" }],
  floatingIps: [{ id: ids.fip, floatingIpAddress: "203.0.113.20", routerId: ids.router }],
  instances: [{ id: ids.instance, name: "vm1", portId: ids.instancePort }],
  networks: [{ id: ids.external, name: "public" }],
} as unknown as Parameters<typeof computeDrift>[1];

const link = (ifname: string, ...addresses: string[]) => ({
  ifname,
  operstate: "UP",
  addr_info: addresses.map((a) => {
    const [local, len] = a.split("/");
    return { family: "inet", local, prefixlen: Number(len) };
  }),
});

const port = (
  bridge: string,
  name: string,
  tag: number | null,
  network: string,
  ns: string,
): SnapshotOvsPort => ({
  bridge,
  name,
  tag,
  interfaces: [
    {
      name,
      type: "",
      ofport: 1,
      options: {},
      external_ids: { "netlens-network-id": network, "netlens-namespace": ns, "netlens-prefix": prefix },
    },
  ],
});

/** What the agent would report for the lab intent, applied as asked. */
function perfectHost(intent: HostIntent): HostSections {
  const router = intent.routers[0];
  const instance = intent.instances[0];
  const uplink = intent.uplinks[0];
  if (!router?.gateway || !instance || !uplink) throw new Error("lab intent changed");
  const rns = namespaceNames.router(prefix, router.id);
  const ins = namespaceNames.instance(prefix, instance.port_id);
  const uns = namespaceNames.uplink(prefix, uplink.network_id);
  const qg = deviceNames.routerGateway(router.gateway.port_id);
  const rules = [
    ...routerOwnRules(router, chainPrefix),
    ...router.floating_ips.flatMap((f) =>
      Object.values(floatingIpRules(chainPrefix, f.floating_ip_address, f.fixed_ip_address)),
    ),
  ].map((rule) => ({ chain: rule.split(" ")[1] ?? "", rule, packets: 0, bytes: 0 }));
  const h = { hash: "x" };
  return {
    ovsPorts: {
      ...h,
      kind: "ovsPorts",
      bridges: [
        { name: "t-int", datapath_type: "dummy", fail_mode: "secure" },
        { name: "t-ex", datapath_type: "dummy", fail_mode: "secure" },
      ],
      ports: [
        port("t-int", deviceNames.tap(router.gateway.port_id), 1, ids.external, rns),
        port("t-int", deviceNames.tap(ids.interfacePort), 2, ids.tenant, rns),
        port("t-int", deviceNames.tap(instance.port_id), 2, ids.tenant, ins),
        port("t-ex", deviceNames.uplinkTap(uplink.network_id), null, ids.external, uns),
      ],
    },
    [`netns/${rns}/addr`]: {
      ...h,
      kind: "addr" as const,
      namespace: rns,
      links: [
        link("lo", "127.0.0.1/8"),
        link(qg, "203.0.113.10/24", "203.0.113.20/32"),
        link(deviceNames.routerInterface(ids.interfacePort), "10.0.0.1/24"),
      ],
    },
    [`netns/${rns}/routes`]: {
      ...h,
      kind: "routes" as const,
      namespace: rns,
      routes: [
        { dst: "default", gateway: "203.0.113.1", dev: qg, protocol: "static" },
        { dst: "203.0.113.0/24", dev: qg, protocol: "kernel", scope: "link" },
      ],
    },
    [`netns/${rns}/nat`]: { ...h, kind: "nat" as const, namespace: rns, text: "*nat\nCOMMIT\n", rules },
    [`netns/${ins}/addr`]: {
      ...h,
      kind: "addr" as const,
      namespace: ins,
      links: [link("eth0", "10.0.0.5/24")],
    },
    [`netns/${ins}/routes`]: {
      ...h,
      kind: "routes" as const,
      namespace: ins,
      routes: [{ dst: "default", gateway: "10.0.0.1", dev: "eth0", protocol: "static" }],
    },
    [`netns/${uns}/addr`]: {
      ...h,
      kind: "addr" as const,
      namespace: uns,
      links: [link("eth0", "203.0.113.1/24")],
    },
    [`netns/${uns}/routes`]: { ...h, kind: "routes" as const, namespace: uns, routes: [] },
  };
}

describe("drift", () => {
  const intent = labIntent(3);
  const rns = namespaceNames.router(prefix, ids.router);

  it("is empty when the host has exactly what the intent asks", () => {
    expect(computeDrift(intent, inputs, perfectHost(intent), settings)).toEqual([]);
  });

  it("names a missing DNAT rule and /32 on the floating IP, repaired through its router", () => {
    const host = perfectHost(intent);
    const nat = host[`netns/${rns}/nat`];
    const addr = host[`netns/${rns}/addr`];
    if (nat?.kind !== "nat" || addr?.kind !== "addr") throw new Error("no nat");
    const dnat = `-A ${chainPrefix}-PREROUTING -d 203.0.113.20/32 -j DNAT --to-destination 10.0.0.5`;
    nat.rules = nat.rules.filter((r) => r.rule !== dnat);
    addr.links = addr.links.map((l) => (l.ifname?.startsWith("qg-") ? link(l.ifname, "203.0.113.10/24") : l));
    expect(computeDrift(intent, inputs, host, settings)).toEqual([
      {
        kind: "floating_ip",
        id: ids.fip,
        name: "203.0.113.20",
        host: "h1",
        namespace: rns,
        missing: [
          { what: "address", text: `203.0.113.20/32 on ${deviceNames.routerGateway(ids.gatewayPort)}` },
          { what: "nat", text: dnat },
        ],
        extra: [],
        repair_id: ids.router,
      },
    ]);
  });

  it("names a port forwarding the host lacks on its floating IP: the /32 on qg and the fip-pf rule", () => {
    const host = perfectHost(intent);
    const router = intent.routers[0];
    if (!router) throw new Error("lab intent changed");
    const pf = {
      id: "e0000000-0000-4000-8000-000000000001",
      floatingip_id: "f0000000-0000-4000-8000-000000000030",
      floating_ip_address: "203.0.113.30",
      protocol: "udp" as const,
      internal_ip_address: "10.0.0.5",
      internal_port_start: 8080,
      internal_port_end: 8080,
      external_port_start: 9000,
      external_port_end: 9000,
    };
    const forwarding = { ...intent, routers: [{ ...router, port_forwardings: [pf] }] };
    expect(computeDrift(forwarding, inputs, host, settings)).toEqual([
      {
        kind: "floating_ip",
        id: pf.floatingip_id,
        name: "203.0.113.30",
        host: "h1",
        namespace: rns,
        missing: [
          { what: "address", text: `203.0.113.30/32 on ${deviceNames.routerGateway(ids.gatewayPort)}` },
          {
            what: "nat",
            text: `-A ${chainPrefix}-fip-pf -d 203.0.113.30/32 -p udp -m udp --dport 9000 -j DNAT --to-destination 10.0.0.5:8080`,
          },
        ],
        extra: [],
        repair_id: ids.router,
      },
    ]);
  });

  it("puts a missing route, an extra rule, a wrong tag and a stray namespace on their resources", () => {
    const host = perfectHost(intent);
    const routes = host[`netns/${rns}/routes`];
    const nat = host[`netns/${rns}/nat`];
    const ovs = host.ovsPorts;
    if (routes?.kind !== "routes" || nat?.kind !== "nat" || ovs?.kind !== "ovsPorts") throw new Error("lab");
    routes.routes = routes.routes.filter((r) => r.dst !== "default");
    const extra = `-A ${chainPrefix}-PREROUTING -d 203.0.113.99/32 -j DNAT --to-destination 10.0.0.9`;
    nat.rules.push({ chain: `${chainPrefix}-PREROUTING`, rule: extra, packets: 0, bytes: 0 });
    const vmTap = deviceNames.tap(ids.instancePort);
    ovs.ports = ovs.ports.map((p) => (p.name === vmTap ? { ...p, tag: 7 } : p));
    const stray = namespaceNames.router(prefix, "b9999999-0000-4000-8000-000000000009");
    host[`netns/${stray}/addr`] = { hash: "x", kind: "addr" as const, namespace: stray, links: [] };

    const drift = computeDrift(intent, inputs, host, settings);
    const of = (id: string) => drift.find((d) => d.id === id);
    expect(of(ids.router)).toMatchObject({
      missing: [{ what: "route", text: "default via 203.0.113.1" }],
      extra: [{ what: "nat", text: extra }],
    });
    expect(of(ids.instance)).toMatchObject({
      kind: "server",
      name: "vm1",
      missing: [{ what: "tag", text: `${vmTap} tag 2` }],
      extra: [{ what: "tag", text: `${vmTap} tag 7` }],
    });
    expect(of("b9999999-0000-4000-8000-000000000009")).toMatchObject({
      kind: "router",
      missing: [],
      extra: [{ what: "namespace", text: stray }],
    });
    expect(drift).toHaveLength(3);
  });

  it("reports a router namespace gone as one missing namespace, and its floating IP's rules", () => {
    const host = perfectHost(intent);
    for (const key of Object.keys(host))
      if (key.startsWith(`netns/${rns}/`)) delete host[key as keyof HostSections];
    const drift = computeDrift(intent, inputs, host, settings);
    expect(drift.find((d) => d.id === ids.router)?.missing).toEqual([{ what: "namespace", text: rns }]);
    expect(drift.find((d) => d.id === ids.fip)?.missing.map((m) => m.what)).toEqual(["nat", "nat", "nat"]);
  });
});

describe("drift of a DHCP server", () => {
  const intent: HostIntent = { ...labIntent(3), dhcp: [labDhcp()] };
  const dns = namespaceNames.dhcp(prefix, ids.tenant);
  const dhcpInputs = {
    ...inputs,
    networks: [...(inputs.networks as { id: string; name: string }[]), { id: ids.tenant, name: "demo-net" }],
  } as unknown as Parameters<typeof computeDrift>[1];

  /** The lab host with the DHCP server as the agent makes it; `running`: whether dnsmasq runs. */
  function withDhcp(running: boolean): HostSections {
    const host = perfectHost(intent);
    const ovs = host.ovsPorts;
    if (ovs?.kind !== "ovsPorts") throw new Error("lab");
    ovs.ports.push(port("t-int", deviceNames.tap(dhcpIds.port), 2, ids.tenant, dns));
    const h = { hash: "x" };
    host[`netns/${dns}/addr`] = {
      ...h,
      kind: "addr",
      namespace: dns,
      links: [link(deviceNames.dhcpInside(dhcpIds.port), "10.0.0.2/24")],
    };
    host[`netns/${dns}/dhcp`] = {
      ...h,
      kind: "dhcp",
      namespace: dns,
      network_id: ids.tenant,
      running,
      pid: running ? 4242 : null,
      hosts: "",
      opts: "",
      log: [],
    };
    return host;
  }

  it("is none while dnsmasq runs; a dead dnsmasq is a missing process of its network, repaired through it", () => {
    expect(computeDrift(intent, dhcpInputs, withDhcp(true), settings)).toEqual([]);
    expect(computeDrift(intent, dhcpInputs, withDhcp(false), settings)).toEqual([
      {
        kind: "network",
        id: ids.tenant,
        name: "demo-net",
        host: "h1",
        namespace: dns,
        missing: [{ what: "process", text: `dnsmasq in ${dns}` }],
        extra: [],
        repair_id: ids.tenant,
      },
    ]);
  });

  it("shows a qdhcp namespace that no network wants as extra on that network", () => {
    const drift = computeDrift(labIntent(3), dhcpInputs, withDhcp(true), settings);
    expect(drift).toMatchObject([
      { kind: "network", id: ids.tenant, extra: [{ what: "namespace", text: dns }, { what: "ovs-port" }] },
    ]);
  });
});

describe("drift of an HA router", () => {
  const intent = { ...labIntent(3, haRouter(1)), networks: [...labIntent(3).networks, haNetwork] };
  const rns = namespaceNames.router(prefix, ids.router);
  const haDev = deviceNames.routerHa(ids.haPort1);

  /** The lab host with the router made HA, as its agent reports it where keepalived is in `state`. */
  function haHost(state: HaState, holding: boolean): HostSections {
    const host = perfectHost(intent);
    const addr = host[`netns/${rns}/addr`];
    const routes = host[`netns/${rns}/routes`];
    const ports = host.ovsPorts;
    if (addr?.kind !== "addr" || routes?.kind !== "routes" || ports?.kind !== "ovsPorts")
      throw new Error("lab");
    ports.ports.push(port("t-int", deviceNames.tap(ids.haPort1), 3, ids.haNetwork, rns));
    if (!holding) {
      addr.links = addr.links.map((l) => (l.ifname === "lo" ? l : link(l.ifname ?? "")));
      routes.routes = [];
    }
    addr.links.push(link(haDev, "169.254.192.1/18", ...(state === "active" ? ["169.254.0.1/24"] : [])));
    const running = state !== "fault";
    host[`netns/${rns}/ha`] = {
      hash: "x",
      kind: "ha",
      namespace: rns,
      router_id: ids.router,
      ha_state: state,
      running,
      pid: running ? 4242 : null,
    };
    return host;
  }

  it("is none where it is active and holds the router's addresses, nor where it is standby and holds none", () => {
    expect(computeDrift(intent, inputs, haHost("active", true), settings)).toEqual([]);
    expect(computeDrift(intent, inputs, haHost("standby", false), settings)).toEqual([]);
  });

  it("shows the router's addresses and routes on a standby as extra: two hosts would answer for them", () => {
    const [item, ...others] = computeDrift(intent, inputs, haHost("standby", true), settings);
    expect(others).toEqual([]);
    expect(item?.missing).toEqual([]);
    expect(item?.extra).toEqual([
      { what: "address", text: `203.0.113.10/24 on ${deviceNames.routerGateway(ids.gatewayPort)}` },
      { what: "address", text: `203.0.113.20/32 on ${deviceNames.routerGateway(ids.gatewayPort)}` },
      { what: "address", text: `10.0.0.1/24 on ${deviceNames.routerInterface(ids.interfacePort)}` },
      { what: "route", text: "default via 203.0.113.1" },
    ]);
  });

  it("names a keepalived that does not run as a missing process of the router", () => {
    const [item] = computeDrift(intent, inputs, haHost("fault", false), settings);
    expect(item?.missing).toEqual([{ what: "process", text: `keepalived in ${rns} (ha_state fault)` }]);
  });
});
