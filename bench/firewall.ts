// `npm run bench:firewall` (root): security groups on 1,000 ports applied by the agent's converge loop, beside
// the floor of the same flows added to a fresh bridge in one `ovs-ofctl --bundle add-flows`, measured in the
// same run; then one more rule on all 1,000 ports, one fewer, and every port's firewall removed at once. Its own OVS sandbox (dummy datapath), bridges and prefix:
// runs beside a live stack, and removes what it made.
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import type {
  HostIntent,
  IntentFirewallPort,
  IntentFirewallRule,
  IntentPort,
} from "../agent/contract/intent";
import { ensureBridges } from "../agent/converge/bridges";
import { Converger } from "../agent/converge/loop";
import { run } from "../agent/host/exec";
import { Ovs } from "../agent/host/ovs";
import { ovsRunDir, parseAgentOptions } from "../agent/options";
import { FLOW_COOKIE } from "../agent/plan/ovs";
import { startSandbox } from "../agent/testing/host";
import { markdownTable, median, time } from "./stats";

const PORTS = 1000;
const RULES = 10;
const tag = randomBytes(2).toString("hex");
const prefix = `f${tag}-`;
const intBridge = `f${tag}-int`;
const floorBridge = `f${tag}-fl`;
const networkId = "0f000000-0000-4000-8000-000000000001";
/** The one security group of every port (as Neutron's `default` holds every port of a project). */
const groupId = "0f000000-0000-4000-8000-00000000005e";
const VLAN = 1;

const uuid = (kind: string, i: number) =>
  `${kind}${i.toString(16).padStart(6, "0")}-0000-4000-8000-000000000000`;
