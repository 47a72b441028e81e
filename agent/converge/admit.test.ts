import { describe, expect, it } from "vitest";
import { ids, labIntent, labRouter } from "../testing/intent";
import { Admitted, admitIntent } from "./admit";

describe("admitting an intent resource by resource", () => {
  it("takes a whole valid intent as it is", () => {
    const intent = labIntent(3);
    expect(admitIntent(intent, "t1-")).toEqual({ intent, refused: [] });
  });

  it("refuses a bad router alone, named by its id, its namespace kept; the rest is admitted", () => {
    const good = labRouter();
    const bad = labRouter({ id: "b0000000-0000-4000-8000-0000000000bb" });
    const raw = labIntent(4, good);
    const badGateway =
      bad.gateway === null ? null : { ...bad.gateway, prefixlen: 0, mac_address: "01:00:5e:00:00:01" };
    raw.routers.push({ ...bad, gateway: badGateway });
    const { intent, refused } = admitIntent(raw, "t1-");
    expect(intent.routers).toEqual([good]);
    expect(intent.instances).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.resource_id).toBe(bad.id);
    expect(refused[0]?.namespace).toBe(`t1-qrouter-${bad.id}`);
    expect(refused[0]?.message).toMatch(/Invalid router: .*unicast/);
    expect(refused[0]?.message).toMatch(/prefixlen/);
  });

  it("names an instance's namespace after its port, and a resource without an id by its place", () => {
    const raw = labIntent(5) as unknown as { instances: Record<string, unknown>[]; routers: unknown[] };
    raw.instances[0] = { ...raw.instances[0], ip_address: "not an address" };
    raw.routers.push({ gateway: null });
    const { refused } = admitIntent(raw, "t1-");
    expect(refused.map((r) => [r.resource_id, r.namespace])).toEqual([
      ["router[1]", null],
      [ids.instance, `t1-qprobe-${ids.instancePort}`],
    ]);
  });

  it("refuses the whole intent when its envelope is wrong (no revision)", () => {
    expect(() => admitIntent({ ...labIntent(1), revision: 0 }, "t1-")).toThrow();
  });

  it("takes a firewall port the last intent had as it was admitted, and checks a changed one again", () => {
    const admitted = new Admitted();
    const port = {
      port_id: "c0000000-0000-4000-8000-0000000000c1",
      network_id: "c0000000-0000-4000-8000-0000000000c2",
      mac_address: "fa:16:3e:00:00:c1",
      fixed_ips: ["10.0.0.5"],
      allowed_address_pairs: [],
      port_security_enabled: true,
      security_groups: [],
    };
    const admit = (firewall: unknown[]) => admitIntent({ ...labIntent(1), firewall }, "t1-", null, admitted);
    const first = admit([port]).intent.firewall?.[0];
    expect(admit([{ ...port }]).intent.firewall?.[0]).toBe(first);
    const changed = admit([{ ...port, fixed_ips: ["10.0.0.6"] }]).intent.firewall?.[0];
    expect(changed).toMatchObject({ fixed_ips: ["10.0.0.6"] });
    const refused = admit([{ ...port, fixed_ips: ["not an address"] }]);
    expect(refused.intent.firewall).toEqual([]);
    expect(refused.refused.map((r) => r.resource_id)).toEqual([port.port_id]);
  });
});
