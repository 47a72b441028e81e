import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostIntent } from "../../agent/contract/intent";
import { agents } from "../db/schema";
import { createTestApi, type TestApi } from "../testkit";
import { compileIntent } from "./intent";
import { loadIntentInputs } from "./snapshot";

describe("the firewall part of the intent", () => {
  let api: TestApi;
  let agentId = 0;
  const intent = async () => compileIntent(await loadIntentInputs(api.db, agentId));
  beforeAll(async () => {
    api = await createTestApi({ demo: true });
    const [agent] = await api.db
      .insert(agents)
      .values({ url: "http://agent.test", host: "h1", wantedRevision: 1 })
      .returning();
    agentId = agent?.id ?? 0;
  });
  afterAll(() => api.close());

  it("filters the instances with their default group's rules, the remote group as its members' addresses", async () => {
    const compiled = await intent();
    expect(hostIntent.safeParse(compiled).success).toBe(true);
    const vm1 = await api.caller.server.show({ id: "vm1" });
    const vm2 = await api.caller.server.show({ id: "vm2" });
    const ipOf = (vm: typeof vm1) => compiled.instances.find((i) => i.id === vm.id)?.ip_address ?? "";
    const entry = compiled.firewall?.find((f) => f.port_id === vm1.port_id);
    expect(entry).toMatchObject({
      port_security_enabled: true,
      fixed_ips: [ipOf(vm1)],
      allowed_address_pairs: [],
    });
    // The group's rules travel once, beside the ports that name it.
    expect(entry?.security_groups).toHaveLength(1);
    const rulesOf = (id: string | undefined) => compiled.security_groups?.find((g) => g.id === id)?.rules;
    expect(compiled.security_groups).toHaveLength(1);
    expect(rulesOf(entry?.security_groups[0])).toEqual(
      expect.arrayContaining([
        {
          direction: "ingress",
          protocol: null,
          port_range_min: null,
          port_range_max: null,
          remote_ip_prefixes: [`${ipOf(vm1)}/32`, `${ipOf(vm2)}/32`].sort(),
        },
        {
          direction: "egress",
          protocol: null,
          port_range_min: null,
          port_range_max: null,
          remote_ip_prefixes: null,
        },
        {
          direction: "ingress",
          protocol: 1,
          port_range_min: null,
          port_range_max: null,
          remote_ip_prefixes: null,
        },
        {
          direction: "ingress",
          protocol: 6,
          port_range_min: 22,
          port_range_max: 22,
          remote_ip_prefixes: null,
        },
      ]),
    );
    // The network service's own ports (router, DHCP) are not filtered.
    expect(compiled.firewall?.map((f) => f.port_id).sort()).toEqual([vm1.port_id, vm2.port_id].sort());
  });

  it("carries port security and allowed address pairs (an address as its /32), and a new rule", async () => {
    const port = await api.caller.port.create({
      network_id: "demo-net",
      allowed_address_pairs: [
        { ip_address: "10.0.0.200" },
        { ip_address: "10.0.1.0/24", mac_address: "fa:16:3e:aa:bb:cc" },
      ],
    });
    const open = await api.caller.port.create({
      network_id: "demo-net",
      port_security_enabled: false,
      security_groups: [],
    });
    const group = await api.caller.securityGroup.create({ name: "web", project_id: "demo" });
    await api.caller.securityGroupRule.create({
      security_group_id: group.id,
      direction: "ingress",
      protocol: "tcp",
      port_range_min: 80,
      port_range_max: 80,
      remote_ip_prefix: "198.51.100.7",
    });
    await api.caller.port.update({ id: port.id, security_groups: [group.id] });
    const compiled = await intent();
    const entry = compiled.firewall?.find((f) => f.port_id === port.id);
    expect(entry?.allowed_address_pairs).toEqual([
      { ip_address: "10.0.0.200/32", mac_address: port.mac_address },
      { ip_address: "10.0.1.0/24", mac_address: "fa:16:3e:aa:bb:cc" },
    ]);
    expect(entry?.security_groups).toEqual([group.id]);
    expect(compiled.security_groups?.find((g) => g.id === group.id)?.rules).toContainEqual({
      direction: "ingress",
      protocol: 6,
      port_range_min: 80,
      port_range_max: 80,
      remote_ip_prefixes: ["198.51.100.7/32"],
    });
    expect(compiled.firewall?.find((f) => f.port_id === open.id)).toMatchObject({
      port_security_enabled: false,
      security_groups: [],
    });
  });
});
