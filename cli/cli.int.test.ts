// The CLI end to end, through the API: the `netlens` command builds an external network, a tenant network, a
// router, an instance and a floating IP on a real agent (real OVS, namespaces, iptables); traffic goes where it
// should; removing everything leaves nothing of ours on the host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../agent/host/exec";
import { namespacesWithPrefix, pingOnce, tcpPeerAddress } from "../agent/testing/host";
import { type Stack, startStack } from "./testing/stack";

let stack: Stack;
let uplinkNs: string;
let vmNs: string;
let routerGatewayIp: string;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

async function ourOvsPorts(): Promise<string[]> {
  const { stdout } = await run("ovs-vsctl", [
    `--db=${stack.sandbox.db}`,
    "--format=json",
    "--columns=name,external_ids",
    "list",
    "Interface",
  ]);
  const rows = (JSON.parse(stdout) as { data: [string, [string, [string, string][]]][] }).data;
  return rows
    .filter(([, [, ids]]) => ids.some(([k, v]) => k === "netlens-prefix" && v === stack.prefix))
    .map(([n]) => n);
}

describe("netlens CLI against the real stack", () => {
  it("builds the topology with openstack verbs", async () => {
    await stack.cliOk(
      "network",
      "create",
      "ext_n2",
      "--external",
      "--provider-network-type",
      "flat",
      "--provider-physical-network",
      "public",
    );
    await stack.cliOk(
      "subnet",
      "create",
      "extsubnet",
      "--network",
      "ext_n2",
      "--subnet-range",
      "203.0.113.0/24",
      "--gateway",
      "203.0.113.1",
      "--allocation-pool",
      "start=203.0.113.210,end=203.0.113.220",
      "--no-dhcp",
    );
    await stack.cliOk("network", "create", "net1");
    await stack.cliOk("subnet", "create", "sub1", "--network", "net1", "--subnet-range", "10.0.0.0/24");
    await stack.cliOk("router", "create", "r1");
    await stack.cliOk("router", "set", "r1", "--external-gateway", "ext_n2");
    await stack.cliOk("router", "add", "subnet", "r1", "sub1");
    await stack.cliOk("server", "create", "vm_1", "--network", "net1", "--fixed-ip", "10.0.0.5");
    await stack.cliOk("floating", "ip", "create", "ext_n2", "--floating-ip-address", "203.0.113.215");
    await stack.cliOk("server", "add", "floating", "ip", "vm_1", "203.0.113.215");
    // The default group lets in only its own members, as Neutron's does: open what the test sends from outside.
    await stack.cliOk("security", "group", "rule", "create", "--protocol", "icmp", "default");
    await stack.cliOk(
      "security",
      "group",
      "rule",
      "create",
      "--protocol",
      "tcp",
      "--dst-port",
      "8022",
      "default",
    );

    const ext = await stack.cliJson<{ uplink_namespace: string; "router:external": boolean }>(
      "network",
      "show",
      "ext_n2",
    );
    const vm = await stack.cliJson<{ namespace: string; status: string }>("server", "show", "vm_1");
    const router = await stack.cliJson<{
      status: string;
      external_gateway_info: { external_fixed_ips: { ip_address: string }[] };
    }>("router", "show", "r1");
    const fip = await stack.cliJson<{ status: string; fixed_ip_address: string }>(
      "floating",
      "ip",
      "show",
      "203.0.113.215",
    );
    expect(ext["router:external"]).toBe(true);
    expect(ext.uplink_namespace).toBe(
      `${stack.prefix}quplink-${(await stack.cliJson<{ id: string }>("network", "show", "ext_n2")).id}`,
    );
    expect(vm.status).toBe("ACTIVE");
    expect(router.status).toBe("ACTIVE");
    expect(fip).toMatchObject({ status: "ACTIVE", fixed_ip_address: "10.0.0.5" });
    uplinkNs = ext.uplink_namespace;
    vmNs = vm.namespace;
    routerGatewayIp = router.external_gateway_info.external_fixed_ips[0]?.ip_address ?? "";
    expect(routerGatewayIp).toMatch(/^203\.0\.113\.21\d$/);
  });

  it("reaches the instance through its floating IP, and the instance goes out as the floating IP", async () => {
    expect(await pingOnce(uplinkNs, "203.0.113.215")).toBe(true);
    // DNAT keeps the caller's address: the instance sees the uplink itself.
    expect(await tcpPeerAddress(vmNs, uplinkNs, "203.0.113.215", 8022)).toBe("203.0.113.1");
    // SNAT to the floating IP on the way out.
    expect(await tcpPeerAddress(uplinkNs, vmNs, "203.0.113.1", 8023)).toBe("203.0.113.215");
  });

  it("prints the API's message and exits non-zero on bad input, changing nothing", async () => {
    const before = await stack.cliJson<unknown[]>("router", "list");
    const bad = await stack.cli("router", "set", "r1", "--external-gateway", "net1");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/net1|not an external network/i);
    const overlap = await stack.cli(
      "subnet",
      "create",
      "sub1b",
      "--network",
      "net1",
      "--subnet-range",
      "10.0.0.128/25",
    );
    expect(overlap.code).not.toBe(0);
    expect(overlap.stderr).toMatch(/overlaps with subnet sub1/);
    expect(await stack.cliJson<unknown[]>("router", "list")).toEqual(before);
    expect(
      await stack.cliJson<{ external_gateway_info: { network_id: string } }>("router", "show", "r1"),
    ).toMatchObject({ external_gateway_info: { network_id: expect.any(String) } });
  });

  it("after disassociation the floating IP is dead and the instance goes out as the router's gateway", async () => {
    await stack.cliOk("floating", "ip", "unset", "--port", "203.0.113.215");
    const fip = await stack.cliJson<{ status: string; port_id: string | null }>(
      "floating",
      "ip",
      "show",
      "203.0.113.215",
    );
    expect(fip).toMatchObject({ status: "DOWN", port_id: null });
    expect(await pingOnce(uplinkNs, "203.0.113.215")).toBe(false);
    expect(await tcpPeerAddress(uplinkNs, vmNs, "203.0.113.1", 8024)).toBe(routerGatewayIp);
  });

  it("takes any unicast MAC on a router port, and keeps applying the rest of the host", async () => {
    await stack.cliOk("network", "create", "net9");
    await stack.cliOk("subnet", "create", "sub9", "--network", "net9", "--subnet-range", "10.9.0.0/24");
    await stack.cliOk("port", "create", "p9", "--network", "net9", "--mac-address", "02:00:00:00:00:09");
    await stack.cliOk("router", "add", "port", "r1", "p9");
    await stack.cliOk("router", "create", "r9");
    const status = async (id: string) =>
      (await stack.cliJson<{ status: string }>("router", "show", id)).status;
    expect(await status("r1")).toBe("ACTIVE");
    expect(await status("r9")).toBe("ACTIVE");
    const zero = await stack.cli(
      "subnet",
      "create",
      "sub0",
      "--network",
      "net9",
      "--subnet-range",
      "0.0.0.0/0",
    );
    expect(zero.code).not.toBe(0);
    expect(zero.stderr).toMatch(/prefix length must be 1 to 32/);
    await stack.cliOk("router", "delete", "r9");
    await stack.cliOk("router", "remove", "port", "r1", "p9"); // deletes the port, as Neutron does
    await stack.cliOk("subnet", "delete", "sub9");
    await stack.cliOk("network", "delete", "net9");
  });

  it("deleting everything leaves no namespace, OVS port or chain of ours", async () => {
    expect((await namespacesWithPrefix(stack.prefix)).length).toBeGreaterThan(0);
    await stack.cliOk("floating", "ip", "delete", "203.0.113.215");
    await stack.cliOk("server", "delete", "vm_1");
    await stack.cliOk("router", "remove", "subnet", "r1", "sub1");
    await stack.cliOk("router", "unset", "r1", "--external-gateway");
    await stack.cliOk("router", "delete", "r1");
    await stack.cliOk("subnet", "delete", "sub1", "extsubnet");
    await stack.cliOk("network", "delete", "net1", "ext_n2");
    expect(await stack.cliJson<unknown[]>("network", "list")).toEqual([]);
    expect(await namespacesWithPrefix(stack.prefix)).toEqual([]);
    expect(await ourOvsPorts()).toEqual([]);
  });
});
