// Security groups enforced on the host, end to end: rules made with the openstack verbs become conntrack flows on
// the real integration bridge, and real pings between namespaces show what they let through. Traffic stays in
// the test's namespaces (198.51.100.0/24 is the outside).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../agent/host/exec";
import { nsExec } from "../agent/testing/host";
import { type Stack, startStack } from "./testing/stack";

let stack: Stack;
let uplinkNs = "";
let routerNs = "";
const vm = { a: { ns: "", port: "" }, b: { ns: "", port: "" }, c: { ns: "", port: "" } };

/** One bounded ping from `ns` (optionally from one of its addresses). */
async function ping(ns: string, address: string, from?: string): Promise<boolean> {
  const args = ["ping", "-c", "1", "-W", "1", ...(from ? ["-I", from] : []), address];
  return (await nsExec(ns, args, true)).code === 0;
}

/** `ingress`/`egress` rule on a group; returns its id. */
async function addRule(group: string, ...options: string[]): Promise<string> {
  const rule = await stack.cliJson<{ id: string }>(
    "--wait",
    "security",
    "group",
    "rule",
    "create",
    ...options,
    group,
  );
  return rule.id;
}

beforeAll(async () => {
  stack = await startStack();
  const ok = stack.cliOk;
  await ok(
    "network",
    "create",
    "ext",
    "--external",
    "--provider-network-type",
    "flat",
    "--provider-physical-network",
    "public",
  );
  await ok(
    "subnet",
    "create",
    "extsub",
    "--network",
    "ext",
    "--subnet-range",
    "198.51.100.0/24",
    "--gateway",
    "198.51.100.1",
    "--allocation-pool",
    "start=198.51.100.210,end=198.51.100.220",
    "--no-dhcp",
  );
  await ok("network", "create", "net1");
  await ok("subnet", "create", "sub1", "--network", "net1", "--subnet-range", "10.0.0.0/24", "--no-dhcp");
  await ok("router", "create", "r1");
  await ok("router", "set", "r1", "--external-gateway", "ext");
  await ok("router", "add", "subnet", "r1", "sub1");
  await ok("security", "group", "create", "other");
  for (const [name, ip] of [
    ["vm_a", "10.0.0.5"],
    ["vm_b", "10.0.0.6"],
    ["vm_c", "10.0.0.7"],
  ] as const)
    await ok("server", "create", name, "--network", "net1", "--fixed-ip", ip);
  await ok("server", "remove", "security", "group", "vm_c", "default");
  await ok("server", "add", "security", "group", "vm_c", "other");
  await ok("floating", "ip", "create", "ext", "--floating-ip-address", "198.51.100.215");
  await ok("server", "add", "floating", "ip", "vm_a", "198.51.100.215");
  for (const key of ["a", "b", "c"] as const) {
    const shown = await stack.cliJson<{ namespace: string; port_id: string }>("server", "show", `vm_${key}`);
    vm[key] = { ns: shown.namespace, port: shown.port_id };
  }
  uplinkNs = (await stack.cliJson<{ uplink_namespace: string }>("network", "show", "ext")).uplink_namespace;
  const router = await stack.cliJson<{ id: string }>("router", "show", "r1");
  routerNs = `${stack.prefix}qrouter-${router.id}`;
});
afterAll(async () => {
  await stack?.stop();
});

describe("security groups on the integration bridge", () => {
  it("the default group drops a ping from outside to the floating IP; an ingress icmp rule opens it, and its removal closes it", async () => {
    expect(await ping(uplinkNs, "198.51.100.215")).toBe(false);
    const rule = await addRule("default", "--protocol", "icmp");
    expect(await ping(uplinkNs, "198.51.100.215")).toBe(true);
    await stack.cliOk("security", "group", "rule", "delete", rule);
    expect(await ping(uplinkNs, "198.51.100.215")).toBe(false);
  });

  it("a remote-group rule admits only the group's members", async () => {
    // vm_b is in default (the rule's remote group), vm_c only in other.
    expect(await ping(vm.b.ns, "10.0.0.5")).toBe(true);
    expect(await ping(vm.c.ns, "10.0.0.5")).toBe(false);
    // The instances themselves are up: vm_c reaches the (unfiltered) router.
    expect(await ping(vm.c.ns, "10.0.0.1")).toBe(true);
  });

  it("without egress rules nothing leaves, and a new egress rule lets it out again", async () => {
    const rules = await stack.cliJson<{ id: string; direction: string }[]>(
      "security",
      "group",
      "rule",
      "list",
      "default",
    );
    const egress = rules.filter((r) => r.direction === "egress");
    expect(egress.length).toBe(1);
    for (const r of egress) await stack.cliOk("security", "group", "rule", "delete", r.id);
    expect(await ping(vm.a.ns, "10.0.0.1")).toBe(false);
    expect(await ping(vm.a.ns, "198.51.100.1")).toBe(false);
    await addRule("default", "--egress");
    expect(await ping(vm.a.ns, "10.0.0.1")).toBe(true);
    expect(await ping(vm.a.ns, "198.51.100.1")).toBe(true);
  });

  it("drops a forged source address; with port security disabled it goes through", async () => {
    await nsExec(vm.a.ns, ["ip", "addr", "add", "10.0.0.50/24", "dev", "eth0"]);
    expect(await ping(vm.a.ns, "10.0.0.1", "10.0.0.50")).toBe(false);
    await stack.cliOk("port", "set", vm.a.port, "--no-security-group", "--disable-port-security");
    expect(await ping(vm.a.ns, "10.0.0.1", "10.0.0.50")).toBe(true);
  });

  it("an allowed address pair works as a VIP: the address added in the instance answers", async () => {
    await addRule("default", "--protocol", "icmp");
    await nsExec(vm.b.ns, ["ip", "addr", "add", "10.0.0.60/24", "dev", "eth0"]);
    // Its ARP replies for an address not its own are spoofing until the port allows it.
    expect(await ping(routerNs, "10.0.0.60")).toBe(false);
    await stack.cliOk("port", "set", vm.b.port, "--allowed-address", "ip-address=10.0.0.60");
    expect(await ping(routerNs, "10.0.0.60")).toBe(true);
  });

  it("puts back firewall flows removed by hand when asked to repair (drift repair --all)", async () => {
    const bridge = `unix:${stack.sandbox.dir}/${stack.prefix.slice(0, -1)}-int.mgmt`;
    // (A full repair also takes the addresses added by hand in the instances away: ping vm_b's own.)
    expect(await ping(routerNs, "10.0.0.6")).toBe(true);
    // The default group's icmp rule, written once for its ports in the groups' ingress table.
    await run("ovs-ofctl", ["del-flows", bridge, "cookie=0x4e4c/-1,table=83,icmp"]);
    expect(await ping(routerNs, "10.0.0.6")).toBe(false);
    await stack.cliOk("drift", "repair", "--all");
    expect(await ping(routerNs, "10.0.0.6")).toBe(true);
    const { stdout } = await run("ovs-ofctl", [
      "--names",
      "--no-stats",
      "dump-flows",
      bridge,
      "cookie=0x4e4c/-1,table=83,icmp",
    ]);
    expect(stdout).toMatch(/table=83, priority=70,icmp,reg7=0x[0-9a-f]+ actions=load:0x1->NXM_NX_REG9\[0\]/);
  });
});
