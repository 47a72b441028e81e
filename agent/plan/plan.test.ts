import { describe, expect, it } from "vitest";
import { ownNamespacePattern } from "../../lib/names";
import { renderRouterNat } from "../../lib/router-nat";
import type { IntentRouter } from "../contract/intent";
import { labDhcp } from "../testing/dhcp";
import { ids, labIntent, labRouter, unitSettings } from "../testing/intent";
import { emptyHost, observedFrom } from "../testing/observed";
import { sortActions } from "./actions";
import { planHost } from "./desired";
import { diffHost } from "./diff";
import { diffNat, isSetChain, parseIptablesSave, renderIptablesSave, renderRestore } from "./iptables";
import { assignLocalVlans, observedLocalVlans } from "./localVlans";
import { normalizeFlow } from "./ovs";
import type { ObservedHost } from "./pictures";

const settings = unitSettings;

/** The router of the unit tests: gateway, two interfaces, three floating IPs (given out of order), two routes. */
function bigRouter(enableSnat: boolean): IntentRouter {
  const base = labRouter();
  if (base.gateway === null) throw new Error("lab router has a gateway");
  return {
    ...base,
    gateway: { ...base.gateway, enable_snat: enableSnat },
    interfaces: [
      ...base.interfaces,
      {
        port_id: ids.interfacePort2,
        network_id: ids.tenant2,
        mac_address: "fa:16:3e:00:00:03",
        ip_address: "10.0.1.1",
        prefixlen: 24,
      },
    ],
    routes: [
      { destination: "10.10.0.0/16", nexthop: "10.0.0.254" },
      { destination: "192.168.50.0/24", nexthop: "10.0.1.254" },
    ],
    floating_ips: [
      {
        id: "f0000000-0000-4000-8000-000000000003",
        floating_ip_address: "203.0.113.30",
        fixed_ip_address: "10.0.1.7",
      },
      {
        id: "f0000000-0000-4000-8000-000000000001",
        floating_ip_address: "203.0.113.20",
        fixed_ip_address: "10.0.0.5",
      },
      {
        id: "f0000000-0000-4000-8000-000000000002",
        floating_ip_address: "203.0.113.21",
        fixed_ip_address: "10.0.0.6",
      },
    ],
    port_forwardings: [
      forwarding("udp", [9000, 9010], [8000, 8010]),
      forwarding("tcp", [9000, 9000], [8080, 8080]),
    ],
  };
}

function forwarding(protocol: "tcp" | "udp", external: [number, number], internal: [number, number]) {
  return {
    id: `e0000000-0000-4000-8000-00000000${protocol === "tcp" ? "0001" : "0002"}`,
    floatingip_id: "f0000000-0000-4000-8000-000000000040",
    floating_ip_address: "203.0.113.40",
    protocol,
    internal_ip_address: "10.0.1.8",
    internal_port_start: internal[0],
    internal_port_end: internal[1],
    external_port_start: external[0],
    external_port_end: external[1],
  };
}

