// Two lab hosts (each a namespace with its own OVS, joined by an underlay of their own), one in-process agent
// each, hand-written intents: a vxlan network with an instance on each host crosses between them as VXLAN
// (the underlay's capture shows UDP 4789 between the two tunnel addresses with the VNI), a tunnel port or flow
// deleted by hand is drift that a repair puts back, a network taken out of the tunnels takes its port and flows
// with it, and a tunnel towards the host's own address is refused.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OvsPortsSection } from "../lib/host-snapshot";
import { deviceNames, namespaceNames, tunnelPortName as tunnelPort } from "../lib/names";
import { type Agent, createAgent } from "./agent";
import { createAgentRouter } from "./api/router";
import type { HostIntent, IntentInstance } from "./contract/intent";
import type { OvsQuestion, TraceAnswer } from "./contract/trace";
import { run } from "./host/exec";
import { startCapture, stopCapture } from "./host/tcpdump";
import { namespacesWithPrefix, pingOnce, pingWithin } from "./testing/host";
import { ids } from "./testing/intent";
import { type LabHost, type LabHosts, startLabHosts } from "./testing/lab-hosts";

const tag = randomBytes(2).toString("hex");
const labPrefix = `l${tag}-`;
const prefixes = [`t${tag}a-`, `t${tag}b-`] as const;
const VNI = 1001;
const logger = pino({ level: process.env.NETLENS_TEST_LOG ?? "silent" });

const instances: [IntentInstance, IntentInstance] = [
  instance("d1000000-0000-4000-8000-00000000000a", "c8000000-0000-4000-8000-00000000000a", 10),
  instance("d1000000-0000-4000-8000-00000000000b", "c8000000-0000-4000-8000-00000000000b", 11),
];
const probeNs = [
  namespaceNames.instance(prefixes[0], instances[0].port_id),
  namespaceNames.instance(prefixes[1], instances[1].port_id),
];

function instance(id: string, portId: string, last: number): IntentInstance {
  return {
    id,
    port_id: portId,
    network_id: ids.tenant,
    mac_address: `fa:16:3e:00:00:${last.toString(16).padStart(2, "0")}`,
    ip_address: `10.0.0.${last}`,
    prefixlen: 24,
    gateway_ip: null,
    host_routes: [],
    mtu: 1450,
  };
}

let lab: LabHosts | undefined;
const agents: Agent[] = [];

function host(index: 0 | 1): LabHost {
  const found = lab?.hosts[index];
  if (found === undefined) throw new Error("lab not started");
  return found;
}

function agent(index: 0 | 1): Agent {
  const found = agents[index];
  if (found === undefined) throw new Error("agent not started");
  return found;
}

/** Host `index`'s intent: its instance and, with `tunnels`, the network towards the other host. */
function intentFor(index: 0 | 1, revision: number, tunnels = true, remoteIp?: string): HostIntent {
  const other = index === 0 ? 1 : 0;
  const remote = remoteIp ?? host(other).localIp;
  const peer = instances[other];
  return {
    revision,
    networks: [
      { id: ids.tenant, network_type: "vxlan", physical_network: null, segmentation_id: VNI, mtu: 1450 },
    ],
    routers: [],
    instances: [instances[index]],
    uplinks: [],
    tunnels: tunnels
      ? [
          {
            network_id: ids.tenant,
            segmentation_id: VNI,
            remote_ips: [remote],
            remote_ports: [{ mac_address: peer.mac_address, ip_address: peer.ip_address, remote_ip: remote }],
          },
        ]
      : [],
  };
}

async function tunnelBridgePorts(index: 0 | 1): Promise<string[]> {
  const { stdout } = await run("ovs-vsctl", [`--db=${host(index).ovsdb}`, "list-ports", "br-tun"]);
  return stdout.split("\n").filter((l) => l.length > 0);
}

async function tunnelFlows(index: 0 | 1): Promise<string> {
  const mgmt = `unix:${host(index).runDir}/br-tun.mgmt`;
  return (await run("ovs-ofctl", ["--names", "--no-stats", "dump-flows", mgmt, "cookie=0x4e4c/-1"])).stdout;
}

afterAll(async () => {
  try {
    for (const a of agents) {
      expect((await a.cleanup()).errors).toEqual([]);
      await a.close();
    }
    for (const prefix of prefixes) expect(await namespacesWithPrefix(prefix)).toEqual([]);
  } finally {
    for (const prefix of prefixes)
      for (const ns of await namespacesWithPrefix(prefix))
        await run("ip", ["netns", "del", ns], { allowFailure: true });
    await lab?.stop();
  }
  expect(await namespacesWithPrefix(labPrefix)).toEqual([]);
});

