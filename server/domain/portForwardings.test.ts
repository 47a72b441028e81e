// Port forwardings: Neutron's rules with its wording, that a refused change writes nothing, and tenancy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, expectRefused, type TestApi, testUser } from "../testkit";

let api: TestApi;
let fip: { id: string; floating_ip_address: string };
let vm2Ip: string;
beforeAll(async () => {
  api = await createTestApi({ demo: true });
  fip = await api.caller.floatingIp.create({ floating_network_id: "public", project_id: "demo" });
  vm2Ip = (await api.caller.server.show({ id: "vm2" })).addresses["demo-net"]?.[0] ?? "";
});
afterAll(() => api.close());

const forward = (extra: Record<string, unknown> = {}) =>
  api.caller.portForwarding.create({
    floatingip_id: fip.id,
    internal_port_id: "vm2-port",
    internal_ip_address: vm2Ip,
    internal_port: 8080,
    external_port: 9000,
    protocol: "tcp",
    ...extra,
  } as never);

describe("port forwardings", () => {
  it("forwards an external port to an internal socket and puts the floating IP on the router", async () => {
    const pf = await forward();
    expect(pf).toMatchObject({
      floatingip_id: fip.id,
      internal_ip_address: vm2Ip,
      internal_port: 8080,
      external_port: 9000,
      external_port_range: "9000:9000",
      protocol: "tcp",
    });
    expect(await api.caller.portForwarding.list({ floatingip_id: fip.floating_ip_address })).toEqual([pf]);
    expect(await api.caller.portForwarding.show({ floatingip_id: fip.id, id: pf.id })).toEqual(pf);
    const router = await api.caller.router.show({ id: "demo-router" });
    expect((await api.caller.floatingIp.show({ id: fip.id })).router_id).toBe(router.id);
    // The same external port over the other protocol is another forwarding.
    await forward({ protocol: "udp" });
  });

  it("refuses an external port already forwarded for that protocol", async () => {
    await expectRefused(
      api,
      () => forward({ internal_port: 8081 }),
      `Bad port_forwarding request: A duplicate port forwarding entry with same attributes already exists, conflicting values are {'floatingip_id': '${fip.id}', 'external_port': 9000:9000, 'protocol': 'tcp'}`,
    );
    await expectRefused(
      api,
      () =>
        forward({
          external_port: undefined,
          internal_port: undefined,
          internal_port_range: "8000:8010",
          external_port_range: "8995:9005",
        }),
      "A duplicate port forwarding entry",
    );
  });

  it("refuses an internal address that is not the port's", async () => {
    await expectRefused(
      api,
      () => forward({ internal_ip_address: "10.0.0.250", external_port: 9100 }),
      `Bad port_forwarding request: Requested internal IP address 10.0.0.250 is not suitable for internal neutron port`,
    );
  });

  it("refuses a floating IP associated with a port, and associating one that forwards", async () => {
    const [associated] = (await api.caller.floatingIp.list(undefined)).filter((f) => f.port_id !== null);
    await expectRefused(
      api,
      () => forward({ floatingip_id: associated?.id, external_port: 9200 }),
      `Cannot associate floating IP ${associated?.floating_ip_address} (${associated?.id}) with port`,
    );
    await expectRefused(
      api,
      () => api.caller.floatingIp.update({ id: fip.id, port_id: "vm1-port" }),
      `Floating IP ${fip.id} in use by Port Forwarding resources.`,
    );
  });

  it("refuses a port whose subnet has no router to the floating network", async () => {
    await api.caller.network.create({ name: "pf-island", project_id: "demo" });
    await api.caller.subnet.create({
      name: "pf-island-subnet",
      network_id: "pf-island",
      cidr: "10.78.0.0/24",
    });
    const port = await api.caller.port.create({ name: "pf-island-port", network_id: "pf-island" });
    await expectRefused(
      api,
      () =>
        forward({
          internal_port_id: "pf-island-port",
          internal_ip_address: port.fixed_ips[0]?.ip_address,
          external_port: 9300,
        }),
      "External network public is not reachable from subnet pf-island-subnet.",
    );
  });

  it("refuses bad ports and protocols before anything is read", async () => {
    await expectRefused(api, () => forward({ external_port: 0 }), "Invalid input for external_port");
    await expectRefused(api, () => forward({ internal_port: 65536 }), "Invalid input for internal_port");
    await expectRefused(api, () => forward({ protocol: "icmp" }), "protocol must be tcp or udp");
    await expectRefused(api, () => forward({ internal_port_range: "8000:8001" }), "not both");
    await expectRefused(
      api,
      () =>
        forward({
          internal_port: undefined,
          external_port: undefined,
          internal_port_range: "1:3",
          external_port_range: "10:11",
        }),
      "as long as the external port range",
    );
  });

  it("shows a project's forwardings to its members only, and lets only admins write", async () => {
    const member = await testUser(api.services, "pf-member", "demo", "member");
    const other = await testUser(api.services, "pf-other", "pf-elsewhere", "member");
    expect(await member.caller.portForwarding.list({ floatingip_id: fip.id })).toHaveLength(2);
    await expect(other.caller.portForwarding.list({ floatingip_id: fip.id })).rejects.toThrow(
      `Floating IP ${fip.id} not found`,
    );
    await expectRefused(
      api,
      () => member.caller.portForwarding.create({ floatingip_id: fip.id } as never),
      /admin|permission|FORBIDDEN/i,
    );
  });

  it("goes with its internal port, and the floating IP off the router with the last one", async () => {
    const port = await api.caller.port.create({ name: "pf-doomed", network_id: "demo-net" });
    const other = await api.caller.floatingIp.create({ floating_network_id: "public", project_id: "demo" });
    await forward({
      floatingip_id: other.id,
      internal_port_id: "pf-doomed",
      internal_ip_address: port.fixed_ips[0]?.ip_address,
    });
    expect((await api.caller.floatingIp.show({ id: other.id })).router_id).not.toBeNull();
    await api.caller.port.delete({ id: "pf-doomed" });
    expect(await api.caller.portForwarding.list({ floatingip_id: other.id })).toEqual([]);
    expect((await api.caller.floatingIp.show({ id: other.id })).router_id).toBeNull();
  });

  it("deletes, and the last one gone takes the floating IP off the router", async () => {
    for (const pf of await api.caller.portForwarding.list({ floatingip_id: fip.id }))
      await api.caller.portForwarding.delete({ floatingip_id: fip.id, id: pf.id });
    expect(await api.caller.portForwarding.list({ floatingip_id: fip.id })).toEqual([]);
    expect((await api.caller.floatingIp.show({ id: fip.id })).router_id).toBeNull();
    await expect(
      api.caller.portForwarding.delete({ floatingip_id: fip.id, id: "00000000-0000-4000-8000-000000000000" }),
    ).rejects.toThrow("could not be found on Floating IP");
  });
});
