// `netlens security group …`, `port create/set` with security options and `server add/remove security group`:
// the real command against the real router over HTTP (no OVS needed: nothing is applied).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedAdminCli } from "./testing/api-server";

type Served = Awaited<ReturnType<typeof servedAdminCli>>;
let served: Served | undefined;
let cli: Served["cli"];
let json: Served["json"];

beforeAll(async () => {
  served = await servedAdminCli("security group test", { demo: true });
  ({ cli, json } = served);
}, 60_000);
afterAll(() => served?.close());

describe("netlens security group", { timeout: 60_000 }, () => {
  it("creates a group and rules with openstack's flags, and lists them with openstack's columns", async () => {
    expect(
      await json("security", "group", "create", "web", "--description", "web servers", "--project", "demo"),
    ).toMatchObject({
      name: "web",
      description: "web servers",
    });
    const http = await json(
      "security",
      "group",
      "rule",
      "create",
      "web",
      "--protocol",
      "tcp",
      "--dst-port",
      "80:81",
      "--remote-ip",
      "198.51.100.0/24",
    );
    expect(http).toMatchObject({
      direction: "ingress",
      protocol: "tcp",
      port_range_min: 80,
      port_range_max: 81,
      remote_ip_prefix: "198.51.100.0/24",
    });
    const ping = await json(
      "security",
      "group",
      "rule",
      "create",
      "web",
      "--protocol",
      "icmp",
      "--icmp-type",
      "8",
      "--icmp-code",
      "0",
      "--remote-group",
      "web",
    );
    expect(ping).toMatchObject({
      protocol: "icmp",
      port_range_min: 8,
      port_range_max: 0,
      remote_group_id: http.security_group_id,
    });
    const table = await cli("security", "group", "rule", "list", "web", "--ingress");
    expect(table.stdout).toMatch(
      /ID +\| IP Protocol +\| Ethertype +\| IP Range +\| Port Range +\| Direction +\| Remote Security Group/,
    );
    expect(table.stdout).toMatch(/tcp +\| IPv4 +\| 198\.51\.100\.0\/24 +\| 80:81 +\| ingress/);
    const rules = await json("security", "group", "rule", "list", "web");
    expect(rules.map((r: { protocol: string | null }) => r.protocol ?? "any").sort()).toEqual([
      "any",
      "icmp",
      "tcp",
    ]);
  });

  it("prints Neutron's error and exits non-zero on a bad rule", async () => {
    const bad = await cli(
      "security",
      "group",
      "rule",
      "create",
      "web",
      "--protocol",
      "icmp",
      "--icmp-type",
      "300",
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("Invalid value for ICMP type (port_range_min) 300. It must be 0 to 255.");
    const both = await cli(
      "security",
      "group",
      "rule",
      "create",
      "web",
      "--remote-ip",
      "10.0.0.0/8",
      "--remote-group",
      "web",
    );
    expect(both.stderr).toContain("Only remote_ip_prefix or remote_group_id may be provided.");
  });

  it("puts ports in groups, takes them out, and turns port security off", async () => {
    const port = await json(
      "port",
      "create",
      "vip-port",
      "--network",
      "demo-net",
      "--security-group",
      "web",
      "--allowed-address",
      "ip-address=10.0.0.250",
    );
    const web = await json("security", "group", "show", "web");
    expect(port.security_groups).toEqual([web.id]);
    expect(port.allowed_address_pairs).toEqual([{ ip_address: "10.0.0.250", mac_address: port.mac_address }]);
    expect(
      (await cli("port", "unset", "vip-port", "--allowed-address", "ip-address=10.0.0.250")).stderr,
    ).toBe("");
    expect((await json("port", "show", "vip-port")).allowed_address_pairs).toEqual([]);
    const refused = await cli("port", "set", "vip-port", "--disable-port-security");
    expect(refused.stderr).toContain(
      "Port has security group associated. Cannot disable port security or ip address until security group is removed",
    );
    expect(
      (
        await cli(
          "port",
          "set",
          "vip-port",
          "--no-security-group",
          "--no-allowed-address",
          "--disable-port-security",
        )
      ).stderr,
    ).toBe("");
    expect(await json("port", "show", "vip-port")).toMatchObject({
      security_groups: [],
      allowed_address_pairs: [],
      port_security_enabled: false,
    });
  });

  it("adds a group to a server and removes one", async () => {
    await json("server", "create", "sg-vm", "--network", "demo-net", "--project", "demo");
    expect((await cli("server", "add", "security", "group", "sg-vm", "web")).stderr).toBe("");
    expect((await json("server", "show", "sg-vm")).security_groups).toEqual([
      { name: "default" },
      { name: "web" },
    ]);
    expect((await cli("server", "remove", "security", "group", "sg-vm", "default")).stderr).toBe("");
    expect((await json("server", "show", "sg-vm")).security_groups).toEqual([{ name: "web" }]);
    const port = (await json("server", "show", "sg-vm")).port_id;
    expect((await cli("port", "unset", port, "--security-group", "web")).stderr).toBe("");
    expect((await json("server", "show", "sg-vm")).security_groups).toEqual([]);
    expect((await cli("server", "add", "security", "group", "sg-vm", "web")).stderr).toBe("");
    const inUse = await cli("security", "group", "delete", "web");
    expect(inUse.stderr).toContain(
      `Security Group ${(await json("security", "group", "show", "web")).id} in use.`,
    );
  });
});
