// A host that dies, as the control plane sees it: one rule of liveness for the scheduler, `host list` and HA
// states; legacy routers moved off a network node dead for longer than the down time (to a live node that maps
// their gateway's physical network, their addresses kept), waiting PENDING while none is alive; HA routers left
// to keepalived.
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AGENTS } from "../agents/register";
import { agents, ipAllocations, ports } from "../db/schema";
import { createTestApi, registerHost, type TestApi } from "../testkit";
import { failOverRouters } from "./failover";
import { agentDownTime, setAgentDownTime } from "./hosts";
import { transact } from "./tx";

const DOWN_MS = 10_000;

describe("a network node that dies", () => {
  let api: TestApi;
  const register = (host: string, roles: ("compute" | "network")[], bridgeMappings: Record<string, string>) =>
    registerHost(api.db, host, roles, bridgeMappings);
  /** The host's agent last heard from `ms` ago. */
  const silent = (host: string, ms: number) =>
    api.db
      .update(agents)
      .set({ lastSeen: new Date(Date.now() - ms) })
      .where(eq(agents.host, host));
  const failOver = () => transact({ db: api.db, bus: api.bus }, AGENTS, (tx) => failOverRouters(tx));
  const hostsOnline = async () => (await api.caller.host.list()).map((h) => [h.host, h.online]);
  let before: number;

  beforeEach(async () => {
    before = agentDownTime();
    setAgentDownTime(DOWN_MS);
    api = await createTestApi();
    // net2 has the fewest routers too but no way to the gateway's physical network.
    await register("net1", ["network"], { public: "br-ex" });
    await register("net2", ["network"], {});
    await register("net3", ["network"], { public: "br-ex" });
    await register("cmp1", ["compute"], { public: "br-ex" });
    await api.caller.network.create({
      name: "ext",
      "router:external": true,
      "provider:network_type": "flat",
      "provider:physical_network": "public",
    });
    await api.caller.subnet.create({
      name: "ext-sub",
      network_id: "ext",
      cidr: "198.51.100.0/24",
      enable_dhcp: false,
    });
    await api.caller.network.create({ name: "n1", "provider:network_type": "vxlan" });
    await api.caller.subnet.create({ name: "s1", network_id: "n1", cidr: "10.1.0.0/24" });
  });

  afterEach(async () => {
    setAgentDownTime(before);
    await api.close();
  });

  const legacyRouter = async () => {
    const router = await api.caller.router.create({
      name: "r1",
      external_gateway_info: { network_id: "ext" },
    });
    await api.caller.router.addInterface({ id: router.id, subnet_id: "s1" });
    expect(router.host).toBe("net1");
    return router;
  };

  it("is down for the scheduler and `host list` alike once its heartbeat is older than the down time", async () => {
    await silent("net1", DOWN_MS - 2_000);
    expect(await hostsOnline()).toEqual([
      ["net1", true],
      ["net2", true],
      ["net3", true],
      ["cmp1", true],
    ]);
    await silent("net1", DOWN_MS + 1_000);
    expect(await hostsOnline()).toEqual([
      ["net1", false],
      ["net2", true],
      ["net3", true],
      ["cmp1", true],
    ]);
    // The next router goes to the live node that maps public, not to the one `host list` shows down.
    const router = await api.caller.router.create({
      name: "r0",
      external_gateway_info: { network_id: "ext" },
    });
    expect(router.host).toBe("net3");
  });

  it("moves a legacy router to a live node mapping its gateway, with its addresses, once dead longer than the down time", async () => {
    const router = await legacyRouter();
    // Each port of the router with its addresses and host.
    const addresses = async () =>
      (
        await api.db
          .select({ id: ports.id, ip: ipAllocations.ipAddress, host: ports.hostId })
          .from(ports)
          .innerJoin(ipAllocations, eq(ipAllocations.portId, ports.id))
          .where(eq(ports.deviceId, router.id))
      ).sort((a, b) => a.ip.localeCompare(b.ip));
    const was = await addresses();
    expect(was.map((p) => p.ip)).toEqual(["10.1.0.1", expect.stringMatching(/^198\.51\.100\./)]);
    // Down, but not for long: it stays (a host that restarts is not emptied).
    await silent("net1", DOWN_MS + 1_000);
    expect(await failOver()).toEqual([]);
    expect((await api.caller.router.show({ id: router.id })).host).toBe("net1");
    await silent("net1", 2 * DOWN_MS + 1_000);
    expect(await failOver()).toEqual([{ id: router.id, from: "net1", to: "net3" }]);
    expect(await api.caller.router.show({ id: router.id })).toMatchObject({
      host: "net3",
      status: "PENDING",
      status_message: null,
    });
    expect(await addresses()).toEqual(was.map((p) => ({ ...p, host: "net3" })));
    // Done once: the next check moves nothing.
    expect(await failOver()).toEqual([]);
  });

  it("leaves it PENDING with the waiting message while no node is alive, and places it when one is", async () => {
    const router = await legacyRouter();
    await silent("net1", 2 * DOWN_MS + 1_000);
    await silent("net3", 2 * DOWN_MS + 1_000);
    expect(await failOver()).toEqual([{ id: router.id, from: "net1", to: null }]);
    expect(await api.caller.router.show({ id: router.id })).toMatchObject({
      host: null,
      status: "PENDING",
      status_message:
        "No live network node to host router r1: it stays PENDING and is scheduled when one registers.",
    });
    // net3's agent answers again (its heartbeat, no new registration).
    await silent("net3", 0);
    expect(await failOver()).toEqual([{ id: router.id, from: null, to: "net3" }]);
    expect(await api.caller.router.show({ id: router.id })).toMatchObject({
      host: "net3",
      status_message: null,
    });
  });

  it("leaves an HA router to keepalived, its dead node shown unknown", async () => {
    await api.db
      .update(agents)
      .set({ bridgeMappings: { public: "br-ex" } })
      .where(eq(agents.host, "net2"));
    const router = await api.caller.router.create({
      name: "ha1",
      ha: true,
      external_gateway_info: { network_id: "ext" },
    });
    const nodes = (await api.caller.router.show({ id: router.id })).ha_state?.map((s) => s.host) ?? [];
    const [first] = nodes;
    if (first === undefined) throw new Error("an HA router without nodes");
    await silent(first, 2 * DOWN_MS + 1_000);
    expect(await failOver()).toEqual([]);
    const shown = await api.caller.router.show({ id: router.id });
    expect(shown.ha_state?.map((s) => s.host)).toEqual(nodes);
    expect(shown.ha_state?.find((s) => s.host === first)?.ha_state).toBe("unknown");
  });

  it("keeps a one-host install's router on its host while it is down", async () => {
    await api.db.delete(agents).where(eq(agents.host, "net2"));
    await api.db.delete(agents).where(eq(agents.host, "net3"));
    await api.db.delete(agents).where(eq(agents.host, "cmp1"));
    const router = await legacyRouter();
    await silent("net1", 2 * DOWN_MS + 1_000);
    expect(await failOver()).toEqual([]);
    expect((await api.caller.router.show({ id: router.id })).host).toBe("net1");
  });
});
