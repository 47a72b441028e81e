// Port binding end to end, a workload plugged by hand the way Nova and os-vif plug a VM: a namespace, a veth whose
// namespace end has the port's MAC and address (set statically here), the other end added to the integration
// bridge with `external_ids:iface-id=<port id>`. The agent binds it (tag, its security groups' flows, then port
// ACTIVE with its host), a lab probe on the same network answers its ping at once; unplugged it goes DOWN,
// plugged again ACTIVE; an iface-id naming no port is reported unbound on the dead VLAN and breaks nothing.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../agent/host/exec";
import { pingOnce } from "../agent/testing/host";
import type { PluggedInterface } from "../lib/host-snapshot";
import { type Stack, startStack } from "./testing/stack";
import { addWorkload, plugWorkload } from "./testing/workload";

type PortShow = {
  id: string;
  mac_address: string;
  status: string;
  "binding:host_id": string;
  "binding:vif_type": string;
};

let stack: Stack;
const tag = randomBytes(2).toString("hex");
/** Ours (the test's), not the agent's: its namespaces are `<prefix>q...-<uuid>`. */
const workloadNs = `nlbind-${tag}-vm`;
const strayNs = `nlbind-${tag}-stray`;
const loneNs = `nlbind-${tag}-lone`;
const vmTap = `bd${tag}vm`;
const strayTap = `bd${tag}st`;
const loneTap = `bd${tag}lo`;
let intBridge: string;
let host: string;

beforeAll(async () => {
  stack = await startStack();
  intBridge = `${stack.prefix.slice(0, -1)}-int`;
});
afterAll(async () => {
  for (const dev of [vmTap, strayTap, loneTap]) {
    await vsctl("--if-exists", "del-port", dev).catch(() => undefined);
    await run("ip", ["link", "del", dev], { allowFailure: true });
  }
  for (const ns of [workloadNs, strayNs, loneNs])
    await run("ip", ["netns", "del", ns], { allowFailure: true });
  await stack?.stop();
});

const vsctl = (...args: string[]) => run("ovs-vsctl", [`--db=${stack.sandbox.db}`, ...args]);

const plug = (dev: string, portId: string, mac: string) =>
  plugWorkload(stack.sandbox.db, intBridge, dev, portId, mac);

async function portTag(dev: string): Promise<string> {
  return (await vsctl("get", "Port", dev, "tag")).stdout.trim();
}

/**
 * Polls the port through the API (a CLI process per poll would measure its own start-up) until `ok`; returns
 * the port and how long it took.
 */
