import { describe, expect, it } from "vitest";
import { namespaceNames } from "../../lib/names";
import { planHost, planLocalVlans } from "../plan/desired";
import { diffHost } from "../plan/diff";
import { labDhcp } from "../testing/dhcp";
import { ids, labIntent, labRouter, manyFloatingIps, unitSettings } from "../testing/intent";
import { emptyHost } from "../testing/observed";
import { flowKey, holdUnasked, intentParts, type Part, restrictToScope, selectScope } from "./scope";

const settings = unitSettings;

const routerNs = namespaceNames.router("t1-", ids.router);
const instanceNs = namespaceNames.instance("t1-", ids.instancePort);
const uplinkNs = namespaceNames.uplink("t1-", ids.external);

function partsOf(intent = labIntent(1)): Part[] {
  return intentParts(intent, settings, planLocalVlans(intent, new Map()));
}

const settledFrom = (parts: Part[]) => new Map<string, string | null>(parts.map((p) => [p.key, p.digest]));
const owner = (name: string) => /([0-9a-f-]{36})$/.exec(name)?.[1] ?? null;

describe("incremental scope", () => {
  it("gives each router, instance and uplink its namespace as key and a digest that ignores intent order", () => {
    const parts = partsOf();
    expect(parts.map((p) => [p.key, p.resourceId])).toEqual([
      [routerNs, ids.router],
      [instanceNs, ids.instance],
      [uplinkNs, ids.external],
    ]);
    const reordered = labIntent(2);
    reordered.networks.reverse();
    expect(partsOf(reordered)).toEqual(parts);
  });

  it("looks at nothing when nothing changed", () => {
    const parts = partsOf();
    const scope = selectScope({
      parts,
      flows: [],
      settled: settledFrom(parts),
      cached: [routerNs, instanceNs, uplinkNs],
      repair: new Set(),
      ownerOf: owner,
    });
    expect(scope).toEqual({ namespaces: new Set(), read: new Set(), list: false, bridges: new Set() });
  });

  it("plans a changed router from the picture, without reading it; a new network's MTU changes only its users", () => {
    const settled = settledFrom(partsOf());
    const intent = labIntent(2, labRouter({ floating_ips: manyFloatingIps(2) }));
    const changed = selectScope({
      parts: partsOf(intent),
      flows: [],
      settled,
      cached: settled.keys(),
      repair: new Set(),
      ownerOf: owner,
    });
    expect(changed).toEqual({
      namespaces: new Set([routerNs]),
      read: new Set(),
      list: false,
      bridges: new Set(),
    });

    const mtu = labIntent(3);
    const tenant = mtu.networks.find((n) => n.id === ids.tenant);
    if (tenant === undefined) throw new Error("fixture");
    tenant.mtu = 1400;
    const scope = selectScope({
      parts: partsOf(mtu),
      flows: [],
      settled,
      cached: settled.keys(),
      repair: new Set(),
      ownerOf: owner,
    });
    expect([...scope.namespaces]).toEqual([routerNs, instanceNs]);
  });

  it("reads failed and repaired namespaces from the host, and removes only what an applied intent named", () => {
    const parts = partsOf();
    const settled = settledFrom(parts);
    settled.set(instanceNs, null);
    const gone = namespaceNames.router("t1-", "b0000000-0000-4000-8000-0000000000ff");
    settled.set(gone, "digest-of-a-router-since-deleted");
    const leftover = namespaceNames.router("t1-", "b0000000-0000-4000-8000-0000000000ee");
    const asked = namespaceNames.router("t1-", "b0000000-0000-4000-8000-0000000000dd");
    const scope = selectScope({
      parts,
      flows: [],
      settled,
      cached: [routerNs, instanceNs, uplinkNs, gone, leftover, asked],
      repair: new Set([ids.external, "b0000000-0000-4000-8000-0000000000dd"]),
      ownerOf: owner,
    });
    expect(scope).toEqual({
      namespaces: new Set([instanceNs, uplinkNs, gone, asked]),
      read: new Set([instanceNs, uplinkNs]),
      list: true,
      bridges: new Set(),
    });
  });

  it("plans a new router from the picture too: no read, no listing (a failing command makes the agent read it)", () => {
    const parts = partsOf();
    const settled = settledFrom(parts.filter((p) => p.key !== routerNs));
    const scope = selectScope({
      parts,
      flows: [],
      settled,
      cached: [instanceNs, uplinkNs],
      repair: new Set(),
      ownerOf: owner,
    });
    expect(scope).toEqual({
      namespaces: new Set([routerNs]),
      read: new Set(),
      list: false,
      bridges: new Set(),
    });
  });

  it("diffs a bridge's flows when their digest changed or the bridge is asked for", () => {
    const flows: Part[] = [
      { key: flowKey("br-int"), resourceId: "br-int", digest: "a" },
      { key: flowKey("br-ex"), resourceId: "br-ex", digest: "b" },
    ];
    const scope = selectScope({
      parts: [],
      flows,
      settled: new Map([
        [flowKey("br-int"), "a"],
        [flowKey("br-ex"), "old"],
      ]),
      cached: [],
      repair: new Set(),
      ownerOf: owner,
    });
    expect(scope.bridges).toEqual(new Set(["br-ex"]));
  });

  it("cuts plan and host down to the scope, so the diff neither makes nor removes anything outside it", () => {
    const intent = labIntent(1, labRouter({ floating_ips: manyFloatingIps(2) }));
    const plan = planHost(intent, settings, new Map());
    const empty = emptyHost();
    const stale = namespaceNames.router("t1-", "b0000000-0000-4000-8000-0000000000ff");
    empty.namespaces.set(stale, { name: stale, loUp: true, devices: [], routes: [], nat: null });
    const cut = restrictToScope(plan, empty, {
      namespaces: new Set([routerNs]),
      read: new Set(),
      list: false,
      bridges: new Set(),
    });
    const actions = diffHost(cut.plan, cut.observed, "t1-");
    expect(new Set(actions.map((a) => ("ns" in a ? a.ns : a.kind)))).toEqual(
      new Set([routerNs, "ovs-port-set"]),
    );
    expect(actions.filter((a) => a.kind === "ovs-port-set").map((a) => a.resource)).toEqual([
      ids.router,
      ids.router,
    ]);
  });
});

