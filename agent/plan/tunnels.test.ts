import { describe, expect, it } from "vitest";
import { tunnelPortName } from "../../lib/names";
import type { HostIntent, IntentTunnelNetwork } from "../contract/intent";
import { admitIntent, IntentRefusedError } from "../converge/admit";
import { ids, labIntent, unitSettings } from "../testing/intent";
import { observedFrom } from "../testing/observed";
import { planHost } from "./desired";
import { diffHost } from "./diff";
import { planTunnels } from "./tunnels";

const settings = { ...unitSettings, tunnelBridge: "br-tun", localIp: "192.0.2.11" };
const tunnel = { integrationBridge: "br-int", tunnelBridge: "br-tun", localIp: "192.0.2.11" };

const remotePort = (mac: string, ip: string, remote: string) => ({
  mac_address: mac,
  ip_address: ip,
  remote_ip: remote,
});

function withTunnels(tunnels: IntentTunnelNetwork[], revision = 1): HostIntent {
  return { ...labIntent(revision), tunnels };
}

/** The tenant network (VNI 1001, local VLAN 2 on the lab intent) towards two hosts, one port on each. */
const tenant: IntentTunnelNetwork = {
  network_id: ids.tenant,
  segmentation_id: 1001,
  remote_ips: ["192.0.2.12", "192.0.2.13"],
  remote_ports: [
    remotePort("fa:16:3e:00:00:12", "10.0.0.12", "192.0.2.12"),
    remotePort("fa:16:3e:00:00:13", "10.0.0.13", "192.0.2.13"),
  ],
};

