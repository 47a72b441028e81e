// An HA router in the trace's model: compiled onto the node its bindings record active (the other node, an
// offline one, or none when none is active), the hop into it naming that node, and the diagnosis when no node
// holds it.
import { beforeEach, describe, expect, it } from "vitest";
import type { Hop } from "../../lib/schemas/trace";
import { recordHaStates } from "../agents/ha-states";
import { agents } from "../db/schema";
import { createTestApi, type TestApi } from "../testkit";
import { loadTraceModel } from "./facts";
import { activeNode, haDiagnoses, withHaNodes } from "./ha";

describe("activeNode", () => {
  it("is the node that reports active, the first of two active, none without one", () => {
    expect(
      activeNode([
        { host: "n1", ha_state: "standby" },
        { host: "n2", ha_state: "active" },
      ]),
    ).toBe("n2");
    expect(
      activeNode([
        { host: "n1", ha_state: "active" },
        { host: "n2", ha_state: "active" },
      ]),
    ).toBe("n1");
    expect(
      activeNode([
        { host: "n1", ha_state: "standby" },
        { host: "n2", ha_state: "unknown" },
      ]),
    ).toBeNull();
    expect(activeNode([])).toBeNull();
  });
});

describe("withHaNodes", () => {
  const hop = (namespace: string | undefined, text: string): Hop => ({
    where: { host: "n2", node_id: "r", ...(namespace === undefined ? {} : { namespace }) },
    action: "routed",
    decided_by: { kind: "route", text },
    packet: { src: "203.0.113.250", dst: "10.8.0.5" },
  });
  it("names the active node on the first hop in the router's namespace only", () => {
    const nodes = new Map([
      [
        "qrouter-r",
        [
          { host: "n1", ha_state: "standby" as const },
          { host: "n2", ha_state: "active" as const },
        ],
      ],
    ]);
    const hops = withHaNodes(
      [hop(undefined, "switched"), hop("qrouter-r", "dnat"), hop("qrouter-r", "route")],
      nodes,
    );
    expect(hops.map((h) => h.decided_by.text)).toEqual([
      "switched",
      "dnat [HA router, active on n2 (n1: standby)]",
      "route",
    ]);
  });
});

describe("haDiagnoses", () => {
  const router = { id: "r1", name: "r", ha: true };
  it("says that no node holds an HA router none of whose nodes is active, with the nodes' states", () => {
    const nodes = new Map([
      [
        "r1",
        [
          { host: "n1", ha_state: "standby" as const },
          { host: "n2", ha_state: "unknown" as const },
        ],
      ],
    ]);
    const [found, ...more] = haDiagnoses(
      [router, { id: "r2", name: "legacy", ha: false }],
      nodes,
      "forward[1]",
    );
    expect(more).toEqual([]);
    expect(found).toMatchObject({ code: "ha-router-not-active", hop: "forward[1]" });
    expect(found?.message).toContain("HA router r is active on no L3 agent (n1: standby, n2: unknown)");
    expect(found?.fix).toContain("openstack network agent list --router r --long");
  });
  it("says nothing of an HA router with an active node", () => {
    const nodes = new Map([["r1", [{ host: "n1", ha_state: "active" as const }]]]);
    expect(haDiagnoses([router], nodes, null)).toEqual([]);
  });
});

describe("the trace's model of an HA router", () => {
  let api: TestApi;
  const hosts = ["net1", "net2"];
  const register = (host: string) =>
    api.db.insert(agents).values({
      url: `http://${host}.test`,
      host,
      roles: ["network"],
      localIp: host === "net1" ? "192.0.2.11" : "192.0.2.12",
      lastSeen: new Date(),
    });
  const holders = async (routerId: string) => {
    const model = await loadTraceModel(api.db, hosts);
    return hosts.filter((h) => model.intents.get(h)?.routers.some((r) => r.id === routerId));
  };

  beforeEach(async () => {
    api = await createTestApi();
    for (const host of hosts) await register(host);
  });

  it("is on the node its bindings record active, the other after a failover, on none while none is", async () => {
    const router = await api.caller.router.create({ name: "r", ha: true });
    expect(await holders(router.id)).toEqual([]);
    await api.db.transaction((tx) => recordHaStates(tx, "net2", new Map([[router.id, "active"]])));
    await api.db.transaction((tx) => recordHaStates(tx, "net1", new Map([[router.id, "standby"]])));
    expect(await holders(router.id)).toEqual(["net2"]);
    const model = await loadTraceModel(api.db, hosts);
    expect(model.intentRouters.get(router.id)?.ha).toBeDefined();
    expect(model.haNodes.get(router.id)).toEqual(
      expect.arrayContaining([
        { host: "net1", ha_state: "standby" },
        { host: "net2", ha_state: "active" },
      ]),
    );
    await api.db.transaction((tx) => recordHaStates(tx, "net2", new Map([[router.id, "standby"]])));
    await api.db.transaction((tx) => recordHaStates(tx, "net1", new Map([[router.id, "active"]])));
    expect(await holders(router.id)).toEqual(["net1"]);
  });
});
