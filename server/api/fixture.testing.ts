// The two-project world of access.test.ts and tenancy.test.ts: project alpha (member alice) and project bravo
// (member bob), each with a network, subnet, router on the external network, instance and floating IP.
import type { TestApi } from "../testkit";
import { testUser } from "../testkit";

/** An ed25519 public key (made with ssh-keygen) for the fixture's key pairs. */
export const FIXTURE_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIQWi/0VyfViGavIjh9SOc1MjfFELSNF4t2ZyF5dQg5H fixture";

export type Fixture = Awaited<ReturnType<typeof buildFixture>>;

export async function buildFixture(api: TestApi) {
  const admin = api.caller;
  for (const name of ["alpha", "bravo", "charlie"]) await admin.project.create({ name, description: "" });
  const alice = await testUser(api.services, "alice", "alpha", "member");
  const bob = await testUser(api.services, "bob", "bravo", "member");

  await admin.network.create({
    name: "public",
    "router:external": true,
    "provider:network_type": "flat",
    "provider:physical_network": "public",
  });
  await admin.subnet.create({
    name: "public-subnet",
    network_id: "public",
    cidr: "203.0.113.0/24",
    gateway_ip: "203.0.113.1",
    allocation_pools: [{ start: "203.0.113.100", end: "203.0.113.200" }],
    enable_dhcp: false,
  });

  // alpha: what the member may see.
  await admin.network.create({ name: "net-a", project_id: "alpha" });
  await admin.subnet.create({ name: "subnet-a", network_id: "net-a", cidr: "10.1.0.0/24" });
  await admin.router.create({
    name: "router-a",
    project_id: "alpha",
    external_gateway_info: { network_id: "public" },
  });
  await admin.router.addInterface({ id: "router-a", subnet_id: "subnet-a" });
  await admin.server.create({ name: "vm-a", project_id: "alpha", network_id: "net-a" });
  await admin.server.create({ name: "vm2-a", project_id: "alpha", network_id: "net-a" });
  const fipA = await admin.floatingIp.create({ floating_network_id: "public", project_id: "alpha" });
  await admin.server.addFloatingIp({ id: "vm-a", floating_ip_address: fipA.floating_ip_address });
  const spareFipA = await admin.floatingIp.create({ floating_network_id: "public", project_id: "alpha" });
  const portA = await admin.port.create({ name: "port-a", network_id: "net-a", project_id: "alpha" });
  // A floating IP that forwards a port to port-a instead of being associated.
  const pfFipA = await admin.floatingIp.create({ floating_network_id: "public", project_id: "alpha" });
  const portAIp = portA.fixed_ips[0]?.ip_address ?? "";
  const pfA = await admin.portForwarding.create({
    floatingip_id: pfFipA.id,
    internal_port_id: "port-a",
    internal_ip_address: portAIp,
    internal_port: 22,
    external_port: 2222,
    protocol: "tcp",
    description: "",
  });
  await admin.network.create({ name: "empty-net-a", project_id: "alpha" });
  await admin.subnet.create({ name: "spare-subnet-a", network_id: "empty-net-a", cidr: "10.8.0.0/24" });
  await admin.router.create({ name: "spare-router-a", project_id: "alpha" });
  await admin.network.create({ name: "iface-net-a", project_id: "alpha" });
  await admin.subnet.create({ name: "iface-subnet-a", network_id: "iface-net-a", cidr: "10.7.0.0/24" });
  await admin.router.create({ name: "iface-router-a", project_id: "alpha" });
  await admin.router.addInterface({ id: "iface-router-a", subnet_id: "iface-subnet-a" });

  await admin.securityGroup.create({ name: "sg-a", project_id: "alpha" });
  await admin.securityGroup.create({ name: "spare-sg-a", project_id: "alpha" });
  await admin.server.addSecurityGroup({ id: "vm2-a", security_group: "sg-a" });
  const ruleA = await admin.securityGroupRule.create({
    security_group_id: "sg-a",
    direction: "ingress",
    protocol: "tcp",
    port_range_min: 22,
    port_range_max: 22,
  });

  // bravo: what the member must never see. Its shared network is visible (Neutron's rule), its port there not.
  await admin.network.create({ name: "bravo-secret-net", project_id: "bravo" });
  await admin.subnet.create({
    name: "bravo-secret-subnet",
    network_id: "bravo-secret-net",
    cidr: "10.2.0.0/24",
  });
  await admin.router.create({
    name: "bravo-router",
    project_id: "bravo",
    external_gateway_info: { network_id: "public" },
  });
  await admin.router.addInterface({ id: "bravo-router", subnet_id: "bravo-secret-subnet" });
  await admin.server.create({ name: "bravo-vm", project_id: "bravo", network_id: "bravo-secret-net" });
  const fipB = await admin.floatingIp.create({ floating_network_id: "public", project_id: "bravo" });
  await admin.server.addFloatingIp({ id: "bravo-vm", floating_ip_address: fipB.floating_ip_address });
  await admin.port.create({ name: "bravo-port", network_id: "bravo-secret-net", project_id: "bravo" });
  await admin.securityGroup.create({ name: "bravo-sg", project_id: "bravo" });
  await admin.network.create({ name: "common-shared", project_id: "bravo", shared: true });
  await admin.subnet.create({ name: "common-subnet", network_id: "common-shared", cidr: "10.3.0.0/24" });
  // Away from the pool's first address, which the (visible) subnet shows as allocation_pools[0].start.
  await admin.port.create({
    name: "bravo-shared-port",
    network_id: "common-shared",
    project_id: "bravo",
    fixed_ips: [{ ip_address: "10.3.0.77" }],
  });

  const aliceToken = (await alice.caller.token.issue({ name: "alice's" })).id;
  // A key pair of the same name for alice and the admin: key pairs are each user's own.
  for (const caller of [admin, alice.caller])
    await caller.keypair.create({ name: "walk-key", public_key: FIXTURE_KEY });
  return {
    alice,
    bob,
    alicePassword: alice.password,
    aliceToken,
    fipA: fipA.floating_ip_address,
    spareFipA: spareFipA.floating_ip_address,
    pfFipA: pfFipA.floating_ip_address,
    pfA: pfA.id,
    portAIp,
    fipB,
    ruleA: ruleA.id,
  };
}
