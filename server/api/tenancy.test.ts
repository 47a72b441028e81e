// What a member of project alpha sees: alpha's things plus the external and shared networks (and their subnets),
// never bravo's names, addresses or ports, even on the networks both see; bravo's things asked for by ID or name
// are NOT_FOUND, as if they did not exist. Events: the member hears alpha's changes only.

import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agents, floatingIps, instances, networks, ports, routers } from "../db/schema";
import { MEMBER_STATUS_MESSAGE } from "../domain/refs";
import { RESYNC } from "../events";
import { createTestApi, type TestApi } from "../testkit";
import { buildFixture, type Fixture } from "./fixture.testing";
import { createCaller } from "./root";

let api: TestApi;
let fixture: Fixture;
/** Every ID, name and address of bravo's that alpha's member must never read. */
let secrets: string[];

beforeAll(async () => {
  api = await createTestApi();
  fixture = await buildFixture(api);
  const admin = api.caller;
  const bravo = { project_id: "bravo" };
  const ports = await admin.port.list(bravo);
  const networks = (await admin.network.list(bravo)).filter((n) => !n.shared);
  const subnets = (await admin.subnet.list(bravo)).filter((s) => networks.some((n) => n.id === s.network_id));
  const routers = await admin.router.list(bravo);
  const servers = await admin.server.list(bravo);
  const fips = await admin.floatingIp.list(bravo);
  const groups = await admin.securityGroup.list(bravo);
  secrets = [
    "bravo",
    "bob",
    // A DHCP server's address is no secret: every client of the network hears it (and it is the pool's first).
    ...ports.flatMap((p) => [
      p.id,
      p.name,
      p.mac_address,
      ...(p.device_owner === "network:dhcp" ? [] : p.fixed_ips.map((f) => f.ip_address)),
    ]),
    ...networks.flatMap((n) => [n.id, n.name]),
    ...subnets.flatMap((s) => [s.id, s.name, s.cidr]),
    ...routers.flatMap((r) => [r.id, r.name]),
    ...servers.flatMap((s) => [s.id, s.name]),
    ...fips.flatMap((f) => [f.id, f.floating_ip_address]),
    // Every project has a group named "default": its ID and rules are bravo's own, the name is not.
    ...groups.flatMap((g) => [g.id, ...g.security_group_rules.map((r) => r.id)]),
    ...groups.map((g) => g.name).filter((n) => n !== "default"),
  ].filter((s) => s !== "");
  // The fixture really has what must stay hidden: B's gateway and floating addresses on the external network.
  expect(secrets).toContain(fixture.fipB.floating_ip_address);
  expect(secrets).toContain("bravo-shared-port");
  expect(secrets).toContain("bravo-sg");
}, 60_000);
afterAll(() => api.close());

const member = () => fixture.alice.caller;