describe("router nat table", () => {
  it("renders Neutron's chains with SNAT on, exactly as iptables-save prints them", () => {
    expect(renderIptablesSave(renderRouterNat(bigRouter(true), "netlens"))).toBe(`*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:netlens-OUTPUT - [0:0]
:netlens-POSTROUTING - [0:0]
:netlens-PREROUTING - [0:0]
:netlens-fip-pf - [0:0]
:netlens-float-snat - [0:0]
:netlens-snat - [0:0]
-A PREROUTING -j netlens-PREROUTING
-A PREROUTING -j netlens-fip-pf
-A OUTPUT -j netlens-OUTPUT
-A OUTPUT -j netlens-fip-pf
-A POSTROUTING -j netlens-POSTROUTING
-A POSTROUTING -j netlens-snat
-A netlens-OUTPUT -d 203.0.113.20/32 -j DNAT --to-destination 10.0.0.5
-A netlens-OUTPUT -d 203.0.113.21/32 -j DNAT --to-destination 10.0.0.6
-A netlens-OUTPUT -d 203.0.113.30/32 -j DNAT --to-destination 10.0.1.7
-A netlens-POSTROUTING ! -i qg-c1000000-00 ! -o qg-c1000000-00 -m conntrack ! --ctstate DNAT -j ACCEPT
-A netlens-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697
-A netlens-PREROUTING -d 203.0.113.20/32 -j DNAT --to-destination 10.0.0.5
-A netlens-PREROUTING -d 203.0.113.21/32 -j DNAT --to-destination 10.0.0.6
-A netlens-PREROUTING -d 203.0.113.30/32 -j DNAT --to-destination 10.0.1.7
-A netlens-fip-pf -d 203.0.113.40/32 -p tcp -m tcp --dport 9000 -j DNAT --to-destination 10.0.1.8:8080
-A netlens-fip-pf -d 203.0.113.40/32 -p udp -m udp --dport 9000:9010 -j DNAT --to-destination 10.0.1.8:8000-8010
-A netlens-float-snat -s 10.0.0.5/32 -j SNAT --to-source 203.0.113.20
-A netlens-float-snat -s 10.0.0.6/32 -j SNAT --to-source 203.0.113.21
-A netlens-float-snat -s 10.0.1.7/32 -j SNAT --to-source 203.0.113.30
-A netlens-snat -j netlens-float-snat
-A netlens-snat -o qg-c1000000-00 -j SNAT --to-source 203.0.113.10
-A netlens-snat -m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT -j SNAT --to-source 203.0.113.10
COMMIT
`);
  });

  it("has no gateway SNAT rule when enable_snat is false, and keeps the floating IPs", () => {
    const text = renderIptablesSave(renderRouterNat(bigRouter(false), "netlens"));
    expect(text).not.toContain("-o qg-c1000000-00 -j SNAT");
    // The hairpin SNAT serves floating IPs: it stays (Neutron adds it with or without enable_snat).
    expect(text).toContain(
      "-A netlens-snat -j netlens-float-snat\n-A netlens-snat -m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT -j SNAT --to-source 203.0.113.10\nCOMMIT\n",
    );
    expect(text).toContain("-A netlens-float-snat -s 10.0.1.7/32 -j SNAT --to-source 203.0.113.30\n");
  });

  it("uses the chain prefix option", () => {
    const text = renderIptablesSave(renderRouterNat(bigRouter(true), "lab7"));
    expect(text).toContain("-A PREROUTING -j lab7-PREROUTING\n");
    expect(text).not.toContain("netlens");
  });

  it("parses iptables-save back, ignoring chains and rules that are not ours", () => {
    const table = renderRouterNat(bigRouter(true), "netlens");
    const saved = renderIptablesSave(table)
      .replace("COMMIT", "-A other-chain -j ACCEPT\n-A POSTROUTING -o eth9 -j MASQUERADE\nCOMMIT")
      .replace(":netlens-OUTPUT", ":other-chain - [0:0]\n:netlens-OUTPUT");
    expect(parseIptablesSave(`# Generated by iptables-save\n${saved}# Completed\n`, "netlens").table).toEqual(
      table,
    );
    expect(diffNat(table, parseIptablesSave(saved, "netlens").table)).toEqual({
      chains: [],
      edits: [],
      deleteJumps: [],
      addJumps: [],
    });
  });

  it("edits the DNAT and float-snat chains in place when one floating IP is added: -A lines, nothing flushed", () => {
    const before = renderRouterNat(bigRouter(true), "netlens");
    const router = bigRouter(true);
    router.floating_ips.push({
      id: "f0000000-0000-4000-8000-000000000009",
      floating_ip_address: "203.0.113.40",
      fixed_ip_address: "10.0.0.9",
    });
    const change = diffNat(renderRouterNat(router, "netlens"), before);
    expect(change.chains).toEqual([]);
    expect(renderRestore(change.chains, change.deleteJumps, change.addJumps, change.edits)).toBe(`*nat
-A netlens-OUTPUT -d 203.0.113.40/32 -j DNAT --to-destination 10.0.0.9
-A netlens-PREROUTING -d 203.0.113.40/32 -j DNAT --to-destination 10.0.0.9
-A netlens-float-snat -s 10.0.0.9/32 -j SNAT --to-source 203.0.113.40
COMMIT
`);
  });

  it("deletes a removed floating IP's rules and moves a re-pointed one with -D then -A", () => {
    const more = (router: IntentRouter) => {
      for (let n = 50; n < 55; n++)
        router.floating_ips.push({
          id: `f0000000-0000-4000-8000-0000000000${n}`,
          floating_ip_address: `203.0.113.${n}`,
          fixed_ip_address: `10.0.2.${n}`,
        });
      return router;
    };
    const before = renderRouterNat(more(bigRouter(true)), "netlens");
    const router = more(bigRouter(true));
    router.floating_ips = router.floating_ips
      .filter((f) => f.floating_ip_address !== "203.0.113.30")
      .map((f) => (f.floating_ip_address === "203.0.113.21" ? { ...f, fixed_ip_address: "10.0.0.7" } : f));
    router.floating_ips.push({
      id: "f0000000-0000-4000-8000-000000000011",
      floating_ip_address: "203.0.113.41",
      fixed_ip_address: "10.0.0.11",
    });
    const change = diffNat(renderRouterNat(router, "netlens"), before);
    expect(change.chains).toEqual([]);
    expect(renderRestore(change.chains, change.deleteJumps, change.addJumps, change.edits)).toBe(`*nat
-D netlens-OUTPUT -d 203.0.113.21/32 -j DNAT --to-destination 10.0.0.6
-D netlens-OUTPUT -d 203.0.113.30/32 -j DNAT --to-destination 10.0.1.7
-D netlens-PREROUTING -d 203.0.113.21/32 -j DNAT --to-destination 10.0.0.6
-D netlens-PREROUTING -d 203.0.113.30/32 -j DNAT --to-destination 10.0.1.7
-D netlens-float-snat -s 10.0.0.6/32 -j SNAT --to-source 203.0.113.21
-D netlens-float-snat -s 10.0.1.7/32 -j SNAT --to-source 203.0.113.30
-A netlens-OUTPUT -d 203.0.113.21/32 -j DNAT --to-destination 10.0.0.7
-A netlens-OUTPUT -d 203.0.113.41/32 -j DNAT --to-destination 10.0.0.11
-A netlens-PREROUTING -d 203.0.113.21/32 -j DNAT --to-destination 10.0.0.7
-A netlens-PREROUTING -d 203.0.113.41/32 -j DNAT --to-destination 10.0.0.11
-A netlens-float-snat -s 10.0.0.7/32 -j SNAT --to-source 203.0.113.21
-A netlens-float-snat -s 10.0.0.11/32 -j SNAT --to-source 203.0.113.41
COMMIT
`);
  });

  it("rewrites <p>-snat whole (its jump to float-snat must stay first) and a chain the edit would not shorten", () => {
    const before = renderRouterNat(bigRouter(false), "netlens");
    const router = bigRouter(true);
    router.floating_ips = router.floating_ips.slice(0, 1);
    const change = diffNat(renderRouterNat(router, "netlens"), before);
    expect(change.edits).toEqual([]);
    expect(renderRestore(change.chains, change.deleteJumps, change.addJumps, change.edits)).toBe(`*nat
:netlens-OUTPUT - [0:0]
:netlens-PREROUTING - [0:0]
:netlens-float-snat - [0:0]
:netlens-snat - [0:0]
-A netlens-OUTPUT -d 203.0.113.30/32 -j DNAT --to-destination 10.0.1.7
-A netlens-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697
-A netlens-PREROUTING -d 203.0.113.30/32 -j DNAT --to-destination 10.0.1.7
-A netlens-float-snat -s 10.0.1.7/32 -j SNAT --to-source 203.0.113.30
-A netlens-snat -j netlens-float-snat
-A netlens-snat -o qg-c1000000-00 -j SNAT --to-source 203.0.113.10
-A netlens-snat -m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT -j SNAT --to-source 203.0.113.10
COMMIT
`);
  });

  it("takes a set chain in another order as converged, and deletes a rule held twice once", () => {
    const table = renderRouterNat(bigRouter(true), "netlens");
    const shuffled = {
      ...table,
      chains: table.chains.map((c) =>
        c.name === "netlens-PREROUTING" ? { ...c, rules: [...c.rules].reverse() } : c,
      ),
    };
    expect(diffNat(table, shuffled)).toEqual({ chains: [], edits: [], deleteJumps: [], addJumps: [] });
    const doubled = {
      ...table,
      chains: table.chains.map((c) =>
        c.name === "netlens-float-snat" ? { ...c, rules: [...c.rules, c.rules[0] ?? ""] } : c,
      ),
    };
    expect(diffNat(table, doubled).edits).toEqual([
      {
        chain: "netlens-float-snat",
        remove: ["-A netlens-float-snat -s 10.0.0.5/32 -j SNAT --to-source 203.0.113.20"],
        add: [],
      },
    ]);
  });

  it("orders only chains whose rules each match one distinct host address", () => {
    expect(isSetChain(["-A x -d 10.0.0.1/32 -j DNAT --to-destination 10.1.0.1"])).toBe(true);
    expect(
      isSetChain([
        "-A x -s 10.0.0.1/32 -j SNAT --to-source 10.2.0.1",
        "-A x -s 10.0.0.1/32 -j SNAT --to-source 10.2.0.2",
      ]),
    ).toBe(false);
    expect(isSetChain(["-A x -d 10.0.0.0/24 -j DNAT --to-destination 10.1.0.1"])).toBe(false);
    expect(isSetChain(["-A x -j x-float-snat"])).toBe(false);
  });
});

