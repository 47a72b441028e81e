import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type {
  HostIntent,
  IntentFirewallPort,
  IntentFirewallRule,
  IntentSecurityGroup,
} from "../contract/intent";
import { planBridgeFlows } from "./bridge-flows";
import { FirewallCache, groupIndexes, groupRuleFlow, planFirewall, portMasks } from "./firewall";

const portId = "00000000-0000-4000-8000-0000000000a1";
const networkId = "00000000-0000-4000-8000-0000000000b1";
const mac = "fa:16:3e:00:00:0a";
/** A group whose id gives it the index 0xab in reg7. */
const groupId = "000000ab-0000-4000-8000-0000000000e1";

const rule = (fields: Partial<IntentFirewallRule>): IntentFirewallRule => ({
  direction: "ingress",
  protocol: null,
  port_range_min: null,
  port_range_max: null,
  remote_ip_prefixes: null,
  ...fields,
});

const entry = (fields: Partial<IntentFirewallPort> = {}): IntentFirewallPort => ({
  port_id: portId,
  network_id: networkId,
  mac_address: mac,
  fixed_ips: ["10.0.0.5"],
  allowed_address_pairs: [],
  port_security_enabled: true,
  security_groups: [groupId],
  ...fields,
});

const group = (rules: IntentFirewallRule[], id = groupId): IntentSecurityGroup => ({ id, rules });
const flowsOf = (e: IntentFirewallPort | null, rules: IntentFirewallRule[] = []) =>
  planFirewall([{ name: "tapa", vlan: 5, entry: e }], [], [group(rules)]).flows;
const inTable = (flows: string[], table: number) => flows.filter((f) => f.includes(`,table=${table},`));

describe("anti-spoofing (table 71)", () => {
  it("lets a port send IP and ARP only from its MAC with its fixed IPs and allowed address pairs", () => {
    const flows = flowsOf(
      entry({ allowed_address_pairs: [{ ip_address: "10.0.0.100/32", mac_address: "fa:16:3e:00:00:99" }] }),
    );
    expect(inTable(flows, 71).sort()).toEqual(
      [
        "cookie=0x4e4c,table=71,priority=0 actions=drop",
        "cookie=0x4e4c,table=71,priority=65,ip,in_port=tapa,dl_src=fa:16:3e:00:00:0a,nw_src=10.0.0.5 actions=ct(table=72,zone=5)",
        "cookie=0x4e4c,table=71,priority=65,ip,in_port=tapa,dl_src=fa:16:3e:00:00:99,nw_src=10.0.0.100 actions=ct(table=72,zone=5)",
        "cookie=0x4e4c,table=71,priority=70,udp,in_port=tapa,tp_src=67,tp_dst=68 actions=drop",
        "cookie=0x4e4c,table=71,priority=95,arp,in_port=tapa,dl_src=fa:16:3e:00:00:0a,arp_spa=10.0.0.5,arp_sha=fa:16:3e:00:00:0a actions=resubmit(,60)",
        "cookie=0x4e4c,table=71,priority=95,arp,in_port=tapa,dl_src=fa:16:3e:00:00:99,arp_spa=10.0.0.100,arp_sha=fa:16:3e:00:00:99 actions=resubmit(,60)",
        "cookie=0x4e4c,table=71,priority=95,udp,in_port=tapa,dl_src=fa:16:3e:00:00:0a,tp_src=68,tp_dst=67 actions=resubmit(,60)",
        "cookie=0x4e4c,table=71,priority=95,udp,in_port=tapa,dl_src=fa:16:3e:00:00:99,tp_src=68,tp_dst=67 actions=resubmit(,60)",
      ].sort(),
    );
    // Both MACs are the port's on the way in too.
    expect(inTable(flows, 60)).toContain(
      "cookie=0x4e4c,table=60,priority=90,reg6=0x5,dl_dst=fa:16:3e:00:00:99 actions=resubmit(,81)",
    );
  });

  it("sends a filtered port's traffic to the egress tables, with its network in reg6", () => {
    expect(flowsOf(entry())).toContain(
      "cookie=0x4e4c,priority=10,in_port=tapa actions=load:0x5->NXM_NX_REG6[],resubmit(,71)",
    );
  });

  it("leaves a port without port security unfiltered: no anti-spoofing, no rules, straight to switching", () => {
    const flows = flowsOf(entry({ port_security_enabled: false }), [rule({ protocol: 1 })]);
    const ofPort = flows.filter((f) => f.includes("tapa") || f.includes(mac));
    expect(ofPort).toEqual([
      "cookie=0x4e4c,priority=10,in_port=tapa actions=load:0x5->NXM_NX_REG6[],resubmit(,60)",
    ]);
  });

  it("drops everything from a port whose entry was refused rather than let it through unfiltered", () => {
    const flows = flowsOf(null);
    expect(flows.filter((f) => f.includes("tapa"))).toEqual([
      "cookie=0x4e4c,priority=10,in_port=tapa actions=drop",
    ]);
  });
});

