// The agent's trace parsing, on text captured from OVS 3.1 and tcpdump on this machine.
import { describe, expect, it } from "vitest";
import { traceProbe, traceQuestions } from "../contract/trace";
import { ofprotoFlow, parseDpifShow, parseOfprotoTrace, portsOfBridge } from "./ofproto";
import { parseTcpdumpLine } from "./probe";
import { routeText } from "./tracer";

const dpif = `dummy@ovs-dummy: hit:0 missed:4
  x-ex:
    phy-x-ex 1/none: (patch: peer=int-x-ex)
    uple0000000-00 2/3: (system)
    x-ex 65534/2: (dummy-internal)
  x-int:
    int-x-ex 1/none: (patch: peer=phy-x-ex)
    tapc1000000-00 3/1000000: (system)
    x-int 65534/1: (dummy-internal)
`;

const trace = `Flow: tcp,in_port=2,vlan_tci=0x0000,dl_src=fa:16:3e:00:00:99,dl_dst=fa:16:3e:00:00:01,nw_src=203.0.113.1,nw_dst=203.0.113.20,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=80,tcp_flags=syn

bridge("x-ex")
--------------
 0. priority 0, cookie 0x4e4c
    NORMAL
     -> no learned MAC for destination, flooding

bridge("x-int")
---------------
 0. in_port=1,vlan_tci=0x0000/0x1fff, priority 3, cookie 0x4e4c
    push_vlan:0x8100
    set_field:4097->vlan_vid
    NORMAL
     -> forwarding to learned port

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=2,dl_src=fa:16:3e:00:00:99,dl_dst=fa:16:3e:00:00:01,nw_frag=no
Datapath actions: push_vlan(vid=1,pcp=0),1000000
`;

describe("ofproto/trace", () => {
  it("names the datapath ports of the bridge's datapath", () => {
    const ports = portsOfBridge(parseDpifShow(dpif), "x-int");
    expect(ports.get(1000000)).toBe("tapc1000000-00");
    expect(ports.get(3)).toBe("uple0000000-00");
  });

  it("follows the patch into the next bridge, keeps OVS's words, and names the output port", () => {
    const parsed = parseOfprotoTrace(trace, portsOfBridge(parseDpifShow(dpif), "x-ex"));
    expect(parsed.bridges).toEqual(["x-ex", "x-int"]);
    expect(parsed.rules[1]).toEqual({
      bridge: "x-int",
      table: 0,
      text: "in_port=1,vlan_tci=0x0000/0x1fff, priority 3, cookie 0x4e4c",
      actions: ["push_vlan:0x8100", "set_field:4097->vlan_vid", "NORMAL"],
    });
    expect(parsed.outputs).toEqual(["tapc1000000-00"]);
    expect(parsed.vlan).toBe(1);
    expect(parsed.notes).toContain("forwarding to learned port");
  });

  it("writes the flow a ping or a SYN would be", () => {
    const base = { in_port: "tapx", dl_src: "fa:16:3e:00:00:01", dl_dst: "fa:16:3e:00:00:02" };
    expect(ofprotoFlow({ ...base, protocol: "icmp", nw_src: "10.0.0.5", nw_dst: "10.0.0.6" })).toBe(
      "in_port=tapx,icmp,dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:02,nw_src=10.0.0.5,nw_dst=10.0.0.6,icmp_type=8,icmp_code=0",
    );
    expect(
      ofprotoFlow({ ...base, protocol: "tcp", nw_src: "10.0.0.5", nw_dst: "10.0.0.6", tp_dst: 22 }),
    ).toMatch(/,tcp_flags=0x002,tcp_dst=22$/);
    expect(
      ofprotoFlow({ ...base, protocol: "udp", nw_src: "10.0.0.5", nw_dst: "10.0.0.6", tp_dst: 53 }),
    ).toMatch(/,udp,.*,udp_dst=53$/);
  });
});

// compute1 of a two-host lab: vm1's frame to vm2 on compute2 leaves br-tun by the VXLAN port, which the
// userspace datapath turns into a tunnel header push, out of the underlay's bridge.
const tunnelTrace = `Flow: icmp,in_port=2,vlan_tci=0x0000,dl_src=fa:16:3e:00:00:0a,dl_dst=fa:16:3e:00:00:0b,nw_src=10.0.0.10,nw_dst=10.0.0.11,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,icmp_type=8,icmp_code=0

bridge("br-int")
----------------
 0. priority 0, cookie 0x4e4c
    NORMAL
     -> forwarding to learned port

bridge("br-tun")
----------------
 0. in_port=1, priority 1, cookie 0x4e4c
    resubmit(,2)
 2. dl_dst=00:00:00:00:00:00/01:00:00:00:00:00, priority 0, cookie 0x4e4c
    resubmit(,20)
20. dl_vlan=1,dl_dst=fa:16:3e:00:00:0b, priority 2, cookie 0x4e4c
    pop_vlan
    load:0x3e9->NXM_NX_TUN_ID[]
    output:2
     -> output to native tunnel
     -> tunneling to 192.0.2.12 via br-phy
     -> tunneling from 9a:b1:48:14:7d:41 192.0.2.11 to aa:46:87:9f:0f:41 192.0.2.12

bridge("br-phy")
----------------
 0. priority 0
    NORMAL
     -> forwarding to learned port

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=2,dl_src=fa:16:3e:00:00:0a,dl_dst=fa:16:3e:00:00:0b,nw_ecn=0,nw_frag=no
Datapath actions: tnl_push(tnl_port(6),header(size=50,type=4,eth(dst=aa:46:87:9f:0f:41,src=9a:b1:48:14:7d:41,dl_type=0x0800),ipv4(src=192.0.2.11,dst=192.0.2.12,proto=17,tos=0,ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x3e9)),out_port(2)),1
`;