describe("router namespace", () => {
  it("holds qg with the gateway address and floating IPs as /32, qr per interface, default and extra routes", () => {
    const intent = labIntent(1, bigRouter(true));
    intent.networks.push({
      id: ids.tenant2,
      network_type: "vxlan",
      physical_network: null,
      segmentation_id: 1002,
      mtu: 1450,
    });
    const plan = planHost(intent, settings, new Map());
    expect(plan.errors).toEqual([]);
    const ns = plan.namespaces.find((n) => n.kind === "router");
    expect(ns?.name).toBe(`t1-qrouter-${ids.router}`);
    expect(ns?.forwarding).toBe(true);
    // The floating IP that forwards ports is on qg too (203.0.113.40), as Neutron puts it.
    expect(ns?.devices).toEqual([
      {
        name: "qg-c1000000-00",
        peer: "tapc1000000-00",
        mac: "fa:16:3e:00:00:01",
        mtu: 1500,
        addresses: [
          "203.0.113.10/24",
          "203.0.113.20/32",
          "203.0.113.21/32",
          "203.0.113.30/32",
          "203.0.113.40/32",
        ],
        announce: true,
      },
      {
        name: "qr-c2000000-00",
        peer: "tapc2000000-00",
        mac: "fa:16:3e:00:00:02",
        mtu: 1450,
        addresses: ["10.0.0.1/24"],
        announce: false,
      },
      {
        name: "qr-c3000000-00",
        peer: "tapc3000000-00",
        mac: "fa:16:3e:00:00:03",
        mtu: 1450,
        addresses: ["10.0.1.1/24"],
        announce: false,
      },
    ]);
    expect(ns?.routes).toEqual([
      { destination: "default", via: "203.0.113.1" },
      { destination: "10.10.0.0/16", via: "10.0.0.254" },
      { destination: "192.168.50.0/24", via: "10.0.1.254" },
    ]);
  });

  it("refuses a gateway on a physical network with no bridge mapping, and keeps what the host has", () => {
    const plan = planHost(labIntent(1), { ...settings, bridgeMappings: {} }, new Map());
    expect(plan.errors.map((e) => e.resource_id)).toEqual([ids.router, ids.external]);
    expect(plan.errors[0]?.message).toMatch(/no bridge mapping/);
    expect(plan.keep.has(`t1-qrouter-${ids.router}`)).toBe(true);
    expect(plan.namespaces.map((n) => n.kind)).toEqual(["instance"]);
  });
});