describe("rules (tables 72/73/91 and 82/83/92)", () => {
  it("walks a new connection through each of the port's groups, then commits what one allowed into the network's zone", () => {
    const other = "0000000c-0000-4000-8000-0000000000e2";
    const { flows } = planFirewall(
      [{ name: "tapa", vlan: 5, entry: entry({ security_groups: [groupId, other] }) }],
      [],
      [group([rule({ direction: "egress" })]), group([rule({ protocol: 1 })], other)],
    );
    expect(flows).toContain(
      "cookie=0x4e4c,table=72,priority=70,ct_state=+new-est+trk,in_port=tapa actions=load:0xab->NXM_NX_REG7[],resubmit(,73),load:0xc->NXM_NX_REG7[],resubmit(,73),resubmit(,91)",
    );
    expect(flows).toContain(
      "cookie=0x4e4c,table=82,priority=70,ct_state=+new-est+trk,reg6=0x5,dl_dst=fa:16:3e:00:00:0a actions=load:0xab->NXM_NX_REG7[],resubmit(,83),load:0xc->NXM_NX_REG7[],resubmit(,83),resubmit(,92)",
    );
    expect(flows).toContain(
      "cookie=0x4e4c,table=73,priority=70,ip,reg7=0xab actions=load:0x1->NXM_NX_REG8[0]",
    );
    expect(flows).toContain(
      "cookie=0x4e4c,table=83,priority=70,icmp,reg7=0xc actions=load:0x1->NXM_NX_REG9[0]",
    );
    expect(flows).toContain(
      "cookie=0x4e4c,table=91,priority=70,ip,reg8=0x1/0x1 actions=ct(commit,zone=NXM_NX_REG6[0..15]),resubmit(,60)",
    );
    expect(flows).toContain(
      "cookie=0x4e4c,table=92,priority=70,ip,reg6=0x5,reg9=0x1/0x1,dl_dst=fa:16:3e:00:00:0a actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:tapa",
    );
  });

  it("writes a group's rules once for all its ports, and only the groups a port here names", () => {
    const ports = [1, 2, 3].map((n) => ({
      name: `tap${n}`,
      vlan: 5,
      entry: entry({ mac_address: `fa:16:3e:00:03:0${n}` }),
    }));
    const unused = group([rule({ protocol: 6 })], "0000000d-0000-4000-8000-0000000000e3");
    const { flows } = planFirewall(ports, [], [group([rule({ protocol: 1 })]), unused]);
    expect(flows.filter(groupRuleFlow)).toEqual([
      "cookie=0x4e4c,table=83,priority=70,icmp,reg7=0xab actions=load:0x1->NXM_NX_REG9[0]",
    ]);
  });

  it("matches a remote group's members one address each, and nothing when it has none", () => {
    const members = flowsOf(entry(), [
      rule({
        protocol: 6,
        port_range_min: 22,
        port_range_max: 22,
        remote_ip_prefixes: ["10.0.0.7/32", "10.0.1.0/24"],
      }),
      rule({ protocol: 1, port_range_min: 8, port_range_max: 0, remote_ip_prefixes: ["0.0.0.0/0"] }),
    ]);
    expect(members.filter(groupRuleFlow)).toEqual([
      "cookie=0x4e4c,table=83,priority=70,tcp,reg7=0xab,nw_src=10.0.0.7,tp_dst=22 actions=load:0x1->NXM_NX_REG9[0]",
      "cookie=0x4e4c,table=83,priority=70,tcp,reg7=0xab,nw_src=10.0.1.0/24,tp_dst=22 actions=load:0x1->NXM_NX_REG9[0]",
      "cookie=0x4e4c,table=83,priority=70,icmp,reg7=0xab,icmp_type=8,icmp_code=0 actions=load:0x1->NXM_NX_REG9[0]",
    ]);
    const empty = flowsOf(entry(), [rule({ remote_ip_prefixes: [] })]);
    expect(empty.filter(groupRuleFlow)).toEqual([]);
  });

  it("splits a port range into masks and names other protocols by number", () => {
    const flows = flowsOf(entry(), [
      rule({ direction: "egress", protocol: 17, port_range_min: 1000, port_range_max: 1003 }),
      rule({ direction: "egress", protocol: 47 }),
    ]);
    expect(flows.filter(groupRuleFlow)).toEqual([
      "cookie=0x4e4c,table=73,priority=70,udp,reg7=0xab,tp_dst=0x3e8/0xfffc actions=load:0x1->NXM_NX_REG8[0]",
      "cookie=0x4e4c,table=73,priority=70,ip,reg7=0xab,nw_proto=47 actions=load:0x1->NXM_NX_REG8[0]",
    ]);
  });

  it("drops invalid connections and passes replies in both directions", () => {
    const flows = flowsOf(entry());
    expect(flows).toContain("cookie=0x4e4c,table=72,priority=90,ct_state=+inv+trk actions=drop");
    expect(flows).toContain("cookie=0x4e4c,table=82,priority=90,ct_state=+inv+trk actions=drop");
    expect(flows).toContain(
      "cookie=0x4e4c,table=82,priority=80,ct_state=+est-rel-inv+trk,reg6=0x5,dl_dst=fa:16:3e:00:00:0a actions=output:tapa",
    );
  });

  it("gives a port without groups no way for a new connection through (the tables' defaults drop it)", () => {
    const flows = flowsOf(entry({ security_groups: [] }), [rule({ protocol: 1 })]);
    expect(flows.filter((f) => f.includes("priority=70,ct_state=+new") || groupRuleFlow(f))).toEqual([]);
  });
});

