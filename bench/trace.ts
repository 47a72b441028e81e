// npm run bench:trace (root): packet path tracing, explain mode (goal < 300 ms) and probe mode (goal < 2 s), on a
// demo-like topology, on a router with 1,000 floating IPs, and then with security groups on those 1,000 ports
// (10 rules each, a remote group among them: the firewall bench's size), beside the bare commands' floor measured
// in the same run. The stack is the real one minus Next: a private OVS sandbox (dummy datapath, bridges b<rand>-int /
// b<rand>-ex, namespace prefix b<rand>-), the agent as its own process (as in production: run inside this one,
// each command it spawns would fork this process's few hundred MB of database and model), served over HTTP with
// its token, an in-memory database, the dispatcher; the trace goes server -> agent over tRPC as in production.
// Everything made is removed at the end, even on failure.
//
// Explain is measured warm (right after another trace: the agent's `ip -batch` processes in the traced
// namespaces still open) and cold (after they closed, idle, as for the first trace in a while).
//
// Floors: explain = the same host questions the trace asked (ip route get, ofproto/trace, iptables-save -t nat
// -c, ip addr, ovs-vsctl list), each run as a bare command one after the other, as an operator's script would;
// probe = that plus one bare `ping -c 1` (or TCP connect) from the same source namespace.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { notLike } from "drizzle-orm";
import pino from "pino";
import type { TraceQuestion } from "../agent/contract/trace";
import { run } from "../agent/host/exec";
import { IP_SESSION_IDLE_MS } from "../agent/host/ip-session";
import { namespacesWithPrefix, startSandbox } from "../agent/testing/host";
import { floatingIpCreate } from "../lib/schemas/floatingIp";
import { networkCreate } from "../lib/schemas/network";
import { portCreate, portUpdate } from "../lib/schemas/port";
import { routerCreate, routerInterface } from "../lib/schemas/router";
import { securityGroupCreate, securityGroupRuleCreate } from "../lib/schemas/securityGroup";
import { serverCreate } from "../lib/schemas/server";
import { subnetCreate } from "../lib/schemas/subnet";
import { type TraceResult, type TraceRunInput, traceRun } from "../lib/schemas/trace";
import { createAgentClient } from "../server/agents/client";
import { Dispatcher } from "../server/agents/dispatcher";
import { waitForApplied, wantedRevision } from "../server/agents/wait";
import { createDb } from "../server/db/client";
import { ports as portsTable } from "../server/db/schema";
import { createFloatingIp } from "../server/domain/floatingIps";
import { defaultMtuSettings } from "../server/domain/mtu";
import { createNetwork } from "../server/domain/networks";
import { createPort, updatePort } from "../server/domain/ports";
import { ensureProject } from "../server/domain/projects";
import { addRouterInterface, createRouter } from "../server/domain/routers";
import {
  createSecurityGroup,
  createSecurityGroupRule,
  ensureDefaultGroup,
} from "../server/domain/securityGroups";
import { createServer } from "../server/domain/servers";
import { createSubnet } from "../server/domain/subnets";
import { type Actor, transact } from "../server/domain/tx";
import { EventBus } from "../server/events";
import { createTraceAgentClient, createTraceAgents, type TraceAgent } from "../server/trace/agent";
import { runTrace } from "../server/trace/run";
import { median, time } from "./stats";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const COLD_RUNS = Math.max(3, Math.floor(RUNS / 2));
const PROBE_RUNS = Math.max(3, Math.floor(RUNS / 2));
const repo = fileURLToPath(new URL("..", import.meta.url));
const tsx = join(repo, "node_modules/.bin/tsx");
const tag = randomBytes(2).toString("hex");
const prefix = `b${tag}-`;
const intBridge = `b${tag}-int`;
const exBridge = `b${tag}-ex`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Replays the trace's host questions as bare commands, one after the other: the explain floor. */
async function bareCommands(questions: TraceQuestion[], ctl: string, db: string): Promise<void> {
  for (const q of questions) {
    switch (q.kind) {
      case "route": {
        const words = ["-n", q.namespace, "-json", "route", "get", q.dst];
        if (q.src !== undefined) words.push("from", q.src);
        if (q.iif !== undefined) words.push("iif", q.iif);
        await run("ip", words, { allowFailure: true });
        break;
      }
      case "links":
        await run("ip", ["-n", q.namespace, "-json", "addr", "show"]);
        break;
      case "nat":
        await run("ip", ["netns", "exec", q.namespace, "iptables-save", "-t", "nat", "-c"]);
        break;
      case "ports":
        await run("ovs-vsctl", [`--db=${db}`, "--format=json", "list", "Interface"]);
        break;
      case "daemons":
        // What a script would run to see whether the namespace's dnsmasq or haproxy is up (not asked by the
        // paths benched here: only a lease or a metadata trace asks it).
        await run("pgrep", ["-a", "-f", q.namespace.replace(/^.*q(dhcp|router)-/, "")], {
          allowFailure: true,
        });
        break;
      case "conntrack":
        await run("ip", [
          "netns",
          "exec",
          q.namespace,
          "conntrack",
          "-L",
          "--orig-src",
          q.src,
          "--orig-dst",
          q.dst,
        ]);
        break;
      case "ovs": {
        const flow = [`in_port=${q.in_port}`, q.protocol, `dl_src=${q.dl_src}`, `dl_dst=${q.dl_dst}`];
        flow.push(`nw_src=${q.nw_src}`, `nw_dst=${q.nw_dst}`);
        await run("ovs-appctl", ["-t", ctl, "ofproto/trace", q.bridge, flow.join(",")]);
        break;
      }
      default: {
        const unreachable: never = q;
        throw new Error(`unknown question ${JSON.stringify(unreachable)}`);
      }
    }
  }
}