async function portUntil(ref: string, ok: (p: PortShow) => boolean, timeoutMs = 10_000) {
  const started = Date.now();
  for (;;) {
    const port: PortShow = await stack.api.caller.port.show({ id: ref });
    if (ok(port)) return { port, ms: Date.now() - started };
    if (Date.now() - started > timeoutMs)
      throw new Error(`port ${ref} did not get there: ${JSON.stringify(port)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function pluggedOnHost(): PluggedInterface[] {
  const section = stack.inspection.relayByHost(host)?.snapshot()?.sections.bindings;
  return section?.kind === "bindings" ? section.interfaces : [];
}

describe("binding a workload plugged by iface-id", () => {
  let portId: string;
  let mac: string;
  let probeTag: string;

  /** The workload's firewall flows are on the bridge: anti-spoofing (71), its egress (72) and ingress (82). */
  async function expectFiltered(): Promise<void> {
    const { stdout } = await run("ovs-ofctl", [
      "--names",
      "--no-stats",
      "dump-flows",
      `unix:${stack.sandbox.dir}/${intBridge}.mgmt`,
      "cookie=0x4e4c/-1",
    ]);
    const flows = stdout.split("\n");
    const has = (table: number, text: string) =>
      flows.some((f) => f.includes(`table=${table},`) && f.includes(text));
    expect(has(71, `in_port=${vmTap},dl_src=${mac}`)).toBe(true);
    expect(has(72, `ct_state=+new-est+trk,in_port=${vmTap}`)).toBe(true);
    expect(has(82, `ct_state=+new-est+trk,reg6=0x${Number(probeTag).toString(16)},dl_dst=${mac}`)).toBe(true);
  }

  it("creates the port with openstack's device fields and lists them in openstack's columns", async () => {
    await stack.cliOk("network", "create", "bindnet");
    await stack.cliOk(
      "subnet",
      "create",
      "bindsub",
      "--network",
      "bindnet",
      "--subnet-range",
      "10.77.0.0/24",
    );
    await stack.cliOk("server", "create", "probe", "--network", "bindnet", "--fixed-ip", "10.77.0.5");
    const created = await stack.cliJson<PortShow>(
      "port",
      "create",
      "vm-port",
      "--network",
      "bindnet",
      "--fixed-ip",
      "ip-address=10.77.0.20",
      "--device-owner",
      "compute:nova",
      "--device",
      "vm-0001",
    );
    portId = created.id;
    mac = created.mac_address;
    const listed = await stack.cliJson<Record<string, unknown>[]>(
      "port",
      "list",
      "--long",
      "-c",
      "ID",
      "-c",
      "Fixed IP Addresses",
      "-c",
      "Device Owner",
    );
    expect(listed).toContainEqual({
      ID: portId,
      "Fixed IP Addresses": [{ subnet_id: expect.any(String), ip_address: "10.77.0.20" }],
      "Device Owner": "compute:nova",
    });
    const refused = await stack.cli("port", "list", "-c", "Device Owner");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("No recognized column names in ['Device Owner']");
    const unplugged = await portUntil("vm-port", (p) => p.status !== "PENDING");
    expect(unplugged.port).toMatchObject({ status: "DOWN", "binding:vif_type": "unbound" });
    const probe = await stack.cliJson<{ port_id: string; host: string }>("server", "show", "probe");
    host = probe.host;
    probeTag = await portTag(await probePeer(probe.port_id));
    expect(Number(probeTag)).toBeGreaterThan(0);
  });

  it("binds it when plugged: ACTIVE on the agent's host, its network's tag, and the probe answers", async () => {
    await addWorkload(workloadNs, vmTap, mac, "10.77.0.20/24");
    const plugged = Date.now();
    await plug(vmTap, portId, mac);
    const { port } = await portUntil("vm-port", (p) => p.status === "ACTIVE");
    const ms = Date.now() - plugged;
    expect(port).toMatchObject({ "binding:host_id": host, "binding:vif_type": "ovs" });
    // Neutron's OVS agent takes a few seconds at worst; this one watches OVSDB (about 0.1 s here).
    expect(ms).toBeLessThan(2_000);
    console.info(`plug -> ACTIVE in ${ms} ms`);
    expect(await portTag(vmTap)).toBe(probeTag);
    // As Neutron reports a device up only once its filter is set: ACTIVE means its security groups' flows are
    // in, and a ping its default group allows is answered at once.
    await expectFiltered();
    expect(await pingOnce(workloadNs, "10.77.0.5")).toBe(true);
  });

  it("goes DOWN and unbound when unplugged, and ACTIVE again when plugged again", async () => {
    await vsctl("del-port", intBridge, vmTap);
    const down = await portUntil("vm-port", (p) => p.status === "DOWN");
    expect(down.port).toMatchObject({ "binding:host_id": "", "binding:vif_type": "unbound" });
    expect(await pingOnce(workloadNs, "10.77.0.5")).toBe(false);

    await plug(vmTap, portId, mac);
    const again = await portUntil("vm-port", (p) => p.status === "ACTIVE");
    expect(again.port["binding:host_id"]).toBe(host);
    expect(await portTag(vmTap)).toBe(probeTag);
    await expectFiltered();
    expect(await pingOnce(workloadNs, "10.77.0.5")).toBe(true);
  });

  it("keeps a host set with `port set --host` when unplugged, until `port unset --host`", async () => {
    await stack.cliOk("port", "set", "vm-port", "--host", host);
    const refused = await stack.cli("port", "set", "vm-port", "--host", "elsewhere");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Port vm-port is bound on host ${host}; unplug it there`);
    await vsctl("del-port", intBridge, vmTap);
    const down = await portUntil("vm-port", (p) => p.status === "DOWN");
    expect(down.port).toMatchObject({ "binding:host_id": host, "binding:vif_type": "unbound" });
    await stack.cliOk("port", "unset", "vm-port", "--host");
    expect((await stack.cliJson<PortShow>("port", "show", "vm-port"))["binding:host_id"]).toBe("");
    await plug(vmTap, portId, mac);
    await portUntil("vm-port", (p) => p.status === "ACTIVE");
  });

  it("leaves an iface-id that names no port unbound on the dead VLAN, shown on the host, and breaks nothing", async () => {
    const nobody = randomUUID();
    await addWorkload(strayNs, strayTap, "fa:16:3e:77:77:77", "10.77.0.99/24");
    await plug(strayTap, nobody, "fa:16:3e:77:77:77");
    const deadline = Date.now() + 10_000;
    while (!pluggedOnHost().some((i) => i.iface_id === nobody) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(pluggedOnHost().find((i) => i.iface_id === nobody)).toMatchObject({
      name: strayTap,
      state: "unbound",
      port_id: null,
      tag: 4095,
      message: `No port ${nobody} on this host`,
    });
    expect(await portTag(strayTap)).toBe("4095");
    // As Neutron's agent does for a dead port: what it sends is dropped, not only kept to VLAN 4095.
    const { stdout: drops } = await run("ovs-ofctl", [
      "--names",
      "dump-flows",
      `unix:${stack.sandbox.dir}/${intBridge}.mgmt`,
      "cookie=0x4e4c4201/-1",
    ]);
    expect(drops).toMatch(new RegExp(`priority=2,in_port="?${strayTap}"? actions=drop`));
    expect(drops).not.toContain(vmTap);
    expect(await pingOnce(strayNs, "10.77.0.5")).toBe(false);
    // The bound workload is untouched, and the host's own report says so too.
    expect(pluggedOnHost().find((i) => i.name === vmTap)).toMatchObject({ state: "bound", port_id: portId });
    expect(await pingOnce(workloadNs, "10.77.0.5")).toBe(true);
    const inspect = await stack.cli("host", "inspect", host, "--section", "bindings");
    expect(inspect.stdout).toContain(`${strayTap} iface-id=${nobody} unbound tag 4095`);
    expect((await stack.cliJson<PortShow>("port", "show", "vm-port")).status).toBe("ACTIVE");
  });
});

