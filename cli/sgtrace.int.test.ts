// Security groups in a trace, end to end through the `netlens` CLI on a real agent: with the default group
// letting in only its own members, a ping from outside to an instance's floating IP is named
// security-group-blocks at the instance's port with the rule to create; once that very command has run, the
// trace is delivered with the rule named, and a real ping (--probe) confirms it. A real ping and a real TCP
// connection through the router, then traced, show their conntrack entries (the NAT pair, the state) on the NAT
// hop and on the reply's hop conntrack lets back. Traffic stays in the test's namespaces (198.51.100.0/24 is the
// outside).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pingOnce, tcpPeerAddress } from "../agent/testing/host";
import type { Hop, TraceResult } from "../lib/schemas/trace";
import { type Stack, startStack } from "./testing/stack";

const FIP = "198.51.100.215";
const OUTSIDE = "198.51.100.1";

let stack: Stack;
let port = "";
const PF_FIP = "198.51.100.216";
let forwarding = { id: "" };
let uplinkNs = "";
let vmBNs = "";

/** The hops a router's conntrack entry concerns: the forward NAT hop, the reply's hop conntrack reverses. */
const natHop = (result: TraceResult) => result.forward.find((h) => h.action === "dnat");
const conntrackReplyHop = (result: TraceResult): Hop | undefined =>
  result.reply.find((h) => h.decided_by.kind === "conntrack");

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
  uplinkNs = (await stack.cliJson<{ uplink_namespace: string }>("network", "show", "ext")).uplink_namespace;
  vmBNs = (await stack.cliJson<{ namespace: string }>("server", "show", "vm_b")).namespace;
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
    // Read after the probe: its own echo request is tracked by the router.
    expect(natHop(probed)?.conntrack?.entry).toMatchObject({ protocol: "icmp", original: { dst: FIP } });
  });

  it("shows the conntrack entry of a ping through the floating IP, with its NAT pair; none for a flow never sent", async () => {
    expect(await pingOnce(uplinkNs, FIP)).toBe(true);
    const traced = await trace();
    const pair = {
      protocol: "icmp",
      original: { src: OUTSIDE, dst: FIP },
      reply: { src: "10.0.0.5", dst: OUTSIDE },
    };
    expect(natHop(traced)?.conntrack, JSON.stringify(traced, null, 2)).toMatchObject({
      entry: pair,
      agrees: true,
    });
    expect(natHop(traced)?.conntrack?.entry?.text).toMatch(/^icmp\s+1\s/);
    // Back, conntrack lets the reply through and reverses the DNAT: the same entry decides there.
    expect(conntrackReplyHop(traced)?.conntrack).toMatchObject({ entry: pair });
    const printed = await stack.cli("trace", "--from", OUTSIDE, "--to", FIP);
    expect(printed.stdout).toContain(`conntrack: icmp ${OUTSIDE} > ${FIP}, reply 10.0.0.5 > ${OUTSIDE}`);

    // UDP to the floating IP was never sent: the NAT hop says conntrack tracks nothing of it.
    const never = await trace("--protocol", "udp", "--port", "5353");
    // OVS carries it to the port (a udp flow asked of ofproto/trace by its own field), whose group drops it.
    expect(
      never.diagnoses.map((d) => d.code),
      JSON.stringify(never, null, 2),
    ).toEqual(["security-group-blocks"]);
    expect(natHop(never)?.conntrack, JSON.stringify(never, null, 2)).toEqual({
      entry: null,
      agrees: false,
      others: 0,
    });
    const plain = await stack.cli(
      "trace",
      "--from",
      OUTSIDE,
      "--to",
      FIP,
      "--protocol",
      "udp",
      "--port",
      "5353",
    );
    expect(plain.stdout).toContain("conntrack: no entry");
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

    // A real connection through the forwarding, then traced: its entry, the ports translated, the state.
    expect(await tcpPeerAddress(vmBNs, uplinkNs, PF_FIP, 22, 2222)).toBe(OUTSIDE);
    const connected = await traceTo(PF_FIP, ...flags);
    const entry = natHop(connected)?.conntrack?.entry;
    expect(entry, JSON.stringify(connected, null, 2)).toMatchObject({
      protocol: "tcp",
      original: { src: OUTSIDE, dst: PF_FIP, dport: 2222 },
      reply: { src: "10.0.0.6", sport: 22, dst: OUTSIDE },
    });
    expect(entry?.state).toMatch(/^[A-Z_]+$/);
    expect(entry?.flags).toContain("ASSURED");
    expect(natHop(connected)?.conntrack?.agrees).toBe(true);
  });

  it("names port-security-spoof at the instance's port for a forged source address, until it is an allowed pair", async () => {
    const FORGED = "10.0.0.99";
    const spoof = (...flags: string[]) =>
      stack.cli("trace", "--from", "vm_a", "--to", OUTSIDE, "--source-address", FORGED, ...flags);
    const printed = await spoof("-f", "json");
    expect(printed.code, printed.stderr).toBe(3);
    const spoofed = JSON.parse(printed.stdout) as TraceResult;
    expect(
      spoofed.diagnoses.map((d) => d.code),
      JSON.stringify(spoofed, null, 2),
    ).toEqual(["port-security-spoof"]);
    const last = spoofed.forward.length - 1;
    expect(spoofed.forward[last]).toMatchObject({
      action: "dropped",
      where: { port_id: port },
      decided_by: { kind: "security_group" },
      packet: { src: FORGED, dst: OUTSIDE },
    });
    // Dropped where it leaves the port: the instance's own route came before it, nothing after.
    expect(spoofed.forward[0]).toMatchObject({ action: "routed", packet: { src: FORGED } });
    const [diagnosis] = spoofed.diagnoses;
    expect(diagnosis?.hop).toBe(`forward[${last}]`);
    expect(diagnosis?.fix).toContain(`netlens port set --allowed-address ip-address=${FORGED} ${port}`);

    // The address made an allowed address pair of the port: its filter lets it out.
    await stack.cliOk("port", "set", "--allowed-address", `ip-address=${FORGED}`, port);
    const paired = JSON.parse((await spoof("-f", "json")).stdout) as TraceResult;
    expect(paired.diagnoses.map((d) => d.code)).not.toContain("port-security-spoof");
    expect(
      paired.forward.find((h) => h.where.port_id === port && h.decided_by.kind === "security_group"),
      JSON.stringify(paired, null, 2),
    ).toMatchObject({ action: "switched", packet: { src: FORGED } });

    // Refused, with nothing traced: a probe (it sends from the instance's own address), and an end no instance.
    const probe = await spoof("--probe");
    expect(probe.code).not.toBe(0);
    expect(probe.stderr).toContain("a source address is for explain only");
    const outside = await stack.cli("trace", "--from", OUTSIDE, "--to", FIP, "--source-address", FORGED);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain("Only an instance sends from another source address");
  });
});