describe("local VLANs", () => {
  it("keeps the tags networks already have and gives new networks the lowest free tag", () => {
    const existing = new Map([
      ["net-b", 1],
      ["net-c", 3],
      ["gone", 2],
    ]);
    const tags = assignLocalVlans(["net-a", "net-b", "net-c", "net-d"], existing);
    expect(Object.fromEntries(tags)).toEqual({ "net-a": 2, "net-b": 1, "net-c": 3, "net-d": 4 });
  });

  it("reads the tags from our ports on the integration bridge only", () => {
    const port = (name: string, bridge: string, tag: number | null, network: string) => ({
      name,
      bridge,
      tag,
      ofport: 1,
      externalIds: { "netlens-network-id": network, "netlens-prefix": "t1-" },
    });
    const tags = observedLocalVlans(
      [port("a", "br-int", 7, "n1"), port("b", "br-ex", 100, "n2"), port("c", "br-int", 9, "n1")],
      "br-int",
    );
    expect(Object.fromEntries(tags)).toEqual({ n1: 7 });
  });

  it("keeps a tag seen on the host across plans", () => {
    const plan = planHost(labIntent(1), settings, new Map([[ids.tenant, 5]]));
    const tags = Object.fromEntries(plan.ovsPorts.map((p) => [p.name, p.tag]));
    // The external network (gateway) takes the lowest free tag; the tenant keeps 5; the uplink is untagged.
    expect(tags).toEqual({
      "tapc1000000-00": 1,
      "tapc2000000-00": 5,
      "tapc4000000-00": 5,
      "uple0000000-00": null,
    });
  });
});