const portName = (i: number) => `fw${tag}${i.toString().padStart(4, "0")}`;
const macOf = (i: number) =>
  `fa:16:3e:0f:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
const ipOf = (i: number) => `10.15.${i >> 7}.${(i & 127) + 1}`;

/** Ten rules of the kinds operators write: a remote group of 8 members, ports, ranges, ICMP, prefixes. */
function rules(extra: number): IntentFirewallRule[] {
  const rule = (fields: Partial<IntentFirewallRule>): IntentFirewallRule => ({
    direction: "ingress",
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefixes: null,
    ...fields,
  });
  const list = [
    rule({ direction: "egress" }),
    rule({ remote_ip_prefixes: Array.from({ length: 8 }, (_, i) => `${ipOf(i)}/32`) }),
    rule({ protocol: 1 }),
    rule({ protocol: 6, port_range_min: 22, port_range_max: 22 }),
    rule({ protocol: 6, port_range_min: 80, port_range_max: 80, remote_ip_prefixes: ["198.51.100.0/24"] }),
    rule({ protocol: 6, port_range_min: 443, port_range_max: 443 }),
    rule({ protocol: 6, port_range_min: 8000, port_range_max: 8099 }),
    rule({ protocol: 17, port_range_min: 53, port_range_max: 53, remote_ip_prefixes: ["203.0.113.53/32"] }),
    rule({ protocol: 1, port_range_min: 8, port_range_max: 0, direction: "egress" }),
    rule({ protocol: 17, port_range_min: 5000, port_range_max: 5010, direction: "egress" }),
  ];
  for (let i = 0; i < extra; i++)
    list.push(rule({ protocol: 6, port_range_min: 9000 + i, port_range_max: 9000 + i }));
  return list;
}

function intent(revision: number, extraRules: number | null): HostIntent {
  const ports: IntentPort[] = [];
  const firewall: IntentFirewallPort[] = [];
  for (let i = 0; i < PORTS; i++) {
    const port_id = uuid("fa", i);
    ports.push({ port_id, network_id: networkId, mac_address: macOf(i), admin_state_up: true });
    firewall.push({
      port_id,
      network_id: networkId,
      mac_address: macOf(i),
      fixed_ips: [ipOf(i)],
      allowed_address_pairs: [],
      port_security_enabled: true,
      security_groups: [groupId],
    });
  }
  return {
    revision,
    networks: [
      { id: networkId, network_type: "vxlan", physical_network: null, segmentation_id: 15, mtu: 1450 },
    ],
    routers: [],
    instances: [],
    uplinks: [],
    ports,
    // null: no firewall at all (the host before security groups).
    ...(extraRules === null
      ? {}
      : { firewall, security_groups: [{ id: groupId, rules: rules(extraRules) }] }),
    repair: [],
  };
}

async function main(): Promise<void> {
  const sandbox = await startSandbox(`bench-fw-${tag}`);
  const vsctl = (args: string[]) => run("ovs-vsctl", [`--db=${sandbox.db}`, ...args]);
  const rows: string[][] = [];
  try {
    const options = parseAgentOptions({
      ovsdb: sandbox.db,
      integrationBridge: intBridge,
      bridgeMappings: {},
      datapathType: "dummy",
      prefix,
      stateDir: join(sandbox.dir, "agent"),
    });
    const log = pino({ level: process.env.NETLENS_BENCH_LOG ?? "silent" }, pino.destination(2));
    const ovs = new Ovs(options.ovsdb, ovsRunDir(options));
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    await ensureBridges(ovs, options, log);
    // The workloads, as the binder leaves them: plugged (dummy interfaces), tagged, known by port id.
    const names = Array.from({ length: PORTS }, (_, i) => portName(i));
    for (const bridge of [intBridge, floorBridge]) {
      await vsctl([
        "--may-exist",
        "add-br",
        bridge,
        "--",
        "set",
        "Bridge",
        bridge,
        "datapath_type=dummy",
        "fail_mode=secure",
      ]);
      await vsctl(
        names.flatMap((n) => [
          "--",
          "add-port",
          bridge,
          bridge === intBridge ? n : `${n}f`,
          `tag=${VLAN}`,
          "--",
          "set",
          "Interface",
          bridge === intBridge ? n : `${n}f`,
          "type=dummy",
        ]),
      );
    }
    const workloadPorts = new Map(names.map((n, i) => [uuid("fa", i), n]));
    const converger = await Converger.start({
      ovs,
      options,
      runDir: ovsRunDir(options),
      log,
      onApplied: () => {},
      workloadVlans: () => new Map([[networkId, VLAN]]),
      workloadPorts: () => workloadPorts,
    });
    let revision = 1;
    /** The last apply's observe/plan/execute/verify ms. */
    let phases = "";
    const apply = async (next: HostIntent) => {
      let flows = 0;
      const ms = await time(async () => {
        const result = await converger.apply(next);
        if (result.errors.length > 0) throw new Error(`apply failed: ${JSON.stringify(result.errors)}`);
        flows = result.changes;
        const t = result.timings;
        phases = t
          ? [t.observe_ms, t.plan_ms, t.execute_ms, t.verify_ms].map((v) => v.toFixed(0)).join("/")
          : "";
      });
      return { ms, changes: flows };
    };

    const fromEmpty: number[] = [];
    const floor: number[] = [];
    let flowCount = 0;
    // Once: the run ends by removing every port's firewall (its own row).
    for (let rep = 0; rep < 1; rep++) {
      await apply(intent(revision++, null));
      fromEmpty.push((await apply(intent(revision++, 0))).ms);
      // The floor: exactly these flows (as the agent left them), into a fresh bridge, in one bundle.
      const flows = await ovs.dumpFlows(intBridge);
      flowCount = flows.length;
      const text = flows.map((f) => `add ${f.replaceAll(/\bfw([0-9a-f]{4}\d{4})\b/g, "fw$1f")}`).join("\n");
      await run("ovs-ofctl", [
        "del-flows",
        `unix:${sandbox.dir}/${floorBridge}.mgmt`,
        `cookie=${FLOW_COOKIE}/-1`,
      ]);
      floor.push(
        await time(() =>
          run("ovs-ofctl", ["--bundle", "add-flows", `unix:${sandbox.dir}/${floorBridge}.mgmt`, "-"], {
            input: `${text}\n`,
          }),
        ),
      );
    }
    const emptyPhases = phases;
    const plusOne: number[] = [];
    for (let extra = 1; extra <= 3; extra++) plusOne.push((await apply(intent(revision++, extra))).ms);
    const plusPhases = phases;
    const minusOne: number[] = [];
    for (let extra = 2; extra >= 0; extra--) minusOne.push((await apply(intent(revision++, extra))).ms);
    const minusPhases = phases;
    // Every port's security groups at once (the firewall leaves the intent): ~30,000 flows removed in one bundle.
    const held = (await ovs.dumpFlows(intBridge)).length;
    const removed = await apply(intent(revision++, null));
    const removedFlows = held - (await ovs.dumpFlows(intBridge)).length;
    const ratio = median(fromEmpty) / median(floor);
    rows.push([
      `${PORTS} ports x ${RULES} rules, from no firewall (${flowCount} flows)`,
      median(fromEmpty).toFixed(0),
      median(floor).toFixed(0),
      ratio.toFixed(2),
      "<= 3x",
      ratio <= 3 ? "yes" : "NO",
      emptyPhases,
    ]);
    rows.push([
      `+1 rule on ${PORTS} ports (1 group)`,
      median(plusOne).toFixed(0),
      "-",
      "-",
      "< 100 ms",
      median(plusOne) < 100 ? "yes" : "NO",
      plusPhases,
    ]);
    rows.push([
      `-1 rule on ${PORTS} ports (1 group)`,
      median(minusOne).toFixed(0),
      "-",
      "-",
      "< 100 ms",
      median(minusOne) < 100 ? "yes" : "NO",
      minusPhases,
    ]);
    rows.push([
      `all security groups removed (${PORTS} ports, ${removedFlows} flows)`,
      removed.ms.toFixed(0),
      "-",
      "-",
      "< 5 s",
      removed.ms < 5000 ? "yes" : "NO",
      phases,
    ]);
    // The sandbox's bridges go with their flows: no cleanup apply (it would remove them one by one).
    await converger.close();
  } finally {
    await sandbox.stop();
  }
  console.log(
    markdownTable(
      ["case", "agent ms", "floor ms", "ratio", "goal", "met", "agent: observe/plan/execute/verify ms"],
      rows,
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