describe("br-tun plan (l2population)", () => {
  it("names a tunnel port after the remote address in hex, as Neutron does", () => {
    expect(tunnelPortName("192.0.2.12")).toBe("vxlan-c000020c");
    expect(tunnelPortName("10.1.255.3")).toBe("vxlan-0a01ff03");
  });

  it("makes one VXLAN port per remote host, with the tunnel endpoints and keys from the flows", () => {
    const plan = planHost(withTunnels([tenant]), settings, new Map());
    expect(plan.tunnelPorts).toEqual([
      {
        name: "vxlan-c000020c",
        bridge: "br-tun",
        options: {
          remote_ip: "192.0.2.12",
          local_ip: "192.0.2.11",
          in_key: "flow",
          out_key: "flow",
          dst_port: "4789",
        },
      },
      expect.objectContaining({ name: "vxlan-c000020d", bridge: "br-tun" }),
    ]);
  });

  it("translates VLAN <-> VNI, unicasts to the MAC's host, floods to the network's hosts, answers ARP", () => {
    const vlans = new Map([[ids.tenant, 2]]);
    const { tunnelFlows, integrationFlows } = planTunnels(withTunnels([tenant]), tunnel, vlans);
    const flows = tunnelFlows.flows;
    const toTunnel = "strip_vlan,load:0x3e9->NXM_NX_TUN_ID[]";
    expect(tunnelFlows.bridge).toBe("br-tun");
    expect(flows).toContain("cookie=0x4e4c,priority=1,in_port=patch-int actions=resubmit(,2)");
    expect(flows).toContain("cookie=0x4e4c,priority=1,in_port=vxlan-c000020c actions=resubmit(,4)");
    expect(flows).toContain(
      "cookie=0x4e4c,table=4,priority=1,tun_id=0x3e9 actions=mod_vlan_vid:2,output:patch-int",
    );
    expect(flows).toContain(
      `cookie=0x4e4c,table=20,priority=2,dl_vlan=2,dl_dst=fa:16:3e:00:00:13 actions=${toTunnel},output:vxlan-c000020d`,
    );
    expect(flows).toContain(
      `cookie=0x4e4c,table=22,priority=1,dl_vlan=2 actions=${toTunnel},output:vxlan-c000020c,output:vxlan-c000020d`,
    );
    expect(flows).toContain(
      "cookie=0x4e4c,table=21,priority=1,arp,dl_vlan=2,arp_tpa=10.0.0.12 actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]," +
        "mod_dl_src:fa:16:3e:00:00:12,load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]," +
        "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],load:0xfa163e000012->NXM_NX_ARP_SHA[],load:0xa00000c->NXM_OF_ARP_SPA[],IN_PORT",
    );
    // What comes from the tunnels enters br-int through the firewall's ingress, like what a physical bridge brings.
    expect(integrationFlows).toEqual([
      "cookie=0x4e4c,priority=2,in_port=patch-tun actions=drop",
      "cookie=0x4e4c,priority=3,in_port=patch-tun,dl_vlan=2 actions=load:0x2->NXM_NX_REG6[],resubmit(,60)",
    ]);
  });

  it("floods each network to its own hosts only", () => {
    const other: IntentTunnelNetwork = {
      network_id: ids.external,
      segmentation_id: 77,
      remote_ips: ["192.0.2.14"],
      remote_ports: [],
    };
    const vlans = new Map([
      [ids.tenant, 2],
      [ids.external, 1],
    ]);
    const flows = planTunnels(withTunnels([tenant, other]), tunnel, vlans).tunnelFlows.flows;
    const flood = flows.filter((f) => f.includes("table=22,priority=1"));
    expect(flood).toEqual([
      "cookie=0x4e4c,table=22,priority=1,dl_vlan=1 actions=strip_vlan,load:0x4d->NXM_NX_TUN_ID[],output:vxlan-c000020e",
      "cookie=0x4e4c,table=22,priority=1,dl_vlan=2 actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID[],output:vxlan-c000020c,output:vxlan-c000020d",
    ]);
  });

  it("has no tunnel for a network without a port on this host, nor on a host without a tunnel endpoint", () => {
    const plan = planHost(withTunnels([{ ...tenant, network_id: ids.tenant2 }]), settings, new Map());
    expect(plan.tunnelPorts).toEqual([]);
    expect(plan.flows.find((f) => f.bridge === "br-tun")?.flows.join("\n")).not.toContain("vxlan-");
    const oneHost = planHost(withTunnels([tenant]), unitSettings, new Map());
    expect(oneHost.tunnelPorts).toEqual([]);
    expect(oneHost.flows.map((f) => f.bridge)).not.toContain("br-tun");
  });

  it("removes a tunnel port and its flows once no network needs that host, and nothing else", () => {
    const before = planHost(withTunnels([tenant]), settings, new Map());
    const observed = observedFrom(before);
    expect(diffHost(before, observed, settings.prefix)).toEqual([]);
    const fewer = { ...tenant, remote_ips: ["192.0.2.12"], remote_ports: tenant.remote_ports.slice(0, 1) };
    const after = planHost(withTunnels([fewer], 2), settings, new Map());
    const actions = diffHost(after, observed, settings.prefix);
    expect(actions.filter((a) => a.kind !== "flows-set")).toEqual([
      { kind: "ovs-port-del", port: "vxlan-c000020d", resource: "br-tun" },
    ]);
    const flows = actions.find((a) => a.kind === "flows-set");
    expect(flows).toMatchObject({ bridge: "br-tun" });
    if (flows?.kind !== "flows-set") throw new Error("no flow change");
    // Its tunnel's in_port, its port's unicast and ARP answer, and the flood list (made again without it).
    expect(flows.remove.map((f) => /table=\d+|in_port=[^ ]+/.exec(f)?.[0])).toEqual([
      "in_port=vxlan-c000020d",
      "table=20",
      "table=21",
      "table=22",
    ]);
    expect(flows.add).toEqual([expect.stringMatching(/table=22,.*output:vxlan-c000020c$/)]);
  });

  it("puts back a hand-deleted tunnel port, and a port whose options were changed", () => {
    const plan = planHost(withTunnels([tenant]), settings, new Map());
    const observed = observedFrom(plan);
    const [first, second] = observed.tunnelPorts;
    if (first === undefined || second === undefined) throw new Error("two tunnel ports expected");
    observed.tunnelPorts = [{ ...second, options: { ...second.options, remote_ip: "192.0.2.99" } }];
    expect(diffHost(plan, observed, settings.prefix)).toEqual([
      expect.objectContaining({ kind: "tunnel-port-set", port: first.name, create: true }),
      expect.objectContaining({ kind: "tunnel-port-set", port: second.name, create: false }),
    ]);
  });

  it("refuses an intent whose tunnel points at this host's own address, or tunnels on a host without one", () => {
    const own = withTunnels([{ ...tenant, remote_ips: ["192.0.2.11"] }]);
    expect(() => admitIntent(own, "t1-", "192.0.2.11")).toThrow(IntentRefusedError);
    expect(() => admitIntent(own, "t1-", "192.0.2.11")).toThrow(
      `Network ${ids.tenant}: remote IP 192.0.2.11 is this host's own tunnel endpoint (local_ip)`,
    );
    expect(() => admitIntent(withTunnels([tenant]), "t1-", null)).toThrow(
      /no tunnel endpoint \(--local-ip\)/,
    );
    expect(admitIntent(withTunnels([tenant]), "t1-", "192.0.2.11").intent.tunnels).toEqual([tenant]);
  });
});
