// The dispatcher against a fake agent: what it pushes, when, and what it records from the answers.
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { agents } from "../db/schema";
import { dhcpDeviceId } from "../domain/dhcp";
import { createTestApi, type TestApi } from "../testkit";
import { Dispatcher } from "./dispatcher";
import { FakeAgent } from "./fake-agent.testing";
import { waitForApplied, wantedRevision } from "./wait";

describe("dispatcher", () => {
  let api: TestApi;
  let agent: FakeAgent;
  let dispatcher: Dispatcher;
  const settle = async () => {
    expect(await waitForApplied(api.services, await wantedRevision(api.db), 5_000)).toBe(true);
  };
  // Until the agent took a push after the `before`th: a started dispatcher's host wants nothing (revision 0, so
  // `settle` holds at once) until its first push, which on PostgreSQL runs beside the test's own queries.
  const pushed = (before: number) =>
    vi.waitFor(() => expect(agent.pushes.length).toBeGreaterThan(before), { timeout: 5_000 });

  beforeEach(async () => {
    api = await createTestApi({ demo: true });
    agent = new FakeAgent();
    dispatcher = new Dispatcher({
      db: api.db,
      bus: api.bus,
      agent,
      url: "http://agent.test",
      logger: pino({ level: "silent" }),
      retry: { minMs: 10, maxMs: 50 },
    });
    await dispatcher.start();
    await pushed(0);
  });
  afterEach(async () => {
    await dispatcher.stop();
    await api.close();
  });

  it("registers the host, pushes the intent and turns PENDING into ACTIVE / DOWN", async () => {
    await settle();
    const [host] = await api.caller.host.list();
    expect(host).toMatchObject({
      host: "h1",
      prefix: "t-",
      online: true,
      bridge_mappings: { public: "br-ex" },
    });
    expect(host?.applied_revision).toBe(host?.wanted_revision);
    expect((await api.caller.router.show({ id: "demo-router" })).status).toBe("ACTIVE");
    const vm1 = await api.caller.server.show({ id: "vm1" });
    expect(vm1).toMatchObject({ status: "ACTIVE", host: "h1", namespace: `t-qprobe-${vm1.port_id}` });
    expect((await api.caller.floatingIp.list())[0]?.status).toBe("ACTIVE");
    expect((await api.caller.network.show({ id: "public" })).uplink_namespace).toMatch(/^t-quplink-/);
    // demo-net's DHCP port, made before any agent answered, is now the host's, under Neutron's device_id.
    const demoNet = await api.caller.network.show({ id: "demo-net" });
    const [dhcpPort] = await api.caller.port.list({ device_owner: "network:dhcp" });
    expect(dhcpPort).toMatchObject({
      device_id: dhcpDeviceId("h1", demoNet.id),
      "binding:host_id": "h1",
      status: "ACTIVE",
    });
    expect(agent.pushes.at(-1)?.dhcp?.map((d) => d.network_id)).toEqual([demoNet.id]);
    expect((await api.caller.network.show({ id: "demo-net" })).status).toBe("ACTIVE");
  });

  it("pushes each change, with a newer revision, and refuses a gateway without bridge mapping once known", async () => {
    await settle();
    const before = agent.pushes.length;
    const fip = await api.caller.floatingIp.create({ floating_network_id: "public" });
    expect(fip.status).toBe("DOWN");
    await api.caller.server.addFloatingIp({ id: "vm2", floating_ip_address: fip.floating_ip_address });
    expect((await api.caller.floatingIp.show({ id: fip.id })).status).toBe("PENDING");
    await settle();
    expect(agent.pushes.length).toBeGreaterThan(before);
    const last = agent.pushes.at(-1);
    expect(last?.routers[0]?.floating_ips.map((f) => f.floating_ip_address)).toContain(
      fip.floating_ip_address,
    );
    expect((await api.caller.floatingIp.show({ id: fip.id })).status).toBe("ACTIVE");
    await api.db.update(agents).set({ bridgeMappings: {} });
    await expect(
      api.caller.router.create({ name: "r2", external_gateway_info: { network_id: "public" } }),
    ).rejects.toThrow("Physical network public has no bridge mapping on host h1");
  });

  it("marks what the agent names as ERROR with its message", async () => {
    await settle();
    const vm2 = await api.caller.server.show({ id: "vm2" });
    agent.errors = [{ resource_id: vm2.id, message: "veth failed" }];
    await api.caller.server.create({ name: "vm3", network_id: "demo-net" });
    await settle();
    expect(await api.caller.server.show({ id: "vm2" })).toMatchObject({
      status: "ERROR",
      status_message: "veth failed",
    });
    expect((await api.caller.server.show({ id: "vm3" })).status).toBe("ACTIVE");
    expect((await api.caller.port.show({ id: vm2.port_id })).status).toBe("ERROR");
  });

  it("retries while the agent is down and catches up when it returns", async () => {
    await settle();
    agent.down = true;
    await api.caller.server.create({ name: "vm3", network_id: "demo-net" });
    const wanted = await wantedRevision(api.db);
    expect(await waitForApplied(api.services, wanted, 200)).toBe(false);
    expect((await api.caller.host.list())[0]).toMatchObject({
      online: false,
      last_error: "connect ECONNREFUSED",
    });
    expect((await api.caller.server.show({ id: "vm3" })).status).toBe("PENDING");
    agent.down = false;
    expect(await waitForApplied(api.services, wanted, 5_000)).toBe(true);
    expect((await api.caller.server.show({ id: "vm3" })).status).toBe("ACTIVE");
    expect((await api.caller.host.list())[0]?.online).toBe(true);
  });

  it("keeps the agent's heartbeat going during a push that takes longer than a heartbeat", async () => {
    await settle();
    await dispatcher.stop();
    dispatcher = new Dispatcher({
      db: api.db,
      bus: api.bus,
      agent,
      url: "http://agent.test",
      logger: pino({ level: "silent" }),
      heartbeatMs: 50,
    });
    await dispatcher.start();
    await settle();
    agent.applyMs = 1_000;
    const lastSeen = async () =>
      (await api.db.select({ at: agents.lastSeen }).from(agents))[0]?.at?.getTime() ?? 0;
    await api.caller.server.create({ name: "vm3", network_id: "demo-net" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const during = await lastSeen();
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Still applying (the server is PENDING), and heard from meanwhile.
    expect((await api.caller.server.show({ id: "vm3" })).status).toBe("PENDING");
    expect(await lastSeen()).toBeGreaterThan(during);
    await settle();
  });

  it("reports an intent the agent refuses once, instead of sending it again and again", async () => {
    await settle();
    agent.refuse = true;
    const before = agent.attempts;
    await api.caller.server.create({ name: "vm3", network_id: "demo-net" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const tried = agent.attempts;
    // Each change event may have asked for one push; none came back for more (retries were 10-50 ms apart).
    expect(tried - before).toBeGreaterThan(0);
    expect(tried - before).toBeLessThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(agent.attempts).toBe(tried);
    expect((await api.caller.host.list())[0]?.last_error).toMatch(
      /refused the intent: Invalid input: revision/,
    );
    // The next change is pushed (and taken, once the agent takes intents again).
    agent.refuse = false;
    await api.caller.server.create({ name: "vm4", network_id: "demo-net" });
    await settle();
    expect((await api.caller.server.show({ id: "vm3" })).status).toBe("ACTIVE");
  });

  it("catches up with an agent that applied newer revisions in another life", async () => {
    await dispatcher.stop();
    const before = agent.pushes.length;
    agent.applied = 1000;
    await dispatcher.start();
    await pushed(before);
    await settle();
    expect(agent.applied).toBeGreaterThan(1000);
  });
});