describe("flows", () => {
  it("translates the local tag to untagged (flat) on the patch ports and drops the rest", () => {
    const plan = planHost(labIntent(1), settings, new Map());
    // The integration bridge's table 0 (the firewall's tables are plan/firewall.test.ts's), in any order.
    const table0 = plan.flows.map((f) => ({
      bridge: f.bridge,
      flows: f.flows.filter((l) => !l.includes("table=")).sort(),
    }));
    expect(table0).toEqual([
      {
        bridge: "br-int",
        flows: [
          "cookie=0x4e4c,priority=0 actions=NORMAL",
          // The router's ports (gateway, interface): what they send to a filtered port passes its ingress filter.
          "cookie=0x4e4c,priority=10,in_port=tapc1000000-00 actions=load:0x1->NXM_NX_REG6[],resubmit(,60)",
          "cookie=0x4e4c,priority=10,in_port=tapc2000000-00 actions=load:0x2->NXM_NX_REG6[],resubmit(,60)",
          "cookie=0x4e4c,priority=2,in_port=int-br-ex actions=drop",
          "cookie=0x4e4c,priority=3,in_port=int-br-ex,vlan_tci=0x0000/0x1fff actions=mod_vlan_vid:1,load:0x1->NXM_NX_REG6[],resubmit(,60)",
        ],
      },
      {
        bridge: "br-ex",
        flows: [
          "cookie=0x4e4c,priority=0 actions=NORMAL",
          "cookie=0x4e4c,priority=2,in_port=phy-br-ex actions=drop",
          "cookie=0x4e4c,priority=4,in_port=phy-br-ex,dl_vlan=1 actions=strip_vlan,NORMAL",
        ],
      },
    ]);
  });

  it("translates to the segmentation id for a vlan network", () => {
    const intent = labIntent(1);
    const network = intent.networks[0];
    if (network === undefined) throw new Error("fixture");
    network.network_type = "vlan";
    network.segmentation_id = 100;
    const flows = planHost(intent, settings, new Map()).flows.flatMap((f) => f.flows);
    expect(flows).toContain(
      "cookie=0x4e4c,priority=3,in_port=int-br-ex,dl_vlan=100 actions=mod_vlan_vid:1,load:0x1->NXM_NX_REG6[],resubmit(,60)",
    );
    expect(flows).toContain(
      "cookie=0x4e4c,priority=4,in_port=phy-br-ex,dl_vlan=1 actions=mod_vlan_vid:100,NORMAL",
    );
  });

  it("translates on the host's own bridge for the physical network, whatever another host names it", () => {
    const intent = labIntent(1, null);
    const network = intent.networks[0];
    const instance = intent.instances[0];
    if (network === undefined || instance === undefined) throw new Error("fixture");
    network.network_type = "vlan";
    network.segmentation_id = 2101;
    instance.network_id = network.id;
    const plan = planHost(intent, { ...settings, bridgeMappings: { public: "br-prov" } }, new Map());
    expect(plan.errors).toEqual([]);
    const onBridge = new Map(plan.flows.map((f) => [f.bridge, f.flows]));
    expect([...onBridge.keys()].sort()).toEqual(["br-int", "br-prov"]);
    expect(onBridge.get("br-prov")).toContain(
      "cookie=0x4e4c,priority=4,in_port=phy-br-prov,dl_vlan=1 actions=mod_vlan_vid:2101,NORMAL",
    );
    expect(onBridge.get("br-int")).toContain(
      "cookie=0x4e4c,priority=3,in_port=int-br-prov,dl_vlan=2101 actions=mod_vlan_vid:1,load:0x1->NXM_NX_REG6[],resubmit(,60)",
    );
    // A host without a bridge for it refuses the instance by name rather than plugging it with no path.
    const unmapped = planHost(intent, { ...settings, bridgeMappings: {} }, new Map());
    expect(unmapped.errors.find((e) => e.resource_id === ids.instance)?.message).toBe(
      `Physical network public of network ${network.id} has no bridge mapping on this host (its port would have no path to that network)`,
    );
    expect(unmapped.namespaces.filter((n) => n.kind === "instance")).toEqual([]);
  });

  it("normalises ovs-ofctl's dump-flows lines to our form", () => {
    expect(
      normalizeFlow(
        ' cookie=0x4e4c, priority=3,in_port="int-br-ex",vlan_tci=0x0000/0x1fff actions=mod_vlan_vid:1,NORMAL',
      ),
    ).toBe("cookie=0x4e4c,priority=3,in_port=int-br-ex,vlan_tci=0x0000/0x1fff actions=mod_vlan_vid:1,NORMAL");
    expect(normalizeFlow(" cookie=0x4e4c, table=72, priority=0 actions=drop")).toBe(
      "cookie=0x4e4c,table=72,priority=0 actions=drop",
    );
  });
});