describe("a network that only a workload uses on the host", () => {
  it("gets a local VLAN of its own, which later networks do not take", async () => {
    await stack.cliOk("network", "create", "lonenet");
    await stack.cliOk(
      "subnet",
      "create",
      "lonesub",
      "--network",
      "lonenet",
      "--subnet-range",
      "10.78.0.0/24",
    );
    const port = await stack.cliJson<PortShow>("port", "create", "lone-port", "--network", "lonenet");
    await addWorkload(loneNs, loneTap, port.mac_address, "10.78.0.20/24");
    await plug(loneTap, port.id, port.mac_address);
    await portUntil("lone-port", (p) => p.status === "ACTIVE");
    const loneTag = await portTag(loneTap);
    const probe = await stack.cliJson<{ port_id: string }>("server", "show", "probe");
    expect(loneTag).not.toBe(await portTag(await probePeer(probe.port_id)));
    expect(Number(loneTag)).toBeGreaterThan(0);
    expect(Number(loneTag)).toBeLessThan(4095);

    // A new network of the agent's own comes after: it takes another tag, and the workload keeps its own.
    await stack.cliOk("network", "create", "latenet");
    await stack.cliOk(
      "subnet",
      "create",
      "latesub",
      "--network",
      "latenet",
      "--subnet-range",
      "10.79.0.0/24",
    );
    await stack.cliOk("server", "create", "late", "--network", "latenet");
    const late = await stack.cliJson<{ port_id: string }>("server", "show", "late");
    expect(await portTag(await probePeer(late.port_id))).not.toBe(loneTag);
    expect(await portTag(loneTap)).toBe(loneTag);
  });
});

/** The root end of a lab probe's veth: the OVS port whose iface-id is the probe's port. */
async function probePeer(probePortId: string): Promise<string> {
  const { stdout } = await vsctl(
    "--bare",
    "--columns=name",
    "find",
    "Interface",
    `external_ids:iface-id=${probePortId}`,
  );
  return stdout.trim();
}