describe("groupIndexes", () => {
  it("takes a group's index from its id and gives a clash the next free one", () => {
    const a = "000000ab-0000-4000-8000-0000000000e1";
    const b = "000000ab-0000-4000-8000-0000000000e2";
    expect([...groupIndexes([b, a, a])]).toEqual([
      [a, 0xab],
      [b, 0xac],
    ]);
  });
});

describe("portMasks", () => {
  it("covers exactly the range", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 3000 }), (min, span) => {
        const max = Math.min(65535, min + span);
        const masks = portMasks(min, max);
        if (min <= 1 && max === 65535) return masks.length === 1 && masks[0]?.[1] === 0;
        const covered = (p: number) => masks.filter(([v, m]) => (p & m) === v).length;
        for (const p of [min - 1, min, max, max + 1, Math.floor((min + max) / 2)])
          if (covered(p) !== (p >= min && p <= max ? 1 : 0)) return false;
        return true;
      }),
    );
  });
});

describe("planBridgeFlows", () => {
  const intent: HostIntent = {
    revision: 1,
    networks: [
      { id: networkId, network_type: "vxlan", physical_network: null, segmentation_id: 9, mtu: 1450 },
    ],
    routers: [],
    instances: [],
    uplinks: [],
    ports: [{ port_id: portId, network_id: networkId, mac_address: mac, admin_state_up: true }],
    firewall: [entry()],
  };
  const settings = { integrationBridge: "br-int", bridgeMappings: {} };
  const vlans = new Map([[networkId, 3]]);

  it("filters a bound workload by the interface it was plugged as", () => {
    const flows = planBridgeFlows(intent, settings, vlans, {
      present: null,
      workloadPorts: new Map([[portId, "vm-tap0"]]),
    });
    expect(flows[0]?.flows).toContain(
      "cookie=0x4e4c,priority=10,in_port=vm-tap0 actions=load:0x3->NXM_NX_REG6[],resubmit(,71)",
    );
  });

  it("names no interface the bridge lacks (the bundle would fail whole)", () => {
    const flows = planBridgeFlows(intent, settings, vlans, {
      present: new Set(),
      workloadPorts: new Map([[portId, "vm-tap0"]]),
    });
    expect(flows[0]?.flows.filter((f) => f.includes("vm-tap0"))).toEqual([]);
  });

  it("changes only the flows of a new rule: once for the group's three ports, nothing removed", () => {
    const ports = [1, 2, 3].map((n) => `00000000-0000-4000-8000-0000000000c${n}`);
    const many = (rules: IntentFirewallRule[]): HostIntent => ({
      ...intent,
      ports: ports.map((id) => ({
        port_id: id,
        network_id: networkId,
        mac_address: mac,
        admin_state_up: true,
      })),
      firewall: ports.map((id, i) => entry({ port_id: id, mac_address: `fa:16:3e:00:01:0${i}` })),
      security_groups: [group(rules)],
    });
    const state = { present: null, workloadPorts: new Map(ports.map((id, i) => [id, `vm-tap${i}`])) };
    const base = [rule({ direction: "egress" }), rule({ protocol: 1 })];
    const before = new Set(planBridgeFlows(many(base), settings, vlans, state)[0]?.flows);
    const after = new Set(
      planBridgeFlows(
        many([...base, rule({ protocol: 6, port_range_min: 22, port_range_max: 22 })]),
        settings,
        vlans,
        state,
      )[0]?.flows,
    );
    expect([...before].filter((f) => !after.has(f))).toEqual([]);
    const added = [...after].filter((f) => !before.has(f));
    expect(added).toEqual([
      "cookie=0x4e4c,table=83,priority=70,tcp,reg7=0xab,tp_dst=22 actions=load:0x1->NXM_NX_REG9[0]",
    ]);
  });
});

