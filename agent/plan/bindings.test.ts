// The binding plan, without a host: which plugged interface gets which tag, and what is reported about it.
import { describe, expect, it } from "vitest";
import type { HostIntent } from "../contract/intent";
import { parseIntegrationPorts } from "../read/iface-ids";
import {
  DEAD_VLAN,
  deadPortFlows,
  type ObservedPlugged,
  planBindings,
  pluggedLocalVlans,
  workloadNetworks,
} from "./bindings";
import { planLocalVlans } from "./desired";

const net = "a0000000-0000-4000-8000-000000000001";
const net2 = "a0000000-0000-4000-8000-000000000002";
const port = "c0000000-0000-4000-8000-000000000001";
const port2 = "c0000000-0000-4000-8000-000000000002";
const downPort = "c0000000-0000-4000-8000-000000000003";
const remote = "c0000000-0000-4000-8000-000000000004";
const unknown = "c0000000-0000-4000-8000-0000000000ff";

const network = (id: string) => ({
  id,
  network_type: "local" as const,
  physical_network: null,
  segmentation_id: null,
  mtu: 1500,
});
const intent: HostIntent = {
  revision: 3,
  networks: [network(net), network(net2)],
  routers: [],
  instances: [],
  uplinks: [],
  ports: [
    { port_id: port, network_id: net, mac_address: "fa:16:3e:00:00:01", admin_state_up: true },
    { port_id: port2, network_id: net2, mac_address: "fa:16:3e:00:00:02", admin_state_up: true },
    { port_id: downPort, network_id: net, mac_address: "fa:16:3e:00:00:03", admin_state_up: false },
  ],
  ports_elsewhere: [{ port_id: remote, host: "h2" }],
};

/** This host's bridge mappings: none (the networks above are local). */
const mappings = {};

const plug = (name: string, ifaceId: string, extra: Partial<ObservedPlugged> = {}): ObservedPlugged => ({
  name,
  ifaceId,
  attachedMac: null,
  tag: null,
  ofport: 7,
  netUuid: null,
  ...extra,
});

