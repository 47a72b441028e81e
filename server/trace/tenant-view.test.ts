// The member's view of an admin's trace: the path, the member's own rules and the verdict stay; the host's
// names, its words and another project's resources and addresses go.
import { describe, expect, it } from "vitest";
import type { Hop, TraceResult } from "../../lib/schemas/trace";
import { HIDDEN_ADDRESS, OUTSIDE_PROJECT, type TenantScope, tenantView } from "./tenant-view";

const FIP = "203.0.113.101";
const FIXED = "10.1.0.5";
const OUTSIDE = "203.0.113.1";
const BRAVO_GW = "203.0.113.150";

const hop = (h: Omit<Hop, "where"> & { where: Partial<Hop["where"]> }): Hop => ({
  ...h,
  where: { host: "node-7", node_id: "", ...h.where },
});

/** outside -> vm-a's floating IP through router-a, as an admin reads it; a reply through bravo's router. */
const admin: TraceResult = {
  verdict: "delivered",
  from: { kind: "outside", id: "net-public", name: "public", address: OUTSIDE },
  to: { kind: "floating_ip", id: "fip-a", name: FIP, address: FIP },
  protocol: "icmp",
  port: null,
  mode: "probe",
  forward: [
    hop({
      where: { namespace: "t-quplink-net-public", interface: "eth0", node_id: "net-public" },
      action: "routed",
      packet: { src: OUTSIDE, dst: FIP },
      decided_by: { kind: "route", text: `${FIP} dev eth0 src ${OUTSIDE} uid 0 \n    cache` },
      probe: { seen: true, evidence: ["eth0: IP 203.0.113.1 > 203.0.113.101: ICMP echo request"] },
    }),
    hop({
      where: { bridge: "t-ex -> t-int", interface: "upl-net-public", node_id: "net-public" },
      action: "switched",
      vlan: 3,
      packet: { src: OUTSIDE, dst: FIP },
      decided_by: { kind: "ovs_flow", text: "t-ex table 0: priority=0 -> NORMAL\nout: qg-port-gw-a1" },
    }),
    hop({
      where: {
        namespace: "t-qrouter-router-a",
        interface: "qg-port-gw-a1",
        node_id: "fip-a",
        port_id: "port-gw-a",
      },
      action: "dnat",
      packet: { src: OUTSIDE, dst: FIXED },
      decided_by: {
        kind: "nat_rule",
        text: `[3:252] -A t-PREROUTING -d ${FIP}/32 -j DNAT --to-destination ${FIXED}`,
      },
      rule: {
        kind: "floating_ip_nat",
        floating_ip_id: "fip-a",
        floating_ip_address: FIP,
        fixed_ip_address: FIXED,
        conntrack: false,
      },
      conntrack: {
        entry: {
          protocol: "icmp",
          state: null,
          original: { src: OUTSIDE, dst: FIP, sport: null, dport: null },
          reply: { src: FIXED, dst: OUTSIDE, sport: null, dport: null },
          flags: [],
          text: `icmp 1 29 src=${OUTSIDE} dst=${FIP} type=8 code=0 id=7 src=${FIXED} dst=${OUTSIDE} type=0 code=0 id=7 mark=2 zone=0 use=1`,
        },
        agrees: true,
        others: 0,
      },
    }),
    hop({
      where: {
        namespace: "t-qrouter-router-a",
        interface: "qr-port-if-a1",
        node_id: "router-a",
        port_id: "port-if-a",
      },
      action: "routed",
      packet: { src: OUTSIDE, dst: FIXED },
      decided_by: { kind: "route", text: `${FIXED} dev qr-port-if-a1 src 10.1.0.1` },
      rule: {
        kind: "route",
        owner: "router",
        owner_id: "router-a",
        destination: FIXED,
        nexthop: null,
        port_id: "port-if-a",
        local: false,
      },
    }),
    hop({
      where: { namespace: "t-qprobe-port-vm-a", interface: "eth0", node_id: "vm-a", port_id: "port-vm-a" },
      action: "delivered",
      packet: { src: OUTSIDE, dst: FIXED },
      decided_by: { kind: "route", text: `local ${FIXED} dev lo table local` },
      rule: {
        kind: "route",
        owner: "instance",
        owner_id: "vm-a",
        destination: FIXED,
        nexthop: null,
        port_id: null,
        local: true,
      },
    }),
  ],
  reply: [
    hop({
      where: {
        namespace: "t-qrouter-bravo-router",
        interface: "qg-port-gw-b1",
        node_id: "bravo-router",
        port_id: "port-gw-b",
      },
      action: "snat",
      packet: { src: BRAVO_GW, dst: OUTSIDE },
      decided_by: { kind: "nat_rule", text: "-A t-snat -o qg-port-gw-b1 -j SNAT --to-source 203.0.113.150" },
      rule: {
        kind: "router_snat",
        router_id: "bravo-router",
        external_ip_address: BRAVO_GW,
        conntrack: false,
      },
      conntrack: {
        entry: {
          protocol: "icmp",
          state: null,
          original: { src: "10.2.0.5", dst: OUTSIDE, sport: null, dport: null },
          reply: { src: OUTSIDE, dst: BRAVO_GW, sport: null, dport: null },
          flags: [],
          text: `icmp 1 29 src=10.2.0.5 dst=${OUTSIDE} src=${OUTSIDE} dst=${BRAVO_GW} mark=0 use=1`,
        },
        agrees: true,
        others: 0,
      },
    }),
  ],
  diagnoses: [
    {
      code: "nat-rule-missing",
      hop: "reply[0]",
      message:
        "The SNAT rule of floating IP 203.0.113.101 is missing in t-qrouter-router-a: -A t-float-snat ...",
      fix: "ip netns exec t-qrouter-router-a iptables -t nat -A t-float-snat -s 10.1.0.5/32 -j SNAT",
    },
  ],
  probe: { result: "reply", rtt_ms: 0.4, detail: "64 bytes from 203.0.113.101 via t-quplink-net-public" },
  duration_ms: 12.5,
};

