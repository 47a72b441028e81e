// Debian's real `openstack` command and openstacksdk against the running stack (real agent, OVS, namespaces,
// iptables), through the openrc files `npm run up` writes (scripts/openrc.sh): an external flat network, a subnet
// with a pool and no DHCP, a router with a fixed gateway IP and an extra route, ports, a floating IP associated
// with `floating ip set --port` and then answering pings from the outside; security groups, their rules and ports'
// security (`security group …`, `port set --disable-port-security`); Neutron's words for bad input; a
// member (made with `openstack project|user|role`) sees its project only and cannot write; a floating IP's port
// forwarding (`floating ip port forwarding create|list|delete`) reached from the outside. The `netlens` CLI
// sees the same model. A short openstacksdk script lists, makes a port and a floating IP, and as a member fails.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../agent/host/exec";
import { pingOnce, tcpPeerAddress } from "../../agent/testing/host";
import { type Stack, startStack } from "../../cli/testing/stack";

const openrcScript = fileURLToPath(new URL("../../scripts/openrc.sh", import.meta.url));

let stack: Stack;
let dir: string;
let adminRc: string;
let memberRc: string;

/** The environment without anything of the caller's own cloud (OS_*), so that only the openrc counts. */
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OS_"))) as NodeJS.ProcessEnv;

/** `openstack ARGS` after `source RC`, as a user types it. */
const openstack = (rc: string, ...args: string[]) =>
  run("bash", ["-c", 'source "$0" && exec openstack "$@"', rc, ...args], {
    env: cleanEnv(),
    allowFailure: true,
  });