describe("FirewallCache", () => {
  const ports = (vlan = 5) =>
    [1, 2].map((n) => ({
      name: `tap${n}`,
      vlan,
      entry: entry({ mac_address: `fa:16:3e:00:02:0${n}` }),
    }));
  const groups = (rules: IntentFirewallRule[]) => [group(rules)];
  const base = [
    rule({ direction: "egress" }),
    rule({ protocol: 1 }),
    rule({ remote_ip_prefixes: ["10.0.0.0/8"] }),
  ];
  const added = [...base, rule({ protocol: 6, port_range_min: 22, port_range_max: 22 })];

  it("gives the flows an uncached render gives, and reuses a port's and a rule's flows while their inputs stay", () => {
    const cache = new FirewallCache();
    expect(planFirewall(ports(), [], groups(base), cache)).toEqual(planFirewall(ports(), [], groups(base)));
    const first = planFirewall(ports(), [], groups(base), cache);
    cache.rotate();
    const withRule = planFirewall(ports(), [], groups(added), cache);
    expect(withRule).toEqual(planFirewall(ports(), [], groups(added)));
    // Another VLAN changes every flow that names it: nothing of the old render may be reused.
    expect(planFirewall(ports(6), [], groups(added), cache)).toEqual(
      planFirewall(ports(6), [], groups(added)),
    );
    expect(first.flows.every((f) => withRule.flows.includes(f))).toBe(true);
    expect(withRule.digest).not.toBe(first.digest);
  });

  it("renders a port again for the same entry on another VLAN or with other groups' indexes", () => {
    const cache = new FirewallCache();
    const same = ports();
    const moved = same.map((p) => ({ ...p, vlan: 6 }));
    expect(planFirewall(same, [], groups(base), cache)).toEqual(planFirewall(same, [], groups(base)));
    expect(planFirewall(moved, [], groups(base), cache)).toEqual(planFirewall(moved, [], groups(base)));
    const other = "000000cd-0000-4000-8000-0000000000e9";
    const regrouped = same.map((p) => ({ ...p, entry: { ...p.entry, security_groups: [other] } }));
    const withOther = [group(base, other)];
    expect(planFirewall(regrouped, [], withOther, cache)).toEqual(planFirewall(regrouped, [], withOther));
  });

  it("drops what two generations did not use", () => {
    const cache = new FirewallCache();
    let renders = 0;
    const render = () => {
      renders++;
      return ["flow"];
    };
    cache.get("a", render);
    cache.rotate();
    cache.get("a", render);
    cache.rotate();
    cache.rotate();
    cache.get("a", render);
    expect(renders).toBe(2);
  });
});
