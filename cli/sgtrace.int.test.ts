// Security groups in a trace, end to end through the `netlens` CLI on a real agent: with the default group
// letting in only its own members, a ping from outside to an instance's floating IP is named
// security-group-blocks at the instance's port with the rule to create; once that very command has run, the
// trace is delivered with the rule named, and a real ping (--probe) confirms it. Traffic stays in the test's
// namespaces (198.51.100.0/24 is the outside).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TraceResult } from "../lib/schemas/trace";
import { type Stack, startStack } from "./testing/stack";

const FIP = "198.51.100.215";
const OUTSIDE = "198.51.100.1";

let stack: Stack;
let port = "";
const PF_FIP = "198.51.100.216";
let forwarding = { id: "" };

async function trace(...flags: string[]): Promise<TraceResult> {
  return traceTo(FIP, ...flags);
}

async function traceTo(to: string, ...flags: string[]): Promise<TraceResult> {
  const { stdout, stderr } = await stack.cli("trace", "--from", OUTSIDE, "--to", to, ...flags, "-f", "json");
  if (stdout === "") throw new Error(stderr);
  return JSON.parse(stdout) as TraceResult;
}

beforeAll(async () => {
  stack = await startStack();
  const ok = stack.cliOk;
  await ok(
    ...["network", "create", "ext", "--external", "--provider-network-type", "flat"],
    ...["--provider-physical-network", "public"],
  );
  await ok(
    ...["subnet", "create", "extsub", "--network", "ext", "--subnet-range", "198.51.100.0/24"],
    ...["--gateway", OUTSIDE, "--allocation-pool", "start=198.51.100.210,end=198.51.100.220", "--no-dhcp"],
  );
  await ok("network", "create", "net1");
  await ok("subnet", "create", "sub1", "--network", "net1", "--subnet-range", "10.0.0.0/24", "--no-dhcp");
  await ok("router", "create", "r1");
  await ok("router", "set", "r1", "--external-gateway", "ext");
  await ok("router", "add", "subnet", "r1", "sub1");
  await ok("server", "create", "vm_a", "--network", "net1", "--fixed-ip", "10.0.0.5");
  await ok("floating", "ip", "create", "ext", "--floating-ip-address", FIP);
  await ok("server", "add", "floating", "ip", "vm_a", FIP);
  port = (await stack.cliJson<{ port_id: string }>("server", "show", "vm_a")).port_id;
  // vm_b is reached through a port forwarding of another floating IP: tcp 2222 to its 22.
  await ok("server", "create", "vm_b", "--network", "net1", "--fixed-ip", "10.0.0.6");
  await ok("floating", "ip", "create", "ext", "--floating-ip-address", PF_FIP);
  const vmB = await stack.cliJson<{ port_id: string }>("server", "show", "vm_b");
  forwarding = await stack.cliJson<{ id: string }>(
    ...["--wait", "floating", "ip", "port", "forwarding", "create", "--internal-ip-address", "10.0.0.6"],
    ...["--port", vmB.port_id, "--internal-protocol-port", "22", "--external-protocol-port", "2222"],
    ...["--protocol", "tcp", PF_FIP],
  );
});

afterAll(async () => {
  await stack?.stop();
});

describe("trace: security groups", () => {
  it("names the default group's drop with the rule to create; after it, delivered and confirmed by a real ping", async () => {
    const blocked = await trace();
    expect(blocked.verdict).toBe("dropped");
    const last = blocked.forward.at(-1);
    expect(last).toMatchObject({
      action: "dropped",
      where: { port_id: port },
      decided_by: { kind: "security_group" },
    });
    const [diagnosis] = blocked.diagnoses;
    expect(blocked.diagnoses.map((d) => d.code)).toEqual(["security-group-blocks"]);
    expect(diagnosis?.hop).toBe(`forward[${blocked.forward.length - 1}]`);
    expect(diagnosis?.fix).toMatch(
      /^netlens security group rule create --protocol icmp --ingress --remote-ip 198\.51\.100\.1\/32 \S+$/,
    );
    // The printed form says it too.
    const printed = await stack.cli("trace", "--from", OUTSIDE, "--to", FIP);
    expect(printed.code).toBe(3);
    expect(printed.stdout).toContain("diagnosis security-group-blocks");
    expect(printed.stdout).toContain(`fix: ${diagnosis?.fix}`);

    // Run the fix as it is written.
    const args = (diagnosis?.fix ?? "").split(" ").slice(1);
    await stack.cliOk("--wait", ...args);
    const allowed = await trace();
    expect(allowed.verdict, JSON.stringify(allowed, null, 2)).toBe("delivered");
    const filter = allowed.forward.find((h) => h.decided_by.kind === "security_group");
    expect(filter?.rule).toMatchObject({
      kind: "security_group_rule",
      port_id: port,
      direction: "ingress",
      protocol: "icmp",
      remote_ip_prefix: "198.51.100.1/32",
    });
    expect(allowed.reply.some((h) => h.decided_by.text.includes("reply of an allowed connection"))).toBe(
      true,
    );
    expect((await stack.cli("trace", "--from", OUTSIDE, "--to", FIP)).stdout).toContain(
      "rule: security group",
    );

    const probed = await trace("--probe");
    expect(probed.probe?.result, JSON.stringify(probed, null, 2)).toBe("reply");
    expect(probed.verdict).toBe("delivered");
  });

  it("follows a port forwarding's DNAT to the internal address and port, and names the forwarding", async () => {
    const flags = ["--protocol", "tcp", "--port", "2222"];
    const blocked = await traceTo(PF_FIP, ...flags);
    const dnat = blocked.forward.find((h) => h.action === "dnat");
    expect(dnat?.packet.dst, JSON.stringify(blocked, null, 2)).toBe("10.0.0.6");
    expect(dnat?.rule).toMatchObject({
      kind: "port_forwarding",
      port_forwarding_id: forwarding.id,
      external_port: 2222,
      internal_port: 22,
      internal_ip_address: "10.0.0.6",
    });
    // The default group does not let tcp 22 in from outside: the rule to create names the internal port.
    const [diagnosis] = blocked.diagnoses;
    expect(diagnosis?.code).toBe("security-group-blocks");
    expect(diagnosis?.fix).toMatch(
      /^netlens security group rule create --protocol tcp --dst-port 22 --ingress --remote-ip 198\.51\.100\.1\/32 \S+$/,
    );
    await stack.cliOk("--wait", ...(diagnosis?.fix ?? "").split(" ").slice(1));
    const allowed = await traceTo(PF_FIP, ...flags);
    expect(allowed.verdict, JSON.stringify(allowed, null, 2)).toBe("delivered");
    expect(allowed.reply.find((h) => h.action === "snat")?.rule).toMatchObject({
      kind: "port_forwarding",
      conntrack: true,
    });
    expect(allowed.reply.at(-1)?.packet).toEqual({ src: PF_FIP, dst: OUTSIDE });
  });
});
