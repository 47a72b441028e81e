// Port forwarding and hairpin NAT end to end, through the `netlens` CLI on a real agent (real OVS, namespaces,
// iptables): a floating IP forwards 9000 to an instance's 8080 over TCP and UDP from the outside; an instance
// without a floating IP reaches another's floating IP through their router and gets its answers; the router's
// tracked connections show in host inspection; each bad forwarding is refused with Neutron's words, writing
// nothing; drift sees the host as the model asks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nsExec, tcpPeerAddress, udpPeerAddress } from "../agent/testing/host";
import { conntrackInvolves } from "../lib/conntrack";
import type { ConntrackEntry } from "../lib/host-snapshot";
import { type Stack, startStack, until } from "./testing/stack";

const PF_FIP = "203.0.113.216";
const B_FIP = "203.0.113.217";
const VM_A = "10.0.0.5";
const VM_B = "10.0.0.6";

let stack: Stack;
let host = "";
let uplinkNs = "";
let routerNs = "";
let gatewayIp = "";
const vmNs: Record<string, string> = {};

const forward = (...args: string[]) => stack.cli("floating", "ip", "port", "forwarding", "create", ...args);
const forwardings = () =>
  stack.cliJson<{ id: string; external_port: number; protocol: string }[]>(
    "floating",
    "ip",
    "port",
    "forwarding",
    "list",
    PF_FIP,
  );

beforeAll(async () => {
  stack = await startStack();
  await stack.cliOk(
    ...["network", "create", "ext_pf", "--external", "--provider-network-type", "flat"],
    ...["--provider-physical-network", "public"],
  );
  await stack.cliOk(
    ...["subnet", "create", "ext_pf_sub", "--network", "ext_pf", "--subnet-range", "203.0.113.0/24"],
    ...[
      "--gateway",
      "203.0.113.1",
      "--allocation-pool",
      "start=203.0.113.210,end=203.0.113.220",
      "--no-dhcp",
    ],
  );
  await stack.cliOk("network", "create", "pf_net");
  await stack.cliOk("subnet", "create", "pf_sub", "--network", "pf_net", "--subnet-range", "10.0.0.0/24");
  await stack.cliOk("router", "create", "pf_router");
  await stack.cliOk("router", "set", "pf_router", "--external-gateway", "ext_pf");
  await stack.cliOk("router", "add", "subnet", "pf_router", "pf_sub");
  await stack.cliOk("server", "create", "vm_a", "--network", "pf_net", "--fixed-ip", VM_A);
  await stack.cliOk("server", "create", "vm_b", "--network", "pf_net", "--fixed-ip", VM_B);
  // Security groups will be enforced on br-int: open what the tests send to, in the instances' group.
  const vm = await stack.cliJson<{ port_id: string }>("server", "show", "vm_a");
  const port = await stack.cliJson<{ security_groups: string[] }>("port", "show", vm.port_id);
  const group = port.security_groups[0] ?? "";
  for (const protocol of ["tcp", "udp"])
    await stack.cliOk(
      "security",
      "group",
      "rule",
      "create",
      group,
      "--ingress",
      "--protocol",
      protocol,
      "--dst-port",
      "8080:8082",
    );
  await stack.cliOk("floating", "ip", "create", "ext_pf", "--floating-ip-address", PF_FIP);
  await stack.cliOk("floating", "ip", "create", "ext_pf", "--floating-ip-address", B_FIP);
  await stack.cliOk("server", "add", "floating", "ip", "vm_b", B_FIP);
  for (const name of ["vm_a", "vm_b"])
    vmNs[name] = (await stack.cliJson<{ namespace: string }>("server", "show", name)).namespace;
  uplinkNs = (await stack.cliJson<{ uplink_namespace: string }>("network", "show", "ext_pf"))
    .uplink_namespace;
  const router = await stack.cliJson<{
    id: string;
    external_gateway_info: { external_fixed_ips: { ip_address: string }[] };
  }>("router", "show", "pf_router");
  routerNs = `${stack.prefix}qrouter-${router.id}`;
  gatewayIp = router.external_gateway_info.external_fixed_ips[0]?.ip_address ?? "";
  host = (await stack.cliJson<{ host: string }[]>("host", "list"))[0]?.host ?? "";
});