async function ok(rc: string, ...args: string[]): Promise<string> {
  const result = await openstack(rc, ...args);
  if (result.code !== 0) throw new Error(`openstack ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

const okJson = async <T = Record<string, unknown>>(rc: string, ...args: string[]): Promise<T> =>
  JSON.parse(await ok(rc, ...args, "-f", "json")) as T;

async function eventually<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Once the floating IP's status is `status`, whether the outside (ext_n2's uplink namespace) gets a ping reply. */
async function pingFromOutside(address: string, status: "ACTIVE" | "DOWN"): Promise<boolean> {
  await eventually(
    `floating IP ${address} to be ${status}`,
    () => okJson<{ status: string }>(adminRc, "floating", "ip", "show", address),
    (f) => f.status === status,
  );
  const { uplink_namespace: uplink } = await stack.cliJson<{ uplink_namespace: string }>(
    "network",
    "show",
    "ext_n2",
  );
  return pingOnce(uplink, address);
}

beforeAll(async () => {
  stack = await startStack();
  dir = await mkdtemp(join(tmpdir(), "netlens-openrc-"));
  adminRc = join(dir, "openrc");
  memberRc = join(dir, "alpha-openrc");
  const rc = (file: string, user: string, project: string, password: string) =>
    run("bash", [openrcScript, file, stack.restUrl, user, project, "/nonexistent", password]);
  await rc(adminRc, "admin", "admin", stack.api.admin.password);
  // The member, made with Keystone's verbs.
  const password = randomBytes(12).toString("hex"); // not base64url: one starting with "-" reads as an option
  await ok(adminRc, "project", "create", "alpha");
  await ok(adminRc, "user", "create", "alice", "--password", password);
  await ok(adminRc, "role", "add", "--user", "alice", "--project", "alpha", "member");
  await rc(memberRc, "alice", "alpha", password);
});
afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the openstack CLI against netlens", () => {
  it("builds an external network, a router with a fixed gateway IP and an extra route, and ports", async () => {
    await ok(
      adminRc,
      "network",
      "create",
      "ext_n2",
      "--external",
      "--provider-network-type",
      "flat",
      "--provider-physical-network",
      "public",
    );
    const ext = await okJson(
      adminRc,
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
    expect(ext).toMatchObject({ enable_dhcp: false, gateway_ip: "203.0.113.1" });
    await ok(adminRc, "network", "create", "net1");
    await ok(adminRc, "subnet", "create", "sub1", "--network", "net1", "--subnet-range", "10.0.0.0/24");
    await ok(adminRc, "router", "create", "r1");
    await ok(
      adminRc,
      "router",
      "set",
      "r1",
      "--external-gateway",
      "ext_n2",
      "--fixed-ip",
      "subnet=extsubnet,ip-address=203.0.113.214",
    );
    await ok(adminRc, "router", "add", "subnet", "r1", "sub1");
    await ok(
      adminRc,
      "router",
      "add",
      "route",
      "r1",
      "--route",
      "destination=198.51.100.0/24,gateway=10.0.0.9",
    );
    await ok(
      adminRc,
      "port",
      "create",
      "p1",
      "--network",
      "net1",
      "--fixed-ip",
      "subnet=sub1,ip-address=10.0.0.20",
    );

    const router = await okJson<{
      external_gateway_info: { external_fixed_ips: { ip_address: string }[] };
      routes: { destination: string; nexthop: string }[];
    }>(adminRc, "router", "show", "r1");
    expect(router.external_gateway_info.external_fixed_ips).toEqual([
      expect.objectContaining({ ip_address: "203.0.113.214" }),
    ]);
    expect(router.routes).toEqual([{ destination: "198.51.100.0/24", nexthop: "10.0.0.9" }]);
    // The netlens CLI sees what the openstack CLI made.
    const seen = await stack.cliJson<{ routes: unknown[] }>("router", "show", "r1");
    expect(seen.routes).toEqual(router.routes);

    const ports = await okJson<
      { ID: string; "Fixed IP Addresses": { ip_address: string }[]; "Device Owner": string }[]
    >(adminRc, "port", "list", "--long", "-c", "ID", "-c", "Fixed IP Addresses", "-c", "Device Owner");
    const owners = ports.map((p) => [p["Device Owner"], p["Fixed IP Addresses"].map((f) => f.ip_address)]);
    expect(owners).toEqual(
      expect.arrayContaining([
        ["network:router_gateway", ["203.0.113.214"]],
        ["network:router_interface", ["10.0.0.1"]],
        ["", ["10.0.0.20"]],
      ]),
    );
  });

  it("associates a floating IP with `floating ip set --port`, and the outside reaches it", async () => {
    // An instance (a namespace with a port: netlens's own verb, openstack's Nova is not served) on net1.
    await stack.cliOk("server", "create", "vm_1", "--network", "net1", "--fixed-ip", "10.0.0.5");
    const vm = await stack.cliJson<{ id: string }>("server", "show", "vm_1");
    const [vmPort] = await okJson<{ ID: string }[]>(adminRc, "port", "list", "--device-id", vm.id);
    expect(vmPort).toBeDefined();
    // Its default group lets in only its own members, as Neutron's does: open ping from outside.
    const { security_groups: groups } = await stack.cliJson<{ security_groups: string[] }>(
      "port",
      "show",
      vmPort?.ID ?? "",
    );
    await stack.cliOk("security", "group", "rule", "create", "--protocol", "icmp", groups[0] ?? "");
    const fip = await okJson<{ floating_ip_address: string; id: string }>(
      adminRc,
      "floating",
      "ip",
      "create",
      "ext_n2",
      "--floating-ip-address",
      "203.0.113.215",
    );
    await ok(adminRc, "floating", "ip", "set", "--port", vmPort?.ID ?? "", fip.id);
    const listed = await okJson<Record<string, string>[]>(adminRc, "floating", "ip", "list");
    expect(listed).toEqual([
      expect.objectContaining({
        "Floating IP Address": "203.0.113.215",
        "Fixed IP Address": "10.0.0.5",
        Port: vmPort?.ID,
      }),
    ]);
    expect(await pingFromOutside("203.0.113.215", "ACTIVE")).toBe(true);
    await ok(adminRc, "floating", "ip", "unset", "--port", fip.id);
    expect(await pingFromOutside("203.0.113.215", "DOWN")).toBe(false);
  });

  it("lists, shows and deletes the instance with `openstack server`, and moves its floating IP", async () => {
    await ok(adminRc, "server", "add", "floating", "ip", "vm_1", "203.0.113.215");
    const [listed] = await okJson<{ Name: string; Networks: Record<string, string[]> }[]>(
      adminRc,
      "server",
      "list",
    );
    expect(listed).toMatchObject({ Name: "vm_1", Networks: { net1: ["10.0.0.5", "203.0.113.215"] } });
    expect(await pingFromOutside("203.0.113.215", "ACTIVE")).toBe(true);
    await ok(adminRc, "server", "remove", "floating", "ip", "vm_1", "203.0.113.215");
    expect(
      (await okJson<{ addresses: Record<string, string[]> }>(adminRc, "server", "show", "vm_1")).addresses,
    ).toEqual({
      net1: ["10.0.0.5"],
    });
    // The seeds' "is it the security group?": Nova's server actions, by the group's name.
    await ok(adminRc, "security", "group", "create", "allow-icmp-ssh");
    await ok(adminRc, "server", "add", "security", "group", "vm_1", "allow-icmp-ssh");
    const groupsOf = async () =>
      JSON.stringify(
        (await okJson<{ security_groups: unknown }>(adminRc, "server", "show", "vm_1")).security_groups,
      );
    expect(await groupsOf()).toContain("allow-icmp-ssh");
    await ok(adminRc, "server", "remove", "security", "group", "vm_1", "allow-icmp-ssh");
    expect(await groupsOf()).not.toContain("allow-icmp-ssh");
    await ok(adminRc, "security", "group", "delete", "allow-icmp-ssh");
    await ok(adminRc, "server", "delete", "vm_1");
    expect(await okJson<unknown[]>(adminRc, "server", "list")).toEqual([]);
    expect(await stack.cliJson<unknown[]>("server", "list")).toEqual([]);
  });

  it("lists the network extensions netlens implements", async () => {
    const aliases = (await okJson<{ Alias: string }[]>(adminRc, "extension", "list", "--network")).map(
      (e) => e.Alias,
    );
    expect(aliases).toEqual(
      expect.arrayContaining([
        "router",
        "external-net",
        "extraroute",
        "provider",
        "security-group",
        "net-mtu-writable",
      ]),
    );
    expect(aliases).toContain("floating-ip-port-forwarding");
  });

  it("forwards a port of a floating IP with `openstack floating ip port forwarding`, and the outside reaches it", async () => {
    await stack.cliOk("server", "create", "vm_pf", "--network", "net1", "--fixed-ip", "10.0.0.7");
    const vm = await stack.cliJson<{ port_id: string; namespace: string }>("server", "show", "vm_pf");
    // The instance's default group lets in only its members: open what is forwarded to.
    const { security_groups: groups } = await stack.cliJson<{ security_groups: string[] }>(
      "port",
      "show",
      vm.port_id,
    );
    await ok(
      adminRc,
      "security",
      "group",
      "rule",
      "create",
      "--protocol",
      "tcp",
      "--dst-port",
      "8080",
      groups[0] ?? "",
    );
    const fip = await okJson<{ floating_ip_address: string; id: string }>(
      adminRc,
      "floating",
      "ip",
      "create",
      "ext_n2",
    );
    const created = await okJson<{ id: string; internal_port: number; external_port: number }>(
      adminRc,
      ...["floating", "ip", "port", "forwarding", "create", "--internal-ip-address", "10.0.0.7"],
      ...["--port", vm.port_id, "--internal-protocol-port", "8080", "--external-protocol-port", "9000"],
      ...["--protocol", "tcp", "--description", "web", fip.id],
    );
    expect(created).toMatchObject({ internal_port: 8080, external_port: 9000 });
    const listed = await okJson<Record<string, unknown>[]>(
      adminRc,
      ...["floating", "ip", "port", "forwarding", "list", fip.id],
    );
    expect(listed).toEqual([
      expect.objectContaining({
        ID: created.id,
        "Internal IP Address": "10.0.0.7",
        "Internal Port": 8080,
        "External Port": 9000,
        Protocol: "tcp",
      }),
    ]);
    await eventually(
      `floating IP ${fip.floating_ip_address} to be ACTIVE`,
      () => okJson<{ status: string }>(adminRc, "floating", "ip", "show", fip.id),
      (f) => f.status === "ACTIVE",
    );
    const { uplink_namespace: uplink } = await stack.cliJson<{ uplink_namespace: string }>(
      "network",
      "show",
      "ext_n2",
    );
    expect(await tcpPeerAddress(vm.namespace, uplink, fip.floating_ip_address, 8080, 9000)).toBe(
      "203.0.113.1",
    );
    // Neutron's refusal, in its words: that external port is taken.
    const again = await openstack(
      adminRc,
      ...["floating", "ip", "port", "forwarding", "create", "--internal-ip-address", "10.0.0.7"],
      ...["--port", vm.port_id, "--internal-protocol-port", "8081", "--external-protocol-port", "9000"],
      ...["--protocol", "tcp", fip.id],
    );
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("A duplicate port forwarding entry with same attributes already exists");
    await ok(adminRc, "floating", "ip", "port", "forwarding", "delete", fip.id, created.id);
    expect(await okJson<unknown[]>(adminRc, "floating", "ip", "port", "forwarding", "list", fip.id)).toEqual(
      [],
    );
    await ok(adminRc, "floating", "ip", "delete", fip.id);
    await stack.cliOk("server", "delete", "vm_pf");
  });

  it("sets a network's MTU with `--mtu`, and refuses one above its maximum with Neutron's words", async () => {
    const created = await okJson<{ mtu: number }>(adminRc, "network", "create", "os-mtu", "--mtu", "1400");
    expect(created.mtu).toBe(1400);
    await ok(adminRc, "network", "set", "--mtu", "1300", "os-mtu");
    expect((await okJson<{ mtu: number }>(adminRc, "network", "show", "os-mtu")).mtu).toBe(1300);
    const tooBig = await openstack(adminRc, "network", "set", "--mtu", "1451", "os-mtu");
    expect(tooBig.code).not.toBe(0);
    expect(tooBig.stderr).toMatch(/Requested MTU is too big, maximum is 1450/);
    expect((await okJson<{ mtu: number }>(adminRc, "network", "show", "os-mtu")).mtu).toBe(1300);
    await ok(adminRc, "network", "delete", "os-mtu");
  });

  it("manages security groups, rules and ports' security with `openstack security group` and `port`", async () => {
    const group = await okJson<{ id: string; name: string }>(
      adminRc,
      "security",
      "group",
      "create",
      "os-web",
    );
    expect(group.name).toBe("os-web");
    /** `openstack security group rule create ARGS os-web`. */
    const rule = (...args: string[]) =>
      openstack(adminRc, "security", "group", "rule", "create", ...args, "os-web", "-f", "json");
    const ssh = JSON.parse((await rule("--protocol", "tcp", "--dst-port", "22")).stdout);
    expect(ssh).toMatchObject({
      protocol: "tcp",
      port_range_min: 22,
      port_range_max: 22,
      direction: "ingress",
    });
    expect((await rule("--protocol", "icmp", "--icmp-type", "8", "--remote-group", "os-web")).code).toBe(0);
    expect((await rule("--protocol", "tcp", "--dst-port", "22")).stderr).toContain(
      `Security group rule already exists. Rule id is ${String(ssh.id)}.`,
    );
    expect((await rule("--protocol", "icmp", "--icmp-type", "300")).stderr).toContain(
      "Invalid value for ICMP type (port_range_min) 300. It must be 0 to 255.",
    );
    const rules = await okJson<{ "IP Protocol": string | null; "Port Range": string }[]>(
      adminRc,
      ...["security", "group", "rule", "list", "os-web"],
    );
    expect(rules.map((r) => [r["IP Protocol"], r["Port Range"]])).toEqual(
      expect.arrayContaining([
        ["tcp", "22:22"],
        ["icmp", expect.anything()],
      ]),
    );
    const port = await okJson<{ id: string }>(
      adminRc,
      ...["port", "create", "sg-p", "--network", "net1", "--security-group", "os-web"],
      ...["--allowed-address", "ip-address=10.0.0.250"],
    );
    expect(await stack.api.caller.port.show({ id: port.id })).toMatchObject({
      security_groups: [group.id],
      allowed_address_pairs: [{ ip_address: "10.0.0.250" }],
    });
    const inUse = await openstack(adminRc, "security", "group", "delete", "os-web");
    expect(inUse.stderr).toContain(`Security Group ${group.id} in use.`);
    const disable = await openstack(adminRc, "port", "set", "--disable-port-security", "sg-p");
    expect(disable.stderr).toContain("Port has security group associated. Cannot disable port security");
    await ok(
      adminRc,
      "port",
      "set",
      "--no-security-group",
      "--no-allowed-address",
      "--disable-port-security",
      "sg-p",
    );
    expect(await stack.api.caller.port.show({ id: port.id })).toMatchObject({
      security_groups: [],
      port_security_enabled: false,
      allowed_address_pairs: [],
    });
    await ok(adminRc, "port", "delete", "sg-p");
    await ok(adminRc, "security", "group", "delete", "os-web");
  });

  it("prints Neutron's message for bad input and changes nothing", async () => {
    const before = await okJson<unknown[]>(adminRc, "subnet", "list");
    const overlap = await openstack(
      adminRc,
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
    const notExternal = await openstack(adminRc, "floating", "ip", "create", "net1");
    expect(notExternal.stderr).toMatch(/Network net1 is not a valid external network/);
    const taken = await openstack(
      adminRc,
      "port",
      "create",
      "p2",
      "--network",
      "net1",
      "--fixed-ip",
      "ip-address=10.0.0.20",
    );
    expect(taken.stderr).toMatch(/IP address 10\.0\.0\.20 already allocated/);
    expect(await okJson<unknown[]>(adminRc, "subnet", "list")).toEqual(before);
  });

  it("gives a member's openrc its own project and the external network, and no writes", async () => {
    const assigned = await okJson<Record<string, string>[]>(
      adminRc,
      "role",
      "assignment",
      "list",
      "--names",
      "--user",
      "alice",
    );
    expect(assigned).toEqual([
      expect.objectContaining({ Role: "member", User: "alice@Default", Project: "alpha@Default" }),
    ]);
    await ok(adminRc, "network", "create", "--project", "alpha", "alpha-net");
    const names = (await okJson<{ Name: string }[]>(memberRc, "network", "list")).map((n) => n.Name).sort();
    expect(names).toEqual(["alpha-net", "ext_n2"]);
    const hidden = await openstack(memberRc, "network", "show", "net1");
    expect(hidden.code).not.toBe(0);
    expect(hidden.stderr).toMatch(/No Network found for net1/);
    const write = await openstack(memberRc, "network", "create", "mine");
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/Only admins change the model/);
    expect((await stack.api.caller.network.list(undefined)).map((n) => n.name)).not.toContain("mine");
  });

  it("revokes a token with `openstack token revoke`: the token no longer works", async () => {
    const { id } = await okJson<{ id: string }>(adminRc, "token", "issue");
    // Authenticating by the token alone: the openrc's password variables would not fit the token plugin.
    const withToken = (...args: string[]) =>
      run(
        "bash",
        [
          "-c",
          'source "$0" && unset OS_USERNAME OS_PASSWORD OS_USER_DOMAIN_NAME && exec openstack --os-auth-type token --os-token "$@"',
          adminRc,
          id,
          ...args,
        ],
        { env: cleanEnv(), allowFailure: true },
      );
    expect((await withToken("network", "list", "-f", "value", "-c", "Name")).stdout).toMatch(/net1/);
    await ok(adminRc, "token", "revoke", id);
    const after = await withToken("network", "list");
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/Invalid or revoked API token \(HTTP 401\)/);
  });

  it("openstacksdk lists networks, creates a port and a floating IP on it; a member's connection writes nothing", async () => {
    // The admin's part, and the member's (argv[1]): what a user's script through the SDK does.
    const script = [
      "import json, sys, openstack",
      "conn = openstack.connect()",
      "if sys.argv[1] == 'admin':",
      "    before = sorted(n.name for n in conn.network.networks())",
      "    net = conn.network.find_network('net1', ignore_missing=False)",
      "    port = conn.network.create_port(network_id=net.id, name='sdk-port')",
      "    ext = conn.network.find_network('ext_n2', ignore_missing=False)",
      "    fip = conn.network.create_ip(floating_network_id=ext.id, port_id=port.id)",
      "    print(json.dumps({'before': before, 'port': port.id, 'ip': port.fixed_ips[0]['ip_address'],",
      "                      'fip': fip.floating_ip_address, 'fip_port': fip.port_id, 'fixed': fip.fixed_ip_address}))",
      "else:",
      "    try:",
      "        conn.network.create_network(name='sdk-mine')",
      "        print(json.dumps({'created': True}))",
      "    except openstack.exceptions.HttpException as e:",
      "        print(json.dumps({'status': e.status_code, 'message': str(e)}))",
    ].join("\n");
    // Debian's python, where python3-openstacksdk is (not whatever python3 comes first in PATH).
    const sdk = async (rc: string, role: string) =>
      JSON.parse(
        (
          await run("bash", ["-c", 'source "$0" && exec /usr/bin/python3 -c "$1" "$2"', rc, script, role], {
            env: cleanEnv(),
          })
        ).stdout,
      );
    const modelNames = (await stack.api.caller.network.list(undefined)).map((n) => n.name).sort();

    const made = (await sdk(adminRc, "admin")) as {
      before: string[];
      port: string;
      ip: string;
      fip: string;
      fip_port: string;
      fixed: string;
    };
    expect(made.before).toEqual(modelNames);
    expect(made.before).toContain("net1");
    const port = await stack.api.caller.port.show({ id: made.port });
    expect(port).toMatchObject({
      name: "sdk-port",
      fixed_ips: [expect.objectContaining({ ip_address: made.ip })],
    });
    expect(made.ip).toMatch(/^10\.0\.0\.\d+$/);
    expect(made.fip).toMatch(/^203\.0\.113\.2(1\d|20)$/);
    const fip = await stack.api.caller.floatingIp.show({ id: made.fip });
    expect(fip).toMatchObject({ port_id: made.port, fixed_ip_address: made.ip });
    expect({ port: made.fip_port, fixed: made.fixed }).toEqual({ port: made.port, fixed: made.ip });

    const refused = await sdk(memberRc, "member");
    expect(refused).toMatchObject({ status: 403 });
    expect(refused.message).toMatch(/Only admins change the model/);
    expect((await stack.api.caller.network.list(undefined)).map((n) => n.name)).not.toContain("sdk-mine");
  });
});