describe("ofproto/trace into a VXLAN tunnel", () => {
  it("names the tunnel a header push goes into after its remote address, before the underlay's port", () => {
    const parsed = parseOfprotoTrace(tunnelTrace, new Map([[1, "underlay0"]]));
    expect(parsed.bridges).toEqual(["br-int", "br-tun", "br-phy"]);
    expect(parsed.outputs).toEqual(["vxlan-c000020c", "underlay0"]);
    expect(parsed.notes).toContain("tunneling to 192.0.2.12 via br-phy");
  });

  it("still names the tunnel when the underlay's ARP for its remote is not resolved yet", () => {
    // The first packet towards a host OVS has not talked to: dropped while an ARP request goes out.
    const unresolved = tunnelTrace
      .replace(
        "     -> tunneling from 9a:b1:48:14:7d:41 192.0.2.11 to aa:46:87:9f:0f:41 192.0.2.12",
        "     -> neighbor cache miss for 192.0.2.12 on bridge br-phy, sending ARP request",
      )
      .replace(/^Datapath actions: .*$/m, "Datapath actions: drop");
    const parsed = parseOfprotoTrace(unresolved, new Map([[1, "underlay0"]]));
    expect(parsed.outputs).toEqual(["vxlan-c000020c"]);
    expect(parsed.notes).toContain(
      "neighbor cache miss for 192.0.2.12 on bridge br-phy, sending ARP request",
    );
  });

  it("writes the tunnel fields of a frame a VXLAN port brings in", () => {
    expect(
      ofprotoFlow({
        in_port: "vxlan-c000020b",
        tun_id: 1001,
        tun_src: "192.0.2.11",
        tun_dst: "192.0.2.12",
        protocol: "icmp",
        dl_src: "fa:16:3e:00:00:0a",
        dl_dst: "fa:16:3e:00:00:0b",
        nw_src: "10.0.0.10",
        nw_dst: "10.0.0.11",
      }),
    ).toMatch(/^in_port=vxlan-c000020b,tun_id=0x3e9,tun_src=192\.0\.2\.11,tun_dst=192\.0\.2\.12,icmp,/);
  });

  it("writes the tag of a frame the wire brings in on a vlan network", () => {
    expect(
      ofprotoFlow({
        in_port: "public0",
        dl_vlan: 2101,
        protocol: "icmp",
        dl_src: "fa:16:3e:00:00:0a",
        dl_dst: "fa:16:3e:00:00:0b",
        nw_src: "10.21.0.5",
        nw_dst: "10.21.0.6",
      }),
    ).toMatch(/^in_port=public0,dl_vlan=2101,icmp,dl_src=fa:16:3e:00:00:0a,/);
  });
});

describe("host answers", () => {
  it("prints a route as `ip route get` does", () => {
    expect(
      routeText({ dst: "203.0.113.1", from: "10.0.0.5", gateway: "203.0.113.1", dev: "qg-x", iif: "qr-y" }),
    ).toBe("203.0.113.1 from 10.0.0.5 via 203.0.113.1 dev qg-x iif qr-y");
    expect(routeText({ type: "local", dst: "10.0.0.5", dev: "lo" })).toBe("local 10.0.0.5 dev lo");
  });

  it("reads addresses from tcpdump lines, without ports", () => {
    expect(
      parseTcpdumpLine(
        "IP 203.0.113.1.39636 > 10.0.0.5.8080: Flags [S], seq 3094890646, win 64240, length 0",
      ),
    ).toMatchObject({ src: "203.0.113.1", dst: "10.0.0.5" });
    expect(
      parseTcpdumpLine("IP 10.0.0.5 > 203.0.113.1: ICMP echo reply, id 1, seq 1, length 64"),
    ).toMatchObject({
      src: "10.0.0.5",
      dst: "203.0.113.1",
    });
    expect(parseTcpdumpLine("ARP, Request who-has 10.0.0.1 tell 10.0.0.5, length 28")).toBeNull();
  });
});

describe("question validation", () => {
  it("refuses names that could carry anything but a name to a command line", () => {
    const bad = [
      { kind: "route", namespace: "qrouter-x; reboot", dst: "10.0.0.1" },
      {
        kind: "route",
        namespace: "qrouter-b0000000-0000-4000-8000-000000000001",
        dst: "10.0.0.1 from 1.1.1.1",
      },
      {
        kind: "ovs",
        bridge: "br-int",
        in_port: "tap,actions=drop",
        protocol: "icmp",
        dl_src: "fa:16:3e:00:00:01",
        dl_dst: "fa:16:3e:00:00:02",
        nw_src: "10.0.0.1",
        nw_dst: "10.0.0.2",
      },
      { kind: "nat", namespace: "../../etc" },
    ];
    for (const q of bad)
      expect(traceQuestions.safeParse({ questions: [q] }).success, JSON.stringify(q)).toBe(false);
    expect(
      traceProbe.safeParse({
        namespace: "qprobe-c4000000-0000-4000-8000-000000000004",
        protocol: "tcp",
        dst: "10.0.0.1",
        port: 0,
        captures: [],
        nat_namespaces: [],
      }).success,
    ).toBe(false);
  });
});
