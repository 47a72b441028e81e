// Network MTUs: derived from the physical networks' settings (Neutron's global_physnet_mtu and
// physical_network_mtus), asked within 68 and the network's maximum on create and update, refused with a specific
// error that writes nothing; the settings as the server's environment gives them.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { networks } from "../db/schema";
import { parseEnv } from "../env";
import { seedDemo } from "../seed";
import { createTestApi, expectRefused, type TestApi } from "../testkit";
import { type MtuSettings, maxMtu, parsePhysnetMtus } from "./mtu";

const settings: MtuSettings = { globalPhysnetMtu: 1600, physicalNetworkMtus: { jumbo: 9000, small: 1400 } };

let api: TestApi;
beforeAll(async () => {
  api = await (await createTestApi({ demo: true })).with({ mtu: settings });
});
afterAll(() => api.close());

const mtuInDb = async (id: string) =>
  (await api.db.select({ mtu: networks.mtu }).from(networks).where(eq(networks.id, id)))[0]?.mtu;

describe("network MTU derivation", () => {
  it("gives each type its maximum: the physical network's, the global one less VXLAN's 50, the global one", () => {
    expect(maxMtu(settings, "flat", "small")).toBe(1400);
    expect(maxMtu(settings, "vlan", "other")).toBe(1600);
    // A listed MTU above the global one is capped to it, as Neutron's flat and vlan drivers do.
    expect(maxMtu(settings, "flat", "jumbo")).toBe(1600);
    expect(maxMtu(settings, "vxlan", null)).toBe(1550);
    expect(maxMtu(settings, "local", null)).toBe(1600);
  });

  it("derives a new network's MTU from the settings the server runs with", async () => {
    const flat = await api.caller.network.create({
      name: "small-flat",
      "provider:network_type": "flat",
      "provider:physical_network": "small",
    });
    const vlan = await api.caller.network.create({
      name: "vlan-other",
      "provider:network_type": "vlan",
      "provider:physical_network": "other",
    });
    const vxlan = await api.caller.network.create({ name: "vx-derived" });
    const local = await api.caller.network.create({ name: "lo-derived", "provider:network_type": "local" });
    expect([flat.mtu, vlan.mtu, vxlan.mtu, local.mtu]).toEqual([1400, 1600, 1550, 1600]);
  });
});

describe("the demo's networks", () => {
  it("are derived from the settings the server starts with", async () => {
    const fresh = await createTestApi();
    try {
      await seedDemo({
        db: fresh.db,
        bus: fresh.bus,
        mtu: { globalPhysnetMtu: 9000, physicalNetworkMtus: { public: 1600 } },
      });
      const mtuOf = async (id: string) => (await fresh.caller.network.show({ id })).mtu;
      expect([await mtuOf("public"), await mtuOf("demo-net")]).toEqual([1600, 8950]);
    } finally {
      await fresh.close();
    }
  });
});

describe("network MTU asked for", () => {
  it("takes an MTU within 68 and the maximum, on create and on update", async () => {
    const low = await api.caller.network.create({ name: "mtu-68", mtu: 68 });
    expect(low.mtu).toBe(68);
    const net = await api.caller.network.create({
      name: "mtu-set",
      "provider:network_type": "vlan",
      "provider:physical_network": "small",
      mtu: 1300,
    });
    expect(net.mtu).toBe(1300);
    const changed = await api.caller.network.update({ id: "mtu-set", mtu: 1400 });
    expect(changed.mtu).toBe(1400);
    expect(await mtuInDb(net.id)).toBe(1400);
    // Other fields leave the MTU as it is.
    expect((await api.caller.network.update({ id: "mtu-set", name: "mtu-set" })).mtu).toBe(1400);
  });

  it("refuses an MTU below 68 or above the network's maximum, writing nothing", async () => {
    const create =
      (mtu: number, extra: Record<string, string> = {}) =>
      () =>
        api.caller.network.create({ name: "mtu-bad", mtu, ...extra });
    await expectRefused(api, create(67), "Requested MTU is too small, minimum is 68");
    await expectRefused(api, create(0), "Requested MTU is too small, minimum is 68");
    await expectRefused(api, create(1551), "Requested MTU is too big, maximum is 1550");
    await expectRefused(
      api,
      create(1401, { "provider:network_type": "flat", "provider:physical_network": "small" }),
      "Requested MTU is too big, maximum is 1400",
    );
    await expectRefused(api, create(1500.5), "The MTU is a whole number of bytes");
    expect((await api.caller.network.list(undefined)).some((n) => n.name === "mtu-bad")).toBe(false);

    const net = await api.caller.network.create({
      name: "mtu-kept",
      "provider:network_type": "flat",
      "provider:physical_network": "jumbo",
    });
    const update = (mtu: number) => () => api.caller.network.update({ id: "mtu-kept", name: "renamed", mtu });
    await expectRefused(api, update(1601), "Requested MTU is too big, maximum is 1600");
    await expectRefused(api, update(40), "Requested MTU is too small, minimum is 68");
    const kept = await api.caller.network.show({ id: net.id });
    expect([kept.name, kept.mtu]).toEqual(["mtu-kept", 1600]);
  });
});

describe("MTU settings", () => {
  const valid = (name: string) => /^[A-Za-z0-9_.-]{1,64}$/.test(name);

  it("reads Neutron's physical_network_mtus list", () => {
    expect(parsePhysnetMtus(" physnet1:1500, jumbo:9000 ,", valid)).toEqual({ physnet1: 1500, jumbo: 9000 });
    expect(parsePhysnetMtus("", valid)).toEqual({});
  });

  it("refuses a malformed entry, a repeated physical network and an MTU out of bounds, by name", () => {
    expect(() => parsePhysnetMtus("physnet1=1500", valid)).toThrow(
      '"physnet1=1500" is not PHYSNET:MTU (a physical network name, a colon, a number)',
    );
    expect(() => parsePhysnetMtus("a:1500,a:1400", valid)).toThrow("physical network a is listed twice");
    expect(() => parsePhysnetMtus("a:9001", valid)).toThrow("the MTU of a must be 68 to 9000, not 9001");
    expect(() => parsePhysnetMtus("a b:1500", valid)).toThrow("is not PHYSNET:MTU");
  });

  it("comes from the server's environment, with Neutron's defaults", () => {
    const defaults = parseEnv({});
    expect([defaults.NETLENS_GLOBAL_PHYSNET_MTU, defaults.NETLENS_PHYSICAL_NETWORK_MTUS]).toEqual([1500, {}]);
    const given = parseEnv({
      NETLENS_GLOBAL_PHYSNET_MTU: "9000",
      NETLENS_PHYSICAL_NETWORK_MTUS: "public:1500",
    });
    expect([given.NETLENS_GLOBAL_PHYSNET_MTU, given.NETLENS_PHYSICAL_NETWORK_MTUS]).toEqual([
      9000,
      { public: 1500 },
    ]);
    expect(() => parseEnv({ NETLENS_GLOBAL_PHYSNET_MTU: "100" })).toThrow(
      "NETLENS_GLOBAL_PHYSNET_MTU: must be at least 118 (a VXLAN network takes 50 less)",
    );
    expect(() => parseEnv({ NETLENS_PHYSICAL_NETWORK_MTUS: "public:50" })).toThrow(
      "NETLENS_PHYSICAL_NETWORK_MTUS: the MTU of public must be 68 to 9000, not 50",
    );
  });
});
