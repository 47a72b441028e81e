// Where an external network's outside world lives with several hosts: on the first network node that maps its
// physical network, so `network show` names the uplink namespace with that host's prefix, whichever host
// registered first (a compute host, as `npm run up -- --hosts` registers them).
import { describe, expect, it } from "vitest";
import { agents } from "../db/schema";
import { createTestApi } from "../testkit";

describe("the uplink namespace with several hosts", () => {
  it("is named with the prefix of the network node mapping the physical network, not the first host's", async () => {
    const api = await createTestApi();
    try {
      await api.db.insert(agents).values([
        {
          url: "http://compute1.test",
          host: "compute1",
          roles: ["compute"],
          prefix: "c1-",
          bridgeMappings: {},
        },
        {
          url: "http://network1.test",
          host: "network1",
          roles: ["network"],
          prefix: "n1-",
          bridgeMappings: { public: "br-ex" },
        },
      ]);
      const ext = await api.caller.network.create({
        name: "ext",
        "router:external": true,
        "provider:network_type": "flat",
        "provider:physical_network": "public",
      });
      await api.caller.subnet.create({ name: "ext-sub", network_id: "ext", cidr: "203.0.113.0/24" });
      expect((await api.caller.network.show({ id: "ext" })).uplink_namespace).toBe(`n1-quplink-${ext.id}`);
      const listed = await api.caller.network.list({});
      expect(listed.find((n) => n.id === ext.id)?.uplink_namespace).toBe(`n1-quplink-${ext.id}`);
    } finally {
      await api.close();
    }
  });
});