/** The verdict, with the diagnoses that explain a drop. */
function outcome(result: TraceResult): string {
  const codes = result.diagnoses.map((d) => d.code);
  return codes.length === 0 ? result.verdict : `${result.verdict} (${codes.join(", ")})`;
}

type Row = {
  case: string;
  mode: string;
  /** Every run's time: the table shows the median and the spread. */
  runs: number[];
  floor: number;
  goal: number;
  calls: string;
  verdict: string;
};

async function main(): Promise<void> {
  const sandbox = await startSandbox(`trace-${tag}`);
  const dir = await mkdtemp(join(tmpdir(), "netlens-bench-trace-"));
  const agentArgs = [
    join(repo, "agent/main.ts"),
    "--ovsdb",
    sandbox.db,
    "--integration-bridge",
    intBridge,
    "--bridge-mapping",
    `public:${exBridge}`,
    "--datapath-type",
    "dummy",
    "--prefix",
    prefix,
    "--chain-prefix",
    `b${tag}`,
    "--state-dir",
    join(dir, "agent"),
  ];
  let agentProcess: ChildProcess | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const logger = pino({ level: "silent" });
    const tokenFile = join(dir, "agent/token");
    // A port of its own choosing: its log line "agent listening" says which.
    const child = spawn(
      tsx,
      [...agentArgs, "--log-level", "info", "--listen", "127.0.0.1:0", "--token-file", tokenFile],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    agentProcess = child;
    const url = await new Promise<string>((resolve, reject) => {
      // Read to the end (the agent's later log lines too, or its pipe would fill).
      createInterface({ input: child.stdout }).on("line", (line) => {
        let entry: { msg?: string; url?: string };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          return; // not one of the agent's log lines
        }
        if (entry.msg === "agent listening" && entry.url !== undefined) resolve(entry.url);
      });
      child.once("exit", () => reject(new Error("the agent did not start")));
    });
    const agentApi = createAgentClient({ url, tokenFile });
    const database = await createDb({ dataDir: "memory" });
    closers.push(() => database.close());
    const db = database.db;
    const bus = new EventBus();
    const dispatcher = new Dispatcher({
      db,
      bus,
      agent: agentApi,
      url,
      logger,
      retry: { minMs: 50, maxMs: 500 },
    });
    await dispatcher.start();
    closers.push(() => dispatcher.stop());

    // The trace's agent, wrapped to record the questions it asks (for the floor) and count round trips.
    let asked: TraceQuestion[] = [];
    let agentMs = 0;
    let roundTrips = 0;
    const real = createTraceAgentClient({ url, tokenFile });
    const recording: TraceAgent = {
      ask: async (questions) => {
        asked.push(...questions);
        roundTrips++;
        const started = performance.now();
        try {
          return await real.ask(questions);
        } finally {
          agentMs += performance.now() - started;
        }
      },
      probe: (input) => real.probe(input),
    };
    const traceAgents = createTraceAgents(() => recording);

    const project = await ensureProject(db, "admin", "bench");
    const actor: Actor = { user: "admin", role: "admin", projectId: project.id, projectIds: [project.id] };
    const write = <T>(work: Parameters<typeof transact<T>>[2]) => transact({ db, bus }, actor, work);
    const settle = async () => {
      if (!(await waitForApplied({ db, bus }, await wantedRevision(db), 120_000)))
        throw new Error("the agent did not apply the topology");
    };

    // Demo-like: external flat network, one tenant network, a router, two instances, one floating IP.
    await write(async (tx) => {
      await createNetwork(
        tx,
        networkCreate.parse({
          name: "ext",
          "router:external": true,
          "provider:network_type": "flat",
          "provider:physical_network": "public",
        }),
        defaultMtuSettings,
      );
      await createSubnet(
        tx,
        subnetCreate.parse({
          name: "extsub",
          network_id: "ext",
          cidr: "10.200.0.0/20",
          gateway_ip: "10.200.0.1",
          enable_dhcp: false,
        }),
      );
      await createNetwork(tx, networkCreate.parse({ name: "net1" }), defaultMtuSettings);
      // Fixed addresses without DHCP, as the CLI's integration tests have them: a lab probe on a DHCP subnet
      // takes its address by DHCP, which the dummy datapath's sandbox is not here to measure.
      await createSubnet(
        tx,
        subnetCreate.parse({ name: "sub1", network_id: "net1", cidr: "10.100.0.0/20", enable_dhcp: false }),
      );
      await createRouter(
        tx,
        routerCreate.parse({ name: "r1", external_gateway_info: { network_id: "ext" } }),
      );
      await addRouterInterface(tx, routerInterface.parse({ id: "r1", subnet_id: "sub1" }));
      const vm1 = await createServer(
        tx,
        serverCreate.parse({ name: "vm1", network_id: "net1", fixed_ip_address: "10.100.0.5" }),
      );
      await createServer(
        tx,
        serverCreate.parse({ name: "vm2", network_id: "net1", fixed_ip_address: "10.100.0.6" }),
      );
      await createFloatingIp(
        tx,
        floatingIpCreate.parse({
          floating_network_id: "ext",
          floating_ip_address: "10.200.0.20",
          port_id: vm1.port_id,
        }),
      );
      // As the demo seed does: the default group lets ICMP in (else it lets in only its own members).
      const group = await ensureDefaultGroup(tx, project.id);
      await createSecurityGroupRule(
        tx,
        securityGroupRuleCreate.parse({
          security_group_id: group.id,
          direction: "ingress",
          protocol: "icmp",
        }),
      );
    });
    await settle();

    const ctl = join(
      sandbox.dir,
      `ovs-vswitchd.${(await readFile(join(sandbox.dir, "ovs-vswitchd.pid"), "utf8")).trim()}.ctl`,
    );
    const uplinkNs = (await namespacesWithPrefix(`${prefix}quplink-`))[0] ?? "";
    const rows: Row[] = [];
    const paths: [string, TraceRunInput][] = [
      ["outside -> FIP", { from: "10.200.0.1", to: "10.200.0.20" }],
      ["instance -> outside", { from: "vm2", to: "10.200.0.1" }],
    ];
    const measure = async (label: string, cases = paths, probe = true) => {
      for (const [name, input] of cases) {
        const { from, to } = input;
        const explain: number[] = [];
        const cold: number[] = [];
        const floors: number[] = [];
        const inAgent: number[] = [];
        let calls = "";
        let verdict = "";
        const explainOnce = async () => {
          asked = [];
          agentMs = 0;
          roundTrips = 0;
          const ms = await time(
            async () =>
              (verdict = outcome(await runTrace({ db, traceAgents }, actor, traceRun.parse(input)))),
          );
          calls = `${asked.length} in ${roundTrips} round trips`;
          return ms;
        };
        await explainOnce(); // warms this case's namespaces
        for (let i = 0; i < RUNS; i++) {
          explain.push(await explainOnce());
          inAgent.push(agentMs);
          const questions = asked;
          floors.push(await time(() => bareCommands(questions, ctl, sandbox.db)));
        }
        for (let i = 0; i < COLD_RUNS; i++) {
          await sleep(IP_SESSION_IDLE_MS + 1000);
          cold.push(await explainOnce());
        }
        const floor = median(floors);
        const questions = `${calls}; ${median(inAgent).toFixed(0)} ms in agent calls`;
        rows.push({
          case: `${label}: ${name}`,
          mode: "explain",
          runs: explain,
          floor,
          goal: 300,
          calls: questions,
          verdict,
        });
        rows.push({
          case: `${label}: ${name}`,
          mode: "explain, cold",
          runs: cold,
          floor,
          goal: 300,
          calls: "",
          verdict,
        });
        if (!probe) continue;
        const probes: number[] = [];
        const pingFloor: number[] = [];
        const source =
          from === "10.200.0.1"
            ? uplinkNs
            : ((await namespacesWithPrefix(`${prefix}qprobe-`)).find(Boolean) ?? "");
        for (let i = 0; i < PROBE_RUNS; i++) {
          probes.push(
            await time(
              async () =>
                (verdict = outcome(
                  await runTrace({ db, traceAgents }, actor, traceRun.parse({ ...input, probe: true })),
                )),
            ),
          );
          pingFloor.push(
            await time(() =>
              run(
                "ip",
                [
                  "netns",
                  "exec",
                  source,
                  "ping",
                  "-n",
                  "-c",
                  "1",
                  "-W",
                  "1",
                  to.startsWith("10.") ? to : "10.200.0.1",
                ],
                { allowFailure: true },
              ),
            ),
          );
        }
        rows.push({
          case: `${label}: ${name}`,
          mode: "probe",
          runs: probes,
          floor: floor + median(pingFloor),
          goal: 2000,
          calls: "",
          verdict,
        });
      }
    };
    await measure("demo");

    // The same router with 1,000 more floating IPs (ports without instances hold their fixed addresses).
    const started = performance.now();
    await write(async (tx) => {
      for (let n = 0; n < 1000; n++) {
        const fixed = `10.100.${1 + Math.floor(n / 250)}.${(n % 250) + 1}`;
        const floating = `10.200.${1 + Math.floor(n / 250)}.${(n % 250) + 1}`;
        const port = await createPort(
          tx,
          portCreate.parse({ network_id: "net1", fixed_ips: [{ ip_address: fixed }] }),
        );
        await createFloatingIp(
          tx,
          floatingIpCreate.parse({
            floating_network_id: "ext",
            floating_ip_address: floating,
            port_id: port.id,
          }),
        );
      }
    });
    await settle();
    process.stderr.write(
      `1,000 floating IPs made and applied in ${Math.round(performance.now() - started)} ms\n`,
    );
    await measure("1,000 FIPs");

    // Security groups on those 1,000 ports and the two instances, as the firewall bench has them: ten rules of
    // the kinds operators write, one of them letting in a remote group's 8 members. ICMP and tcp 8000-8099 are
    // open from anywhere: the outside's ping is delivered with its rule named, and tcp 3306 is dropped at the
    // port with the security-group-blocks diagnosis and the rule to create.
    const grouped = performance.now();
    await write(async (tx) => {
      const web = await createSecurityGroup(tx, securityGroupCreate.parse({ name: "web" }));
      const peers = await createSecurityGroup(tx, securityGroupCreate.parse({ name: "peers" }));
      const rule = (fields: Record<string, unknown>) =>
        createSecurityGroupRule(tx, securityGroupRuleCreate.parse({ security_group_id: web.id, ...fields }));
      await rule({ direction: "ingress", remote_group_id: peers.id });
      await rule({ direction: "ingress", protocol: "icmp" });
      for (const [min, max] of [
        [22, 22],
        [443, 443],
        [8000, 8099],
      ])
        await rule({ direction: "ingress", protocol: "tcp", port_range_min: min, port_range_max: max });
      await rule({
        direction: "ingress",
        protocol: "tcp",
        port_range_min: 80,
        port_range_max: 80,
        remote_ip_prefix: "198.51.100.0/24",
      });
      await rule({
        direction: "ingress",
        protocol: "udp",
        port_range_min: 53,
        port_range_max: 53,
        remote_ip_prefix: "203.0.113.53/32",
      });
      await rule({ direction: "egress", protocol: "icmp", port_range_min: 8, port_range_max: 0 });
      await rule({ direction: "egress", protocol: "udp", port_range_min: 5000, port_range_max: 5010 });
      // Every port but the network service's own (routers', DHCP's): the instances' and the 1,000 workloads'.
      const ports = await tx.db
        .select({ id: portsTable.id })
        .from(portsTable)
        .where(notLike(portsTable.deviceOwner, "network:%"));
      for (const [n, port] of ports.entries())
        await updatePort(
          tx,
          portUpdate.parse({ id: port.id, security_groups: n < 8 ? [web.id, peers.id] : [web.id] }),
        );
    });
    await settle();
    process.stderr.write(
      `security groups on the ports made and applied in ${Math.round(performance.now() - grouped)} ms\n`,
    );
    await measure(
      "1,000 ports x 10 rules",
      [
        ...paths,
        [
          "outside -> FIP tcp/3306 (blocked)",
          { from: "10.200.0.1", to: "10.200.0.20", protocol: "tcp", port: 3306 },
        ],
      ],
      false,
    );

    const fmt = (n: number) => n.toFixed(1);
    const table = [
      "| case | mode | trace ms | min-max ms | floor ms | ratio | goal | met | host questions (explain) | verdict |",
      "|------|------|----------|------------|----------|-------|------|-----|-------------------------|---------|",
      ...rows.map((r) => {
        const ms = median(r.runs);
        const spread = `${fmt(Math.min(...r.runs))}-${fmt(Math.max(...r.runs))}`;
        return `| ${r.case} | ${r.mode} | ${fmt(ms)} | ${spread} | ${fmt(r.floor)} | ${(ms / r.floor).toFixed(2)} | < ${r.goal} ms | ${ms < r.goal ? "yes" : "NO"} | ${r.calls} | ${r.verdict} |`;
      }),
    ];
    console.log(table.join("\n"));
    console.log(
      `(medians of ${RUNS} explain runs, ${COLD_RUNS} cold explain runs, ${PROBE_RUNS} probe runs; met: the median)`,
    );
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    if (agentProcess !== undefined && agentProcess.exitCode === null) {
      const exited = new Promise((resolve) => agentProcess?.once("exit", resolve));
      agentProcess.kill("SIGTERM");
      await exited;
    }
    // What the agent made, removed by the agent itself (as `npm run up` does on Ctrl-C).
    await run(tsx, [...agentArgs, "--cleanup"], { allowFailure: true });
    for (const ns of await namespacesWithPrefix(prefix))
      await run("ip", ["netns", "del", ns], { allowFailure: true });
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
