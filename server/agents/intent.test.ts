import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostIntent } from "../../agent/contract/intent";
import { agents } from "../db/schema";
import { createTestApi, type TestApi } from "../testkit";
import { compileIntent } from "./intent";
import { loadIntentInputs } from "./snapshot";

describe("intent for the demo topology", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ demo: true });
    await api.db.insert(agents).values({ url: "http://agent.test", host: "h1", wantedRevision: 7 });
  });
  afterAll(() => api.close());

  it("carries the router, its NAT, the instances and the outside world, valid for the agent", async () => {
    const [agent] = await api.db.select().from(agents);
    const intent = compileIntent(await loadIntentInputs(api.db, agent?.id ?? 0));
    expect(hostIntent.safeParse(intent).success).toBe(true);

    const publicNet = await api.caller.network.show({ id: "public" });
    const demoNet = await api.caller.network.show({ id: "demo-net" });
    const router = await api.caller.router.show({ id: "demo-router" });
    const vm1 = await api.caller.server.show({ id: "vm1" });
    const vm2 = await api.caller.server.show({ id: "vm2" });
    const [fip] = await api.caller.floatingIp.list();

    expect(intent.revision).toBe(7);
    expect(intent.networks).toEqual([
      {
        id: publicNet.id,
        network_type: "flat",
        physical_network: "public",
        segmentation_id: null,
        mtu: 1500,
      },
      {
        id: demoNet.id,
        network_type: "vxlan",
        physical_network: null,
        segmentation_id: demoNet["provider:segmentation_id"],
        mtu: 1450,
      },
    ]);
    expect(intent.uplinks).toEqual([
      {
        network_id: publicNet.id,
        physical_network: "public",
        segmentation_id: null,
        address: "203.0.113.1/24",
      },
    ]);
    expect(intent.routers).toEqual([
      {
        id: router.id,
        gateway: {
          port_id: expect.any(String),
          network_id: publicNet.id,
          mac_address: expect.stringMatching(/^fa:16:3e:/),
          ip_address: "203.0.113.100",
          prefixlen: 24,
          gateway_ip: "203.0.113.1",
          enable_snat: true,
        },
        interfaces: [
          {
            port_id: router.interfaces[0]?.port_id,
            network_id: demoNet.id,
            mac_address: expect.stringMatching(/^fa:16:3e:/),
            ip_address: "10.0.0.1",
            prefixlen: 24,
          },
        ],
        routes: [],
        floating_ips: [{ id: fip?.id, floating_ip_address: "203.0.113.101", fixed_ip_address: "10.0.0.3" }],
        port_forwardings: [],
      },
    ]);
    expect(intent.instances).toEqual(
      [vm1, vm2].map((vm, i) => ({
        id: vm.id,
        port_id: vm.port_id,
        network_id: demoNet.id,
        mac_address: vm.mac_address,
        ip_address: `10.0.0.${i + 3}`,
        prefixlen: 24,
        gateway_ip: "10.0.0.1",
        host_routes: [],
        mtu: 1450,
        dhcp: true,
      })),
    );
    // demo-subnet has DHCP (the default): its network's DHCP port took the pool's first address, as Neutron's does.
    const [dhcpPort] = await api.caller.port.list({ device_owner: "network:dhcp" });
    const demoSubnet = await api.caller.subnet.show({ id: "demo-subnet" });
    // Made before any agent answered: Neutron's reserved device_id (the dispatcher's first contact renames it).
    expect(dhcpPort?.device_id).toBe("reserved_dhcp_port");
    const routerPort = await api.caller.port.show({ id: router.interfaces[0]?.port_id ?? "" });
    const entry = (p: { mac_address: string; fixed_ips: { ip_address: string }[] }) => {
      const ip = p.fixed_ips[0]?.ip_address ?? "";
      return { mac_address: p.mac_address, ip_address: ip, hostname: `host-${ip.replaceAll(".", "-")}` };
    };
    expect(intent.dhcp).toEqual([
      {
        network_id: demoNet.id,
        port_id: dhcpPort?.id,
        mac_address: dhcpPort?.mac_address,
        addresses: [{ subnet_id: demoSubnet.id, ip_address: "10.0.0.2", prefixlen: 24 }],
        subnets: [
          {
            id: demoSubnet.id,
            cidr: "10.0.0.0/24",
            gateway_ip: "10.0.0.1",
            dns_nameservers: [],
            host_routes: [],
          },
        ],
        hosts: expect.arrayContaining([
          { mac_address: dhcpPort?.mac_address, ip_address: "10.0.0.2", hostname: "host-10-0-0-2" },
          entry(routerPort),
          { mac_address: vm1.mac_address, ip_address: "10.0.0.3", hostname: "host-10-0-0-3" },
          { mac_address: vm2.mac_address, ip_address: "10.0.0.4", hostname: "host-10-0-0-4" },
        ]),
        mtu: 1450,
        lease_duration: 86_400,
      },
    ]);
    expect(intent.dhcp?.[0]?.hosts).toHaveLength(4);
  });

  it("carries a floating IP's port forwardings on the router they go through, not as an association", async () => {
    const fip = await api.caller.floatingIp.create({ floating_network_id: "public" });
    const pf = await api.caller.portForwarding.create({
      floatingip_id: fip.id,
      internal_port_id: "vm2-port",
      internal_ip_address: "10.0.0.4",
      internal_port: 8080,
      external_port: 9000,
      protocol: "tcp",
      description: "",
    });
    const [agent] = await api.db.select().from(agents);
    const intent = compileIntent(await loadIntentInputs(api.db, agent?.id ?? 0));
    expect(hostIntent.safeParse(intent).success).toBe(true);
    const [router] = intent.routers;
    expect(router?.floating_ips.map((f) => f.id)).not.toContain(fip.id);
    expect(router?.port_forwardings).toEqual([
      {
        id: pf.id,
        floatingip_id: fip.id,
        floating_ip_address: fip.floating_ip_address,
        protocol: "tcp",
        internal_ip_address: "10.0.0.4",
        internal_port_start: 8080,
        internal_port_end: 8080,
        external_port_start: 9000,
        external_port_end: 9000,
      },
    ]);
    await api.caller.floatingIp.delete({ id: fip.id });
    const after = compileIntent(await loadIntentInputs(api.db, agent?.id ?? 0));
    expect(after.routers[0]?.port_forwardings).toEqual([]);
  });

  it("drops floating IPs from a router without gateway", async () => {
    const [agent] = await api.db.select().from(agents);
    const inputs = await loadIntentInputs(api.db, agent?.id ?? 0);
    const intent = compileIntent({
      ...inputs,
      routers: inputs.routers.map((r) => ({ ...r, gwPortId: null })),
    });
    expect(intent.routers[0]?.gateway).toBeNull();
    expect(intent.routers[0]?.floating_ips).toEqual([]);
  });
});