const scope: TenantScope = {
  names: new Map([
    ["net-public", "public"],
    ["router-a", "router-a"],
    ["vm-a", "vm-a"],
    ["fip-a", `floating IP ${FIP}`],
    ["port-gw-a", "gateway port 203.0.113.100"],
    ["port-if-a", "interface port 10.1.0.1"],
    ["port-vm-a", "port vm-a-port"],
  ]),
  hidden: new Set([BRAVO_GW, "10.2.0.5"]),
};

const view = tenantView(admin, scope);
const text = JSON.stringify(view);

describe("a member's view of a trace", () => {
  it("keeps the path, the packet's addresses and the verdict", () => {
    expect(view.verdict).toBe("delivered");
    expect(view.forward.map((h) => h.action)).toEqual(["routed", "switched", "dnat", "routed", "delivered"]);
    expect(view.forward.map((h) => h.where.node_id)).toEqual([
      "net-public",
      "net-public",
      "fip-a",
      "router-a",
      "vm-a",
    ]);
    expect(view.forward[2]?.packet).toEqual({ src: OUTSIDE, dst: FIXED });
    expect(view.from).toEqual(admin.from);
    expect(view.to).toEqual(admin.to);
    expect(view.probe).toMatchObject({ result: "reply", rtt_ms: 0.4 });
    expect(view.forward[0]?.probe).toEqual({ seen: true, evidence: [] });
  });

  it("shows the rules of the member's own resources in its terms", () => {
    expect(view.forward[2]?.rule).toEqual(admin.forward[2]?.rule);
    expect(view.forward[2]?.decided_by).toEqual({
      kind: "nat_rule",
      text: `floating IP ${FIP}: destination ${FIP} -> ${FIXED} (DNAT)`,
    });
    expect(view.forward[3]?.decided_by.text).toBe(
      `router-a routes ${FIXED} on the link out of interface port 10.1.0.1`,
    );
    expect(view.forward[3]?.where).toEqual({ node_id: "router-a", port_id: "port-if-a" });
    expect(view.forward[4]?.decided_by.text).toBe(`vm-a holds ${FIXED}: delivered`);
    expect(view.forward[1]?.decided_by.text).toBe("switched on network public");
  });

  it("shows no host name, bridge, namespace, device, local VLAN, flow, rule text or capture", () => {
    for (const secret of [
      "node-7",
      "t-ex",
      "t-int",
      "t-q",
      "qg-",
      "qr-",
      "upl-",
      "eth0",
      "dev lo",
      "NORMAL",
      "-A t-",
      "ICMP echo",
      "ip netns",
    ])
      expect(text, secret).not.toContain(secret);
    for (const h of [...view.forward, ...view.reply]) {
      expect(h.where).not.toHaveProperty("host");
      expect(h.where).not.toHaveProperty("namespace");
      expect(h.where).not.toHaveProperty("interface");
      expect(h.where).not.toHaveProperty("bridge");
      expect(h).not.toHaveProperty("vlan");
    }
  });

  it("shows nothing of another project: its hop is anonymous, its address hidden", () => {
    const [foreign] = view.reply;
    expect(foreign).toEqual({
      where: { node_id: "" },
      action: "snat",
      packet: { src: HIDDEN_ADDRESS, dst: OUTSIDE },
      decided_by: { kind: "model", text: OUTSIDE_PROJECT },
    });
    for (const secret of ["bravo", BRAVO_GW, "port-gw-b"]) expect(text, secret).not.toContain(secret);
  });

  it("shows its own router's conntrack entry of its connection: the NAT pair, without the host's line", () => {
    expect(view.forward[2]?.conntrack).toEqual({
      entry: {
        protocol: "icmp",
        state: null,
        original: { src: OUTSIDE, dst: FIP, sport: null, dport: null },
        reply: { src: FIXED, dst: OUTSIDE, sport: null, dport: null },
        flags: [],
        text: "",
      },
      agrees: true,
      others: 0,
    });
    expect(text).not.toContain("mark=");
    expect(view.reply[0]).not.toHaveProperty("conntrack");
  });

  it("keeps each diagnosis's code and hop, in the member's words", () => {
    expect(view.diagnoses).toEqual([
      {
        code: "nat-rule-missing",
        hop: "reply[0]",
        message: "A NAT rule that the path needs is missing on the host.",
        fix: "An admin re-applies the router: the admin's trace names the rule.",
      },
    ]);
  });

  it("drops a rule of a resource the member does not own, and a port it does not see", () => {
    const route = tenantView(
      {
        ...admin,
        forward: [
          hop({
            where: { node_id: "router-a", port_id: "port-of-bravo" },
            action: "routed",
            packet: { src: FIXED, dst: "10.2.0.5" },
            decided_by: { kind: "route", text: "10.2.0.5 via 10.1.0.9 dev qr-x" },
            rule: {
              kind: "route",
              owner: "router",
              owner_id: "router-a",
              destination: "10.2.0.5",
              nexthop: "10.1.0.9",
              port_id: "port-of-bravo",
              local: false,
            },
          }),
        ],
        reply: [],
      },
      scope,
    );
    const [only] = route.forward;
    expect(only?.where).toEqual({ node_id: "router-a" });
    expect(only?.rule).toMatchObject({ destination: HIDDEN_ADDRESS, port_id: null });
    expect(only?.packet.dst).toBe(HIDDEN_ADDRESS);
    expect(JSON.stringify(route)).not.toContain("10.2.0.5");
  });
});

