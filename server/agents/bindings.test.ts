// Port binding in the model: the device and host fields the API takes (and refuses), which ports a host's intent
// offers to workloads, and what an agent's report of plugged interfaces makes of them.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PluggedInterface } from "../../lib/host-snapshot";
import { agents, ports } from "../db/schema";
import { createTestApi, expectRefused, type TestApi } from "../testkit";
import { recordBindings } from "./bindings";
import { compileIntent } from "./intent";
import { loadIntentInputs } from "./snapshot";

let api: TestApi;
let agentId: number;
beforeAll(async () => {
  api = await createTestApi({ demo: true });
  const [row] = await api.db
    .insert(agents)
    .values({ url: "http://agent.test", host: "h1", bridgeMappings: { public: "br-ex" } })
    .returning();
  if (!row) throw new Error("no agent row");
  agentId = row.id;
  await api.db.insert(agents).values({ url: "http://agent2.test", host: "h2", bridgeMappings: {} });
});
afterAll(() => api.close());

const plugged = (name: string, port: string, state: PluggedInterface["state"]): PluggedInterface => ({
  name,
  iface_id: port,
  attached_mac: null,
  state,
  port_id: port,
  network_id: null,
  tag: state === "bound" ? 1 : 4095,
  message: null,
});
const report = (host: string, interfaces: PluggedInterface[]) =>
  api.db.transaction((tx) => recordBindings(tx, host, interfaces));
const intentFor = async () => compileIntent(await loadIntentInputs(api.db, agentId));

describe("the port API", () => {
  it("takes device_owner, device_id and binding:host_id, and shows binding:vif_type", async () => {
    const port = await api.caller.port.create({
      name: "vm-a",
      network_id: "demo-net",
      device_owner: "compute:nova",
      device_id: "c0ffee",
      "binding:host_id": "h1",
    });
    expect(port).toMatchObject({
      device_owner: "compute:nova",
      device_id: "c0ffee",
      "binding:host_id": "h1",
      "binding:vif_type": "unbound",
      status: "PENDING",
    });
    await api.caller.port.update({ id: "vm-a", device_owner: "", device_id: "", "binding:host_id": "" });
    expect(await api.caller.port.show({ id: "vm-a" })).toMatchObject({
      device_owner: "",
      device_id: "",
      "binding:host_id": "",
    });
  });

  it("refuses an owner of the network service, a host without agent, and a server's port, writing nothing", async () => {
    await expectRefused(
      api,
      () => api.caller.port.create({ network_id: "demo-net", device_owner: "network:router_interface" }),
      "Device owner network:router_interface is reserved for ports that the network service creates and owns",
    );
    await expectRefused(
      api,
      () => api.caller.port.create({ network_id: "demo-net", "binding:host_id": "nowhere" }),
      "Invalid input for binding:host_id: host nowhere has no agent (known hosts: h1, h2).",
    );
    await expectRefused(
      api,
      () => api.caller.port.create({ network_id: "demo-net", "binding:host_id": "h1; rm -rf" }),
      "A host name holds only letters, digits",
    );
    await expectRefused(
      api,
      () => api.caller.port.update({ id: "vm1-port", device_owner: "compute:other" }),
      "Port vm1-port is the port of server vm1; its device and binding are the server's.",
    );
  });
});

describe("deleting a port", () => {
  it("deletes a workload's port, and refuses a lab server's and the network service's", async () => {
    await api.caller.port.create({ name: "gone", network_id: "demo-net", device_owner: "compute:nova" });
    await api.caller.port.delete({ id: "gone" });
    await expect(api.caller.port.show({ id: "gone" })).rejects.toThrow("gone");
    await expectRefused(
      api,
      () => api.caller.port.delete({ id: "vm1-port" }),
      "Port vm1-port cannot be deleted directly via the port API: has device owner compute:nova.",
    );
  });
});

describe("bindings", () => {
  it("offers a host its workloads' ports, not router ports, probes or ports pinned elsewhere", async () => {
    const free = await api.caller.port.create({ name: "free", network_id: "demo-net" });
    const pinned = await api.caller.port.create({
      name: "pinned",
      network_id: "demo-net",
      "binding:host_id": "h2",
    });
    const intent = await intentFor();
    const offered = (intent.ports ?? []).map((p) => p.port_id);
    expect(offered).toContain(free.id);
    expect(offered).not.toContain(pinned.id);
    expect(intent.ports_elsewhere).toContainEqual({ port_id: pinned.id, host: "h2" });
    const owned = await api.db.select().from(ports).where(eq(ports.name, "vm1-port"));
    expect(offered).not.toContain(owned[0]?.id);
    const routerPorts = (await api.caller.port.list({ device_owner: "network:router_interface" })).map(
      (p) => p.id,
    );
    expect(routerPorts.length).toBeGreaterThan(0);
    for (const id of routerPorts) expect(offered).not.toContain(id);
  });

  it("makes a bound port ACTIVE on its host, and DOWN and unbound once it is unplugged", async () => {
    const port = await api.caller.port.create({ name: "wl", network_id: "demo-net" });
    await report("h1", [plugged("tap-wl", port.id, "bound")]);
    expect(await api.caller.port.show({ id: "wl" })).toMatchObject({
      status: "ACTIVE",
      "binding:host_id": "h1",
      "binding:vif_type": "ovs",
    });
    // Still offered to h1, where it is bound.
    expect((await intentFor()).ports?.some((p) => p.port_id === port.id)).toBe(true);

    await report("h1", []);
    expect(await api.caller.port.show({ id: "wl" })).toMatchObject({
      status: "DOWN",
      "binding:host_id": "",
      "binding:vif_type": "unbound",
    });
  });

  it("keeps a host asked for through the API, and ignores a second host's claim", async () => {
    const port = await api.caller.port.create({
      name: "wl2",
      network_id: "demo-net",
      "binding:host_id": "h1",
    });
    await report("h2", [plugged("tap-x", port.id, "bound")]);
    expect(await api.caller.port.show({ id: "wl2" })).toMatchObject({
      "binding:host_id": "h1",
      status: "PENDING",
    });
    await report("h1", [plugged("tap-wl2", port.id, "bound")]);
    await expectRefused(
      api,
      () => api.caller.port.update({ id: "wl2", "binding:host_id": "h2" }),
      "Port wl2 is bound on host h1; unplug it there before binding it to host h2.",
    );
    await report("h1", [plugged("tap-wl2", port.id, "unplugged")]);
    expect(await api.caller.port.show({ id: "wl2" })).toMatchObject({
      status: "DOWN",
      "binding:host_id": "h1",
      "binding:vif_type": "unbound",
    });
  });

  it("leaves router ports and probes to the applies", async () => {
    await report("h1", []);
    const [probe] = await api.db.select().from(ports).where(eq(ports.name, "vm1-port"));
    expect(probe?.status).not.toBe("DOWN");
  });
});