beforeAll(async () => {
  lab = await startLabHosts(labPrefix, ["compute1", "compute2"]);
  for (const index of [0, 1] as const) {
    const h = host(index);
    agents.push(
      await createAgent(
        {
          ovsdb: h.ovsdb,
          ovsRunDir: h.runDir,
          host: h.name,
          roles: ["compute"],
          localIp: h.localIp,
          hostNetns: h.netns,
          datapathType: "netdev",
          prefix: prefixes[index],
          stateDir: join(lab.dir, `agent-${h.name}`),
        },
        logger.child({ host: h.name }),
      ),
    );
  }
});

describe("VXLAN between lab hosts (l2population)", () => {
  it("pings across hosts through br-tun, seen on the underlay as VXLAN between exactly the two hosts", async () => {
    for (const index of [0, 1] as const)
      expect((await agent(index).apply(intentFor(index, 1))).errors).toEqual([]);
    expect(await tunnelBridgePorts(0)).toEqual(["patch-int", tunnelPort(host(1).localIp)]);
    expect(await pingWithin(probeNs[0] ?? "", instances[1].ip_address, 5)).toBe(true);

    // On every port of the underlay (a Linux bridge hands forwarded frames to none of its own device's taps).
    const capture = await startCapture(lab?.underlay ?? "", "any", ["udp", "port", "4789"]);
    expect(capture.error).toBeUndefined();
    // It must ask for the other instance's MAC again: br-tun's ARP responder answers on its own host.
    await run("ip", ["-n", probeNs[1] ?? "", "neigh", "flush", "all"]);
    expect(await pingOnce(probeNs[1] ?? "", instances[0].ip_address)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stopCapture(capture);
    const vxlan = capture.lines
      .map((line) => /IP (\S+)\.\d+ > (\S+)\.4789: VXLAN.* vni (\d+)/.exec(line))
      .filter((m) => m !== null)
      .map((m) => `${m[1]} > ${m[2]} vni ${m[3]}`);
    const [a, b] = [host(0).localIp, host(1).localIp];
    // The echo request and its reply, each way encapsulated with the network's VNI.
    expect(new Set(vxlan)).toEqual(new Set([`${b} > ${a} vni ${VNI}`, `${a} > ${b} vni ${VNI}`]));
    expect(capture.lines.filter((line) => line.includes("ARP"))).toEqual([]);
    expect(capture.lines.join("\n")).toContain(`ICMP echo request`);
  });

  it("traces vm1's frame into compute1's tunnel towards compute2, and compute2's br-tun from that tunnel to vm2", async () => {
    const [from, to] = instances;
    const sent: OvsQuestion = {
      kind: "ovs",
      bridge: agent(0).tracer.info().integration_bridge,
      in_port: deviceNames.tap(from.port_id),
      protocol: "icmp",
      dl_src: from.mac_address,
      dl_dst: to.mac_address,
      nw_src: from.ip_address,
      nw_dst: to.ip_address,
    };
    const ovs = (answer: TraceAnswer | undefined) => {
      if (answer?.kind !== "ovs" || !answer.ok) throw new Error(`no trace: ${JSON.stringify(answer)}`);
      return answer.trace;
    };
    const out = ovs((await agent(0).tracer.answer({ questions: [sent] })).answers[0]);
    // br-int, br-tun, then the underlay's bridge that carries the encapsulated packet out.
    expect(out.bridges.slice(0, 2)).toEqual([sent.bridge, "br-tun"]);
    expect(out.rules.flatMap((r) => r.actions)).toContain(`load:0x${VNI.toString(16)}->NXM_NX_TUN_ID[]`);
    expect(out.notes).toContain(`tunneling to ${host(1).localIp} via br-phy`);
    expect(out.outputs[0]).toBe(tunnelPort(host(1).localIp));

    // The agent tells the server which bridge takes tunnelled frames in.
    expect(agent(1).tracer.info().tunnel_bridge).toBe("br-tun");
    const tunnelled: OvsQuestion = {
      ...sent,
      bridge: "br-tun",
      in_port: tunnelPort(host(0).localIp),
      tun_id: VNI,
      tun_src: host(0).localIp,
      tun_dst: host(1).localIp,
    };
    const answers = await agent(1).tracer.answer({
      questions: [tunnelled, { ...tunnelled, tun_id: VNI + 1 }],
    });
    const into = ovs(answers.answers[0]);
    expect(into.bridges).toEqual(["br-tun", agent(1).tracer.info().integration_bridge]);
    expect(into.outputs).toEqual([deviceNames.tap(to.port_id)]);
    // Another VNI is no network of this host's: br-tun drops it.
    expect(ovs(answers.answers[1]).outputs).toEqual([]);
  });

  it("shows br-tun's VXLAN port with its endpoints in host inspection", async () => {
    const section = (await agent(0).monitor.snapshot()).sections.ovsPorts as OvsPortsSection | undefined;
    const port = section?.ports.find((p) => p.bridge === "br-tun" && p.name === tunnelPort(host(1).localIp));
    expect(port?.interfaces[0]).toMatchObject({
      type: "vxlan",
      options: { remote_ip: host(1).localIp, local_ip: host(0).localIp, in_key: "flow", out_key: "flow" },
    });
  });

  it("reports a hand-deleted tunnel port and tunnel flow as drift, and a repair puts them back", async () => {
    await run("ovs-vsctl", [`--db=${host(0).ovsdb}`, "del-port", "br-tun", tunnelPort(host(1).localIp)]);
    const mgmt = `unix:${host(1).runDir}/br-tun.mgmt`;
    await run("ovs-ofctl", [
      "del-flows",
      "--strict",
      mgmt,
      `cookie=0x4e4c/-1,table=4,priority=1,tun_id=${VNI}`,
    ]);
    expect(await pingOnce(probeNs[0] ?? "", instances[1].ip_address)).toBe(false);

    const drift0 = await agent(0).plan(intentFor(0, 2));
    expect(drift0).toContainEqual(
      expect.objectContaining({ kind: "tunnel-port-set", port: tunnelPort(host(1).localIp), create: true }),
    );
    const drift1 = await agent(1).plan(intentFor(1, 2));
    expect(drift1).toEqual([
      expect.objectContaining({
        kind: "flows-set",
        bridge: "br-tun",
        add: [`cookie=0x4e4c,table=4,priority=1,tun_id=0x3e9 actions=mod_vlan_vid:1,output:patch-int`],
        remove: [],
      }),
    ]);

    // A push that asks for no repair leaves the drift for inspection to show, as with any other flow.
    for (const index of [0, 1] as const)
      expect(await agent(index).apply({ ...intentFor(index, 2), repair: [] })).toMatchObject({
        changes: 0,
        errors: [],
      });
    expect(await tunnelBridgePorts(0)).toEqual(["patch-int"]);
    for (const index of [0, 1] as const)
      expect(await agent(index).apply({ ...intentFor(index, 3), repair: "all" })).toMatchObject({
        errors: [],
      });
    expect(await tunnelBridgePorts(0)).toContain(tunnelPort(host(1).localIp));
    expect(await tunnelFlows(1)).toContain("tun_id=0x3e9");
    expect(await pingWithin(probeNs[0] ?? "", instances[1].ip_address, 3)).toBe(true);
  });

  it("refuses a tunnel towards the host's own address, with a clear error, and changes nothing", async () => {
    const own = intentFor(0, 4, true, host(0).localIp);
    const caller = createAgentRouter(agent(0)).createCaller({ authorized: true });
    await expect(caller.applyIntent(own)).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: `Network ${ids.tenant}: remote IP ${host(0).localIp} is this host's own tunnel endpoint (local_ip)`,
    });
    expect(await agent(0).plan(intentFor(0, 4))).toEqual([]);
    expect(await pingOnce(probeNs[0] ?? "", instances[1].ip_address)).toBe(true);
  });

  it("removes the tunnel port and flows of a network taken out of the tunnels, and the ping stops", async () => {
    // Pushed as the server pushes a change (no repair asked): the tunnel bridge's part changed, so it converges.
    expect((await agent(0).apply({ ...intentFor(0, 5, false), repair: [] })).errors).toEqual([]);
    expect(await tunnelBridgePorts(0)).toEqual(["patch-int"]);
    const flows = await tunnelFlows(0);
    expect(flows).not.toContain("vxlan-");
    expect(flows).not.toContain("tun_id");
    expect(await pingOnce(probeNs[0] ?? "", instances[1].ip_address)).toBe(false);
    // The other host still tunnels towards it (its intent is not this test's to change): only one side went.
    expect(await tunnelBridgePorts(1)).toEqual(["patch-int", tunnelPort(host(0).localIp)]);
  });
});