describe("a member's view of security groups and port forwardings", () => {
  const sgRule: Hop["rule"] = {
    kind: "security_group_rule",
    port_id: "port-vm-a",
    security_group_id: "sg-a",
    security_group_name: "web",
    rule_id: "rule-1",
    direction: "ingress",
    protocol: "tcp",
    port_range_min: 22,
    port_range_max: 22,
    remote_ip_prefix: "198.51.100.0/24",
    remote_group_id: null,
  };
  const filterHop = (port_id: string, node_id: string, rule: Hop["rule"]) =>
    hop({
      where: { bridge: "t-int", interface: "tap-port-vm-a", node_id, port_id },
      action: "switched",
      packet: { src: OUTSIDE, dst: FIXED },
      decided_by: {
        kind: "security_group",
        text: `ingress: a rule of security group web of port ${port_id}`,
      },
      rule,
    });
  const forwardingRule: Hop["rule"] = {
    kind: "port_forwarding",
    port_forwarding_id: "pf-1",
    floating_ip_id: "fip-a",
    floating_ip_address: FIP,
    internal_ip_address: FIXED,
    protocol: "tcp",
    external_port: 2222,
    internal_port: 22,
    conntrack: false,
  };

  it("shows the rule of its own port's security group, and the forwarding of its own floating IP", () => {
    const pf = { ...filterHop("port-vm-a", "fip-a", forwardingRule), action: "dnat" as const };
    const view = tenantView(
      { ...admin, forward: [filterHop("port-vm-a", "vm-a", sgRule), pf], reply: [] },
      scope,
    );
    expect(view.forward[0]?.rule).toEqual(sgRule);
    expect(view.forward[0]?.decided_by).toEqual({
      kind: "security_group",
      text: "security group web rule rule-1 (ingress tcp 22 from 198.51.100.0/24) allows the connection",
    });
    expect(view.forward[0]?.where).toEqual({ node_id: "vm-a", port_id: "port-vm-a" });
    expect(view.forward[1]?.decided_by.text).toBe(
      `port forwarding pf-1 (tcp): destination ${FIP}:2222 -> ${FIXED}:22 (DNAT)`,
    );
  });

  it("says nothing of another project's port rule, and words the diagnoses for a member", () => {
    const other = filterHop("port-other", "vm-other", { ...sgRule, port_id: "port-other" });
    const view = tenantView(
      {
        ...admin,
        forward: [other],
        reply: [],
        diagnoses: [
          {
            code: "security-group-blocks",
            hop: "forward[0]",
            message: "x",
            fix: "netlens security group rule create",
          },
        ],
      },
      scope,
    );
    expect(view.forward[0]).toMatchObject({ where: { node_id: "" }, decided_by: { text: OUTSIDE_PROJECT } });
    expect(view.forward[0]?.rule).toBeUndefined();
    expect(view.diagnoses[0]?.fix).toContain("Ask an admin to add a rule");
  });
});
