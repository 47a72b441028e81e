// Where an external network's outside world lives with several hosts: on the first network node that maps its
// physical network, so `network show` names the uplink namespace with that host's prefix, whichever host
// registered first (a compute host, as `npm run up -- --hosts` registers them).
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestApi, type TestApi } from "../testkit";
import { Dispatcher } from "./dispatcher";
import { FakeAgent } from "./fake-agent.testing";

describe("the uplink namespace with several hosts", () => {
  let api: TestApi;
  const dispatchers: Dispatcher[] = [];

  beforeEach(async () => {
    api = await createTestApi();
    const hosts = [
      { host: "compute1", roles: ["compute" as const], local_ip: "192.0.2.11", prefix: "c1-" },
      { host: "network1", roles: ["network" as const], local_ip: "192.0.2.12", prefix: "n1-" },
    ];
    for (const self of hosts) {
      const agent = new FakeAgent(self);
      const dispatcher = new Dispatcher({
        db: api.db,
        bus: api.bus,
        agent,
        url: `http://${self.host}.test:9797`,
        logger: pino({ level: "silent" }),
        retry: { minMs: 10, maxMs: 50 },
      });
      dispatchers.push(dispatcher);
      await dispatcher.start();
    }
    await expect
      .poll(async () => (await api.caller.host.list()).filter((h) => h.host !== null).length)
      .toBe(2);
  });
  afterEach(async () => {
    for (const d of dispatchers.splice(0)) await d.stop();
    await api.close();
  });

  it("names the namespace on the network node mapping the physical network, not the first host's", async () => {
    const ext = await api.caller.network.create({
      name: "ext",
      "router:external": true,
      "provider:network_type": "flat",
      "provider:physical_network": "public",
    });
    await api.caller.subnet.create({
      name: "ext-sub",
      network_id: "ext",
      cidr: "203.0.113.0/24",
      gateway_ip: "203.0.113.1",
      enable_dhcp: false,
    });
    expect((await api.caller.network.show({ id: "ext" })).uplink_namespace).toBe(`n1-quplink-${ext.id}`);
    expect((await api.caller.network.list({})).find((n) => n.id === ext.id)?.uplink_namespace).toBe(
      `n1-quplink-${ext.id}`,
    );
  });
});