describe("planBindings", () => {
  it("tags each offered port's interface with its network's local VLAN, the rest with the dead VLAN", () => {
    const plugged = [
      plug("tap1", port),
      plug("tap2", port2, { tag: 2, netUuid: net2 }),
      plug("tap3", downPort),
      plug("tap4", remote),
      plug("tap5", unknown, { tag: DEAD_VLAN }),
      plug("tap6", port),
    ];
    const vlans = new Map([
      [net, 1],
      [net2, 2],
    ]);
    const { interfaces, changes } = planBindings(intent, plugged, vlans, mappings);
    expect(interfaces.map((i) => [i.name, i.state, i.tag, i.port_id])).toEqual([
      ["tap1", "bound", 1, port],
      ["tap2", "bound", 2, port2],
      ["tap3", "down", DEAD_VLAN, downPort],
      ["tap4", "error", DEAD_VLAN, remote],
      ["tap5", "unbound", DEAD_VLAN, null],
      ["tap6", "error", DEAD_VLAN, port],
    ]);
    expect(interfaces.find((i) => i.name === "tap4")?.message).toBe(`Port ${remote} is bound to host h2`);
    expect(interfaces.find((i) => i.name === "tap6")?.message).toBe(
      `Port ${port} is already plugged here as tap1`,
    );
    // tap2 and tap5 are already as planned.
    expect(changes).toEqual([
      { port: "tap1", tag: 1, netUuid: net },
      { port: "tap3", tag: DEAD_VLAN, netUuid: null },
      { port: "tap4", tag: DEAD_VLAN, netUuid: null },
      { port: "tap6", tag: DEAD_VLAN, netUuid: null },
    ]);
  });

  it("drops what dead ports send, except where the device is gone or the name could carry flow syntax", () => {
    const plugged = [
      plug("tap1", port),
      plug("tap5", unknown),
      plug("gone", unknown, { ofport: -1 }),
      plug("x actions=output:1", unknown),
    ];
    const { interfaces } = planBindings(intent, plugged, new Map([[net, 1]]), mappings);
    expect(deadPortFlows(interfaces, plugged)).toEqual([
      "cookie=0x4e4c4201,priority=2,in_port=tap5 actions=drop",
    ]);
  });

  it("puts an interface whose device is gone on the dead VLAN and reports it unplugged", () => {
    const { interfaces, changes } = planBindings(
      intent,
      [plug("tap1", port, { ofport: -1, tag: 1, netUuid: net })],
      new Map([[net, 1]]),
      mappings,
    );
    expect(interfaces[0]).toMatchObject({ state: "unplugged", port_id: port, tag: DEAD_VLAN });
    expect(changes).toEqual([{ port: "tap1", tag: DEAD_VLAN, netUuid: null }]);
  });

  it("gives a network only a workload uses a local VLAN that no other network takes, and keeps it", () => {
    const plugged = [plug("tap1", port, { tag: 1, netUuid: net }), plug("tap2", port2)];
    const first = planLocalVlans(
      intent,
      pluggedLocalVlans(plugged),
      workloadNetworks(intent, plugged, mappings),
    );
    expect([...first]).toEqual([
      [net, 1],
      [net2, 2],
    ]);
    // Once tagged, the tag it carries is kept although the network has no port of ours.
    const bound = [plug("tap2", port2, { tag: 2, netUuid: net2 })];
    expect([
      ...planLocalVlans(intent, pluggedLocalVlans(bound), workloadNetworks(intent, bound, mappings)),
    ]).toEqual([[net2, 2]]);
  });

  it("binds nothing without an intent that offers the port", () => {
    const empty: HostIntent = { revision: 1, networks: [], routers: [], instances: [], uplinks: [] };
    expect(workloadNetworks(empty, [plug("tap1", port)], mappings)).toEqual([]);
    expect(planBindings(empty, [plug("tap1", port)], new Map(), mappings).interfaces[0]?.state).toBe(
      "unbound",
    );
  });

  it("binds a port on a vlan network only where this host has a bridge for its physical network", () => {
    const vlan = {
      ...network(net),
      network_type: "vlan" as const,
      physical_network: "public",
      segmentation_id: 2101,
    };
    const onVlan: HostIntent = { ...intent, networks: [vlan, network(net2)] };
    const plugged = [plug("tap1", port)];
    expect(workloadNetworks(onVlan, plugged, { public: "br-prov" })).toEqual([net]);
    expect(
      planBindings(onVlan, plugged, new Map([[net, 1]]), { public: "br-prov" }).interfaces[0],
    ).toMatchObject({ state: "bound", tag: 1 });
    // Not mapped here: on the dead VLAN, saying why, and its network needs no local VLAN for it.
    expect(workloadNetworks(onVlan, plugged, { other: "br-ex" })).toEqual([]);
    expect(planBindings(onVlan, plugged, new Map(), { other: "br-ex" }).interfaces[0]).toMatchObject({
      state: "error",
      tag: DEAD_VLAN,
      port_id: port,
      message: `Physical network public of network ${net} has no bridge mapping on this host: port ${port} cannot be bound here`,
    });
  });
});

describe("parseIntegrationPorts", () => {
  it("keeps interfaces with an iface-id that carry no netlens mark, and our ports' tags", () => {
    const uuid = (n: number) => ["uuid", `00000000-0000-4000-8000-00000000000${n}`];
    const stdout = [
      JSON.stringify({ headings: ["ports"], data: [[["set", [uuid(1), uuid(2), uuid(3)]]]] }),
      JSON.stringify({
        headings: ["_uuid", "name", "tag", "other_config", "interfaces"],
        data: [
          [uuid(1), "vm-tap", 5, ["map", [["net_uuid", net]]], uuid(4)],
          [uuid(2), "tap-ours", 1, ["map", []], uuid(5)],
          [uuid(3), "no-id", ["set", []], ["map", []], uuid(6)],
          [uuid(7), "other-bridge", 9, ["map", []], uuid(8)],
        ],
      }),
      JSON.stringify({
        headings: ["_uuid", "name", "ofport", "external_ids"],
        data: [
          [
            uuid(4),
            "vm-tap",
            3,
            [
              "map",
              [
                ["iface-id", port],
                ["attached-mac", "fa:16:3e:00:00:01"],
              ],
            ],
          ],
          [
            uuid(5),
            "tap-ours",
            2,
            [
              "map",
              [
                ["iface-id", port2],
                ["netlens-prefix", "p-"],
                ["netlens-network-id", net2],
              ],
            ],
          ],
          [uuid(6), "no-id", 4, ["map", []]],
          [uuid(8), "other-bridge", 5, ["map", [["iface-id", unknown]]]],
        ],
      }),
    ].join("\n");
    const { plugged, ownTags } = parseIntegrationPorts(stdout, "p-");
    expect(plugged).toEqual([
      { name: "vm-tap", ifaceId: port, attachedMac: "fa:16:3e:00:00:01", tag: 5, ofport: 3, netUuid: net },
    ]);
    expect([...ownTags]).toEqual([[net2, 1]]);
  });
});