describe("a member of alpha", () => {
  it("lists alpha's things, the external network and the shared one with their subnets", async () => {
    const m = member();
    expect((await m.network.list()).map((n) => n.name).sort()).toEqual(
      ["common-shared", "empty-net-a", "iface-net-a", "net-a", "public"].sort(),
    );
    expect((await m.subnet.list()).map((s) => s.name).sort()).toEqual(
      ["common-subnet", "iface-subnet-a", "public-subnet", "spare-subnet-a", "subnet-a"].sort(),
    );
    expect((await m.router.list()).map((r) => r.name).sort()).toEqual([
      "iface-router-a",
      "router-a",
      "spare-router-a",
    ]);
    expect((await m.server.list()).map((s) => s.name).sort()).toEqual(["vm-a", "vm2-a"]);
    expect((await m.floatingIp.list()).map((f) => f.floating_ip_address).sort()).toEqual(
      [fixture.fipA, fixture.spareFipA, fixture.pfFipA].sort(),
    );
    expect((await m.project.list()).map((p) => p.name)).toEqual(["alpha"]);
    expect((await m.securityGroup.list()).map((g) => g.name).sort()).toEqual([
      "default",
      "sg-a",
      "spare-sg-a",
    ]);
    // Subnets of the external network resolve by name too (a form picks the network's subnets that way).
    expect((await m.subnet.list({ network_id: "public" })).map((s) => s.cidr)).toEqual(["203.0.113.0/24"]);
  });

  it("sees none of bravo's ports on the networks both see", async () => {
    const m = member();
    const onPublic = await m.port.list({ network_id: "public" });
    expect(onPublic.length).toBeGreaterThan(0);
    expect(onPublic.every((p) => p.project_id === fixture.alice.session.projectId)).toBe(true);
    expect(await m.port.list({ network_id: "common-shared" })).toEqual([]);
  });

  it("reads no name, ID or address of bravo's in any answer", async () => {
    const m = member();
    const answers = await Promise.all([
      m.network.list(),
      m.subnet.list(),
      m.port.list(),
      m.router.list(),
      m.server.list(),
      m.floatingIp.list(),
      m.securityGroup.list(),
      m.securityGroupRule.list(),
      m.project.list(),
      m.token.list(),
      m.auth.whoami(),
      m.network.show({ id: "public" }),
      m.network.show({ id: "common-shared" }),
      m.router.show({ id: "router-a" }),
      m.server.show({ id: "vm-a" }),
    ]);
    const text = JSON.stringify(answers);
    // Exact JSON strings, so that "10.2.0.1" does not match "10.2.0.10" by accident.
    const leaked = secrets.filter((s) => text.includes(JSON.stringify(s)));
    expect(leaked).toEqual([]);
  });

  it("gets NOT_FOUND for bravo's things by ID and by name", async () => {
    const m = member();
    const admin = api.caller;
    const net = await admin.network.show({ id: "bravo-secret-net" });
    const subnet = await admin.subnet.show({ id: "bravo-secret-subnet" });
    const router = await admin.router.show({ id: "bravo-router" });
    const server = await admin.server.show({ id: "bravo-vm" });
    const port = await admin.port.show({ id: "bravo-port" });
    const sharedPort = await admin.port.show({ id: "bravo-shared-port" });
    const project = await admin.project.show({ id: "bravo" });
    const fip = fixture.fipB;
    const group = await admin.securityGroup.show({ id: "bravo-sg" });
    const [rule] = group.security_group_rules;
    if (!rule) throw new Error("a new group has its egress rule");
    const calls: [string, () => Promise<unknown>][] = [
      ["project by id", () => m.project.show({ id: project.id })],
      ["project by name", () => m.project.show({ id: "bravo" })],
      ["network by id", () => m.network.show({ id: net.id })],
      ["network by name", () => m.network.show({ id: net.name })],
      ["subnet by id", () => m.subnet.show({ id: subnet.id })],
      ["subnet by name", () => m.subnet.show({ id: subnet.name })],
      ["router by id", () => m.router.show({ id: router.id })],
      ["router by name", () => m.router.show({ id: router.name })],
      ["server by id", () => m.server.show({ id: server.id })],
      ["server by name", () => m.server.show({ id: server.name })],
      ["port by id", () => m.port.show({ id: port.id })],
      ["port on a shared network", () => m.port.show({ id: sharedPort.id })],
      ["floating IP by id", () => m.floatingIp.show({ id: fip.id })],
      ["floating IP by address", () => m.floatingIp.show({ id: fip.floating_ip_address })],
      ["security group by id", () => m.securityGroup.show({ id: group.id })],
      ["security group by name", () => m.securityGroup.show({ id: "bravo-sg" })],
      ["security group rule by id", () => m.securityGroupRule.show({ id: rule.id })],
      ["rules of bravo's group", () => m.securityGroupRule.list({ security_group_id: group.id })],
      ["networks of bravo", () => m.network.list({ project_id: "bravo" })],
      ["subnets of bravo's network", () => m.subnet.list({ network_id: net.id })],
      ["ports of bravo's network", () => m.port.list({ network_id: net.id })],
    ];
    for (const [what, call] of calls) {
      await expect(call(), what).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
  });

  it("hears alpha's changes and none of bravo's", async () => {
    const controller = new AbortController();
    const stream = await createCaller(fixture.alice.ctx, { signal: controller.signal }).events();
    const iterator = stream[Symbol.asyncIterator]();
    const next = iterator.next();
    const hidden = await api.caller.network.create({ name: "bravo-later", project_id: "bravo" });
    const seen = await api.caller.network.create({ name: "alpha-later", project_id: "alpha" });
    const first = await next;
    expect(first.value).toEqual({ kind: "network", id: seen.id, action: "create" });
    expect(hidden.id).not.toBe(seen.id);
    // A resync names nothing of anyone's: every subscriber reads what it may see again.
    const resync = iterator.next();
    api.bus.receive(RESYNC);
    expect((await resync).value).toEqual({ kind: "project", id: "*", action: "resync" });
    controller.abort();
  });

  it("sees no host internals of its own things (Neutron's admin-only binding fields)", async () => {
    // As once an agent has registered: its host and namespace prefix are known, its ports bound to it.
    await api.services.db.insert(agents).values({ url: "http://agent.test", host: "node-1", prefix: "t-" });
    await api.services.db.update(instances).set({ host: "node-1" });
    await api.services.db.update(ports).set({ hostId: "node-1" });
    const show = (caller: ReturnType<typeof member>) =>
      Promise.all([
        caller.server.show({ id: "vm-a" }),
        caller.network.show({ id: "public" }),
        caller.port.list(),
      ]);
    const [server, network, portList] = await show(api.caller);
    expect(server).toMatchObject({ host: "node-1", namespace: expect.stringMatching(/^t-qprobe-/) });
    expect(network.uplink_namespace).toMatch(/^t-quplink-/);
    expect(portList.some((p) => p["binding:host_id"] === "node-1")).toBe(true);
    const [memberServer, memberNetwork, memberPorts] = await show(member());
    expect(memberServer).toMatchObject({ id: server.id, host: null, namespace: null });
    expect(memberNetwork).toMatchObject({ id: network.id, uplink_namespace: null });
    expect(memberPorts.length).toBeGreaterThan(0);
    expect(memberPorts.every((p) => p["binding:host_id"] === "")).toBe(true);
  });

  it("sees that its things failed on the host, not the agent's words for why (admins do)", async () => {
    const detail = "router r: ip netns exec t-qrouter-1 iptables-restore --noflush: line 3 failed";
    const failed = { status: "ERROR" as const, statusMessage: detail };
    const { db } = api.services;
    await db.update(routers).set(failed).where(eq(routers.name, "router-a"));
    await db.update(instances).set(failed).where(eq(instances.name, "vm-a"));
    await db.update(networks).set(failed).where(eq(networks.name, "net-a"));
    await db.update(ports).set(failed).where(eq(ports.name, "port-a"));
    await db.update(floatingIps).set(failed).where(eq(floatingIps.floatingIpAddress, fixture.fipA));
    const read = async (caller: ReturnType<typeof member>) => {
      const views = [
        await caller.router.show({ id: "router-a" }),
        await caller.server.show({ id: "vm-a" }),
        await caller.network.show({ id: "net-a" }),
        await caller.port.show({ id: "port-a" }),
        await caller.floatingIp.show({ id: fixture.fipA }),
      ];
      const lists = [
        (await caller.router.list()).find((r) => r.name === "router-a"),
        (await caller.server.list()).find((s) => s.name === "vm-a"),
        (await caller.network.list()).find((n) => n.name === "net-a"),
        (await caller.port.list()).find((p) => p.name === "port-a"),
        (await caller.floatingIp.list()).find((f) => f.floating_ip_address === fixture.fipA),
      ];
      return [...views, ...lists].map((v) => ({ status: v?.status, status_message: v?.status_message }));
    };
    const admins = await read(api.caller);
    expect(admins).toHaveLength(10);
    for (const v of admins) expect(v).toEqual({ status: "ERROR", status_message: detail });
    for (const v of await read(member())) {
      expect(v).toEqual({ status: "ERROR", status_message: MEMBER_STATUS_MESSAGE });
    }
    // Nothing failed, nothing to say.
    expect((await member().router.show({ id: "spare-router-a" })).status_message).toBeNull();
  });
});