describe("what a full apply with a repair list holds", () => {
  const parts = partsOf();
  const settled = settledFrom(parts);
  const drift = { kind: "lo-up", ns: routerNs, resource: ids.router } as const;
  const removal = (id: string) => ({ kind: "netns-del", ns: `t1-qrouter-${id}`, resource: id }) as const;
  const hold = (repair: "all" | string[], from = settled) =>
    holdUnasked({ parts, settled: from, repair, ownerOf: owner, actions: [drift] });

  it("holds a hand change on a resource left as asked, unless its repair is asked", () => {
    expect(hold([])(drift)).toBe(true);
    expect(hold([ids.router])(drift)).toBe(false);
    expect(hold("all")(drift)).toBe(false);
  });

  it("puts back a resource whose part changed, or whose last apply failed", () => {
    const changed = new Map(settled).set(routerNs, "an older digest");
    expect(hold([], changed)(drift)).toBe(false);
    expect(hold([], new Map(settled).set(routerNs, null))(drift)).toBe(false);
  });

  it("removes only what an applied intent made", () => {
    const madeBefore = "b0000000-0000-4000-8000-0000000000ff";
    const stranger = "b0000000-0000-4000-8000-0000000000ee";
    const withOld = new Map(settled).set(`t1-qrouter-${madeBefore}`, "digest");
    expect(hold([], withOld)(removal(madeBefore))).toBe(false);
    expect(hold([], withOld)(removal(stranger))).toBe(true);
    expect(hold([stranger], withOld)(removal(stranger))).toBe(false);
  });

  it("rebuilds a resource whose namespace the host lacks altogether (a reboot), asked or not", () => {
    const rebuild = [{ kind: "netns-add", ns: routerNs, resource: ids.router } as const, drift];
    const held = holdUnasked({ parts, settled, repair: [], ownerOf: owner, actions: rebuild });
    expect(rebuild.filter(held)).toEqual([]);
  });

  it("judges a network by all its parts: its uplink unchanged does not hold its DHCP server's change", () => {
    const external = { ...labDhcp(), network_id: ids.external };
    const before = partsOf({ ...labIntent(1), dhcp: [external] });
    const after = partsOf({ ...labIntent(1), dhcp: [{ ...external, mtu: 1400 }] });
    const dhcpNs = namespaceNames.dhcp("t1-", ids.external);
    const change = {
      kind: "link-set",
      ns: dhcpNs,
      dev: "ns-x",
      mac: null,
      mtu: 1400,
      resource: ids.external,
    } as const;
    const held = holdUnasked({
      parts: after,
      settled: settledFrom(before),
      repair: [],
      ownerOf: owner,
      actions: [],
    });
    expect(held(change)).toBe(false);
    expect(
      holdUnasked({ parts: before, settled: settledFrom(before), repair: [], ownerOf: owner, actions: [] })(
        change,
      ),
    ).toBe(true);
  });
});