describe("diff", () => {
  it("is empty when the host already matches", () => {
    const plan = planHost(labIntent(1), settings, new Map());
    expect(diffHost(plan, observedFrom(plan), settings.prefix)).toEqual([]);
  });

  it("builds an empty host in order: namespaces, veths, OVS ports, addresses, routes, NAT, flows", () => {
    const plan = planHost(labIntent(1), settings, new Map());
    const empty = emptyHost();
    const kinds = diffHost(plan, empty, settings.prefix).map((a) => a.kind);
    expect([...new Set(kinds)]).toEqual([
      // The router's metadata proxy, in case one of ours outlived the namespace (nothing when none runs).
      "daemon-stop",
      "netns-add",
      "veth-add",
      "ovs-port-set",
      "lo-up",
      "link-set",
      "addr-add",
      "route-set",
      "forwarding",
      "nat-chains",
      "flows-set",
      "daemon-files",
      "daemon-start",
      "arp-announce",
    ]);
    expect(sortActions(diffHost(plan, empty, settings.prefix))).toEqual(
      diffHost(plan, empty, settings.prefix),
    );
  });

  it("changes a group's rules flow by flow, and anything else (or several kinds) in one bundle", () => {
    const rule = (port: number) =>
      `cookie=0x4e4c,table=83,priority=70,tcp,reg7=0xab,tp_dst=${port} actions=load:0x1->NXM_NX_REG9[0]`;
    const portFlow = "cookie=0x4e4c,priority=10,in_port=tapx actions=drop";
    const flowsSet = (want: string[], have: string[]) => {
      const host: ObservedHost = {
        namespaces: new Map(),
        ovsPorts: [],
        tunnelPorts: [],
        flows: new Map([["br-int", have]]),
        rootLinks: new Map(),
      };
      const plan = {
        namespaces: [],
        ovsPorts: [],
        tunnelPorts: [],
        flows: [{ bridge: "br-int", flows: want }],
        errors: [],
        keep: new Set<string>(),
      };
      return diffHost(plan, host, settings.prefix).find((a) => a.kind === "flows-set");
    };
    expect(flowsSet([rule(22), rule(80)], [rule(443)])).toMatchObject({ atomic: false });
    expect(flowsSet([portFlow], [])).toMatchObject({ atomic: false });
    expect(flowsSet([rule(22), portFlow], [])).toMatchObject({ atomic: true });
  });

  it("plugs an OVS port again when its veth is made again (the datapath would still read the old device)", () => {
    const plan = planHost(labIntent(1), settings, new Map());
    const host = observedFrom(plan);
    const routerNs = `t1-qrouter-${ids.router}`;
    const router = plan.namespaces.find((ns) => ns.name === routerNs);
    const gateway = router?.devices.find((d) => d.name.startsWith("qg-"));
    if (gateway === undefined) throw new Error("no gateway device");
    // The pair is gone (the host lost the namespace's devices); OVS still has its port, ofport and all.
    host.rootLinks.delete(gateway.peer);
    const actions = diffHost(plan, host, settings.prefix);
    const onPort = actions.filter((a) => "port" in a && a.port === gateway.peer).map((a) => a.kind);
    expect(onPort).toEqual(["ovs-port-del", "ovs-port-set"]);
    expect(actions.find((a) => a.kind === "ovs-port-set" && a.port === gateway.peer)).toMatchObject({
      create: true,
    });
    // The other ports, whose veths stay, are left alone.
    expect(actions.filter((a) => a.kind === "ovs-port-del")).toHaveLength(1);
  });

  it("removes what is ours and no longer wanted, and nothing that is not ours", () => {
    const plan = planHost(labIntent(1), settings, new Map());
    const host = observedFrom(plan);
    const stale = `t1-qprobe-${"9".repeat(8)}-0000-4000-8000-000000000000`;
    host.namespaces.set(stale, { name: stale, loUp: true, devices: [], routes: [], nat: null });
    host.ovsPorts.push({
      name: "tap99999999-00",
      bridge: "br-int",
      tag: 9,
      ofport: 4,
      externalIds: { "netlens-prefix": "t1-", "netlens-namespace": stale },
    });
    const actions = diffHost(plan, host, settings.prefix);
    expect(actions).toEqual([
      { kind: "ovs-port-del", port: "tap99999999-00", resource: "99999999-0000-4000-8000-000000000000" },
      { kind: "netns-del", ns: stale, resource: "99999999-0000-4000-8000-000000000000" },
    ]);
  });

  it("deletes a removed namespace's veth from the root namespace, but leaves a kept namespace's device to it", () => {
    const plan = planHost(labIntent(1), settings, new Map());
    const host = observedFrom(plan);
    const tags = observedLocalVlans(host.ovsPorts, settings.integrationBridge);
    const noRouter = planHost(labIntent(2, null), settings, tags);
    const withoutInterface = planHost(labIntent(3, labRouter({ interfaces: [] })), settings, tags);
    const routerNs = `t1-qrouter-${ids.router}`;
    const proxyDir = `${settings.metadataDir}/${ids.router}`;
    expect(diffHost(noRouter, host, settings.prefix).filter((a) => a.kind !== "flows-set")).toEqual([
      // Its metadata proxy first: a process left inside would keep the namespace alive.
      {
        kind: "daemon-stop",
        ns: routerNs,
        program: "haproxy",
        pidFile: `${proxyDir}/pid`,
        purge: proxyDir,
        resource: ids.router,
      },
      { kind: "ovs-port-del", port: "tapc1000000-00", resource: ids.router },
      { kind: "ovs-port-del", port: "tapc2000000-00", resource: ids.router },
      { kind: "root-link-del", dev: "tapc1000000-00", resource: ids.router },
      { kind: "root-link-del", dev: "tapc2000000-00", resource: ids.router },
      { kind: "netns-del", ns: routerNs, resource: ids.router },
    ]);
    expect(
      diffHost(withoutInterface, host, settings.prefix)
        .filter((a) => a.kind !== "flows-set" && a.kind !== "nat-chains")
        .map((a) => a.kind),
    ).toEqual(["daemon-stop", "ovs-port-del", "link-del"]); // no interface: no instances to serve metadata to
  });

  it("recognises only namespaces with our prefix, kind and a uuid", () => {
    const pattern = ownNamespacePattern("t1-");
    expect(pattern.test(`t1-qrouter-${ids.router}`)).toBe(true);
    expect(pattern.test(`qrouter-${ids.router}`)).toBe(false);
    expect(pattern.test(`t2-qrouter-${ids.router}`)).toBe(false);
    expect(pattern.test(`t1-qrouter-${ids.router}x`)).toBe(false);
    expect(ownNamespacePattern("").test(`t1-qrouter-${ids.router}`)).toBe(false);
  });

  it("changes a network's MTU in place on every device on it (probe, qr-, DHCP port, their peers), nothing re-created", () => {
    const before = { ...labIntent(1), dhcp: [labDhcp({ mtu: 1450 })] };
    const host = observedFrom(planHost(before, settings, new Map()));
    const lowered = { ...labIntent(2), dhcp: [labDhcp({ mtu: 1400 })] };
    lowered.networks = lowered.networks.map((n) => (n.id === ids.tenant ? { ...n, mtu: 1400 } : n));
    lowered.instances = lowered.instances.map((i) => ({ ...i, mtu: 1400 }));
    const tags = observedLocalVlans(host.ovsPorts, settings.integrationBridge);
    const plan = planHost(lowered, settings, tags);
    const tenantDevices = plan.namespaces.flatMap((ns) => ns.devices.filter((d) => d.mtu === 1400));
    expect(tenantDevices.map((d) => d.name).sort()).toEqual(["eth0", "ns-c5000000-00", "qr-c2000000-00"]);
    const actions = diffHost(plan, host, settings.prefix);
    const changed = actions.flatMap((a) => {
      if (a.kind === "link-set") return [`${a.dev} ${a.mtu}`];
      if (a.kind === "root-link-set") return [`root ${a.dev} ${a.mtu}`];
      return [];
    });
    expect(changed.sort()).toEqual([
      "eth0 1400",
      "ns-c5000000-00 1400",
      "qr-c2000000-00 1400",
      "root tapc2000000-00 1400",
      "root tapc4000000-00 1400",
      "root tapc5000000-00 1400",
    ]);
    // The DHCP server's option 26 changes with it: its files are rewritten and it reloads (SIGHUP), no restart.
    expect(actions.map((a) => a.kind).filter((k) => k !== "link-set" && k !== "root-link-set")).toEqual([
      "daemon-files",
      "daemon-reload",
    ]);
  });

  it("moves an address and a route without touching the rest", () => {
    const plan = planHost(labIntent(1), settings, new Map());
    const host = observedFrom(plan);
    const intent = labIntent(
      2,
      labRouter({ floating_ips: [], routes: [{ destination: "10.9.0.0/16", nexthop: "10.0.0.9" }] }),
    );
    const tags = observedLocalVlans(host.ovsPorts, settings.integrationBridge);
    const actions = diffHost(planHost(intent, settings, tags), host, settings.prefix);
    expect(actions.map((a) => a.kind)).toEqual(["addr-del", "route-set", "nat-chains"]);
  });
});