afterAll(async () => {
  await stack?.stop();
});

describe("port forwarding and hairpin NAT on a real host", () => {
  it("forwards 9000 to vm_a's 8080 over TCP and UDP; the outside's address reaches the instance", async () => {
    for (const protocol of ["tcp", "udp"])
      await stack.cliOk(
        ...["floating", "ip", "port", "forwarding", "create", "--internal-ip-address", VM_A, "--port"],
        ...[(await stack.cliJson<{ port_id: string }>("server", "show", "vm_a")).port_id],
        ...[
          "--internal-protocol-port",
          "8080",
          "--external-protocol-port",
          "9000",
          "--protocol",
          protocol,
          PF_FIP,
        ],
      );
    expect((await forwardings()).map((f) => [f.protocol, f.external_port]).sort()).toEqual([
      ["tcp", 9000],
      ["udp", 9000],
    ]);
    expect(await stack.cliJson<{ status: string }>("floating", "ip", "show", PF_FIP)).toMatchObject({
      status: "ACTIVE",
    });
    expect(await tcpPeerAddress(vmNs.vm_a ?? "", uplinkNs, PF_FIP, 8080, 9000)).toBe("203.0.113.1");
    expect(await udpPeerAddress(vmNs.vm_a ?? "", uplinkNs, PF_FIP, 8080, 9000)).toBe("203.0.113.1");
    // Only the forwarded port: the floating IP's other ports lead nowhere.
    expect(await tcpPeerAddress(vmNs.vm_a ?? "", uplinkNs, PF_FIP, 8081, 9001)).toBeNull();
  });

  it("answers vm_a (no floating IP) at vm_b's floating IP through their router: hairpin SNAT to the gateway", async () => {
    expect(await tcpPeerAddress(vmNs.vm_b ?? "", vmNs.vm_a ?? "", B_FIP, 8082)).toBe(gatewayIp);
    // vm_b has a floating IP of its own: its float-snat comes first, so vm_a sees it as that (as in Neutron).
    expect(await tcpPeerAddress(vmNs.vm_a ?? "", vmNs.vm_b ?? "", PF_FIP, 8080, 9000)).toBe(B_FIP);
    // The outside still reaches vm_b as itself (marked on qg: no hairpin SNAT).
    expect(await tcpPeerAddress(vmNs.vm_b ?? "", uplinkNs, B_FIP, 8081)).toBe("203.0.113.1");
  });

  it("gets no answer without the hairpin SNAT (deleted by hand), which drift names and a repair restores", async () => {
    const hairpin = `-A ${stack.chainPrefix}-snat -m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT -j SNAT --to-source ${gatewayIp}`;
    await nsExec(routerNs, ["iptables", "-t", "nat", ...hairpin.replace(/^-A /, "-D ").split(" ")]);
    // vm_b answers vm_a straight from 10.0.0.6, which vm_a never asked: the connection does not come up.
    expect(await tcpPeerAddress(vmNs.vm_b ?? "", vmNs.vm_a ?? "", B_FIP, 8082)).toBeNull();
    const item = await until("drift on the router", async () =>
      ((await stack.api.caller.drift.list()) as { kind: string; missing: { text: string }[] }[]).find(
        (d) => d.kind === "router",
      ),
    );
    expect(item.missing).toEqual([{ what: "nat", text: hairpin }]);
    await stack.cliOk("drift", "repair", "--all");
    await until("the hairpin answered again", async () =>
      (await tcpPeerAddress(vmNs.vm_b ?? "", vmNs.vm_a ?? "", B_FIP, 8082)) === gatewayIp ? true : undefined,
    );
  });

  it("shows the router's tracked connections, filtered by address", async () => {
    await udpPeerAddress(vmNs.vm_a ?? "", uplinkNs, PF_FIP, 8080, 9000);
    const entries = await until("the forwarded connection in conntrack", async () => {
      const out = await stack.cliJson<{ sections: Record<string, { entries?: ConntrackEntry[] }> }>(
        ...["host", "inspect", host, "--section", "conntrack", "--namespace", routerNs, "--address", PF_FIP],
      );
      const found = out.sections[`netns/${routerNs}/conntrack`]?.entries ?? [];
      return found.some((e) => e.protocol === "udp") ? found : undefined;
    });
    expect(entries.every((e) => conntrackInvolves(e, PF_FIP))).toBe(true);
    expect(entries.find((e) => e.protocol === "udp")).toMatchObject({
      original: { dst: PF_FIP, dport: 9000 },
      reply: { src: VM_A, sport: 8080 },
    });
    const plain = await stack.cli(
      ...["host", "inspect", host, "--section", "conntrack", "--namespace", routerNs, "--address", PF_FIP],
    );
    expect(plain.stdout).toMatch(/## conntrack -L \(\d+\)\n(udp|tcp) /);
    expect(plain.stdout).toContain(`dst=${PF_FIP}`);
  });

  it("finds no drift: the host has the forwardings, the hairpin rule and the mark as the model asks", async () => {
    const drift = await until(
      "a drift computed over the latest snapshot",
      async () => {
        const list = (await stack.api.caller.drift.list()) as unknown[];
        return list.length === 0 ? list : undefined;
      },
      10_000,
    );
    expect(drift).toEqual([]);
  });

  it("refuses each bad forwarding with Neutron's words and writes nothing", async () => {
    const before = await forwardings();
    const vmA = (await stack.cliJson<{ port_id: string }>("server", "show", "vm_a")).port_id;
    const vmB = (await stack.cliJson<{ port_id: string }>("server", "show", "vm_b")).port_id;
    const args = (ip: string, port: string, external: string, fip: string) => [
      ...["--internal-ip-address", ip, "--port", port, "--internal-protocol-port", "8080"],
      ...["--external-protocol-port", external, "--protocol", "tcp", fip],
    ];
    const associated = await forward(...args(VM_B, vmB, "9100", B_FIP));
    expect(associated.code).not.toBe(0);
    expect(associated.stderr).toMatch(
      /Cannot associate floating IP 203\.0\.113\.217 .* already has a floating IP/,
    );
    const used = await forward(...args(VM_A, vmA, "9000", PF_FIP));
    expect(used.code).not.toBe(0);
    expect(used.stderr).toMatch(/A duplicate port forwarding entry with same attributes already exists/);
    const notTheirs = await forward(...args(VM_B, vmA, "9200", PF_FIP));
    expect(notTheirs.code).not.toBe(0);
    expect(notTheirs.stderr).toMatch(
      /Requested internal IP address 10\.0\.0\.6 is not suitable for internal neutron port/,
    );
    expect(await forwardings()).toEqual(before);
    expect(await stack.cliJson<unknown[]>("floating", "ip", "port", "forwarding", "list", B_FIP)).toEqual([]);
  });

  it("stops forwarding once the forwardings are deleted, and the floating IP goes DOWN", async () => {
    for (const pf of await forwardings())
      await stack.cliOk("floating", "ip", "port", "forwarding", "delete", PF_FIP, pf.id);
    expect(await stack.cliJson<{ status: string }>("floating", "ip", "show", PF_FIP)).toMatchObject({
      status: "DOWN",
    });
    expect(await tcpPeerAddress(vmNs.vm_a ?? "", uplinkNs, PF_FIP, 8080, 9000)).toBeNull();
  });
});
