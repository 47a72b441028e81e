// The tunnels part of an intent, as l2population says: per VXLAN network with a port on this host, the other
// hosts with ports on it and their ports' MACs; nothing towards a host that shares no network, nothing at all
// with one host.
import { describe, expect, it } from "vitest";
import type { PeerHost } from "./placement";
import { compileTunnels, type TunnelInputs } from "./tunnels";

const NET_A = "00000000-0000-4000-8000-00000000000a";
const NET_B = "00000000-0000-4000-8000-00000000000b";
const FLAT = "00000000-0000-4000-8000-00000000000f";
const peer = (host: string, local_ip: string | null): PeerHost => ({
  host,
  roles: null,
  local_ip,
  bridge_mappings: null,
});
const port = (
  id: string,
  networkId: string,
  hostId: string,
  deviceOwner = "compute:nova",
  deviceId = "",
) => ({
  id,
  networkId,
  hostId,
  deviceOwner,
  deviceId,
  macAddress: `fa:16:3e:00:00:${id}`,
});

const inputs = (host: string, hosts: PeerHost[]): TunnelInputs => ({
  host,
  hosts,
  networks: [
    { id: NET_A, networkType: "vxlan", segmentationId: 100 },
    { id: NET_B, networkType: "vxlan", segmentationId: 200 },
    { id: FLAT, networkType: "flat", segmentationId: null },
  ],
  ports: [
    port("01", NET_A, "a"),
    port("02", NET_A, "b"),
    port("03", NET_A, "c", "network:dhcp"),
    port("04", NET_B, "b"),
    port("05", NET_B, "c"),
    port("06", NET_A, ""),
    port("07", FLAT, "a"),
    port("08", FLAT, "b"),
    port("09", NET_A, "d"),
  ],
  allocations: [
    { portId: "01", ipAddress: "10.0.0.1" },
    { portId: "02", ipAddress: "10.0.0.2" },
    { portId: "03", ipAddress: "10.0.0.3" },
    { portId: "04", ipAddress: "10.1.0.4" },
    { portId: "05", ipAddress: "10.1.0.5" },
    { portId: "09", ipAddress: "10.0.0.9" },
  ],
});
const hosts = [peer("a", "192.0.2.1"), peer("b", "192.0.2.2"), peer("c", "192.0.2.3"), peer("d", null)];

describe("compileTunnels", () => {
  it("tunnels a host's VXLAN networks to the other hosts with ports on them, each port behind its host", () => {
    expect(compileTunnels(inputs("a", hosts))).toEqual([
      {
        network_id: NET_A,
        segmentation_id: 100,
        remote_ips: ["192.0.2.2", "192.0.2.3"],
        remote_ports: [
          { mac_address: "fa:16:3e:00:00:02", ip_address: "10.0.0.2", remote_ip: "192.0.2.2" },
          { mac_address: "fa:16:3e:00:00:03", ip_address: "10.0.0.3", remote_ip: "192.0.2.3" },
        ],
      },
    ]);
  });

  it("leaves out networks the host has no port on, and unbound ports and hosts without a tunnel address", () => {
    const c = compileTunnels(inputs("c", hosts));
    expect(c.map((t) => t.network_id)).toEqual([NET_A, NET_B]);
    expect(c[1]).toMatchObject({
      remote_ips: ["192.0.2.2"],
      remote_ports: [{ mac_address: "fa:16:3e:00:00:04", ip_address: "10.1.0.4", remote_ip: "192.0.2.2" }],
    });
    // Host a has nothing on NET_B: b's and c's ports there are not in a's tunnels at all.
    expect(JSON.stringify(compileTunnels(inputs("a", hosts)))).not.toContain("10.1.0.");
  });

  it("gives nothing with one host, or to a host with no tunnel address", () => {
    expect(compileTunnels(inputs("a", [peer("a", "192.0.2.1")]))).toEqual([]);
    expect(compileTunnels(inputs("d", hosts))).toEqual([]);
  });

  it("puts an HA router's ports on each of its nodes, reached by flooding: VRRP moves their MAC", () => {
    const router = "00000000-0000-4000-8000-0000000000r1";
    const ha: TunnelInputs = {
      host: "c",
      hosts: [peer("a", "192.0.2.1"), peer("b", "192.0.2.2"), peer("c", "192.0.2.3")],
      networks: [{ id: NET_A, networkType: "vxlan", segmentationId: 100 }],
      // The interface's binding:host_id is the router's first node; it is on the second as well.
      ports: [port("01", NET_A, "a", "network:router_interface", router), port("02", NET_A, "c")],
      allocations: [
        { portId: "01", ipAddress: "10.0.0.1" },
        { portId: "02", ipAddress: "10.0.0.2" },
      ],
      haBindings: [
        { routerId: router, host: "a", portId: "h1" },
        { routerId: router, host: "b", portId: "h2" },
      ],
    };
    expect(compileTunnels(ha)).toEqual([
      { network_id: NET_A, segmentation_id: 100, remote_ips: ["192.0.2.1", "192.0.2.2"], remote_ports: [] },
    ]);
    // The second node has the network (its copy of the interface is there): to the instance's host and the other.
    expect(compileTunnels({ ...ha, host: "b" })).toEqual([
      {
        network_id: NET_A,
        segmentation_id: 100,
        remote_ips: ["192.0.2.1", "192.0.2.3"],
        remote_ports: [{ mac_address: "fa:16:3e:00:00:02", ip_address: "10.0.0.2", remote_ip: "192.0.2.3" }],
      },
    ]);
  });
});
