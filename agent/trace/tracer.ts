// The agent's side of packet path tracing: it answers the server's questions with the host's own answers
// (`ip route get` in a namespace, our nat rules with their counters, `ovs-appctl ofproto/trace`), and sends a
// real probe on request. It decides nothing about paths: the server composes them from the model and these.
// Every name here was validated by zod (lib/schemas/trace.ts) and is checked again against what is ours.
import { performance } from "node:perf_hooks";
import { deviceNames, ownNamespacePattern } from "../../lib/names";
import {
  type RouteGet,
  type RouteQuestion,
  type TraceAnswer,
  type TraceAnswers,
  type TraceDaemon,
  type TraceHostInfo,
  type TraceLink,
  type TraceProbeInput,
  type TraceProbeResult,
  type TraceQuestion,
  traceProbe,
  traceQuestions,
} from "../contract/trace";
import { listConntrackBetween } from "../host/conntrack";
import { mapLimit } from "../host/exec";
import { type IpResult, IpSessions } from "../host/ip-session";
import { saveNat } from "../host/iptables";
import type { Ovs } from "../host/ovs";
import { unixctl, vswitchdControlSocket } from "../host/unixctl";
import { dhcpPaths } from "../plan/dhcp";
import { parseIptablesSave } from "../plan/iptables";
import { parseConntrack } from "../read/conntrack";
import { observeDaemons } from "../read/observe";
import { ofprotoFlow, parseDpifShow, parseOfprotoTrace, portsOfBridge } from "./ofproto";
import { sendProbe } from "./probe";

export type TracerSettings = {
  host: string;
  prefix: string;
  chainPrefix: string;
  integrationBridge: string;
  bridgeMappings: Record<string, string>;
  /** br-tun, on a host with a tunnel endpoint: its flows can be traced too. */
  tunnelBridge?: string;
  /** Where ovs-vswitchd keeps its pid file and control socket (the sandbox's run directory). */
  ovsRunDir: string;
  /** Where the DHCP servers, the metadata proxies and keepalived keep their files (their pid files among them). */
  dhcpDir: string;
  metadataDir: string;
  haDir: string;
};

/** A question naming something that is not ours: the caller's mistake, answered with BAD_REQUEST. */
export class TraceRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TraceRequestError";
  }
}

/** Processes at once: enough to hide latency, few enough for a 2-core host. */
const PARALLEL = 4;

export class Tracer {
  private readonly pattern: RegExp;
  private readonly bridges: string[];
  /** `ip -batch` processes kept open in the namespaces being traced (see host/ip-session.ts). */
  private readonly ip = new IpSessions();

  constructor(
    private readonly ovs: Ovs,
    private readonly settings: TracerSettings,
  ) {
    this.pattern = ownNamespacePattern(settings.prefix);
    this.bridges = [
      settings.integrationBridge,
      ...Object.values(settings.bridgeMappings),
      ...(settings.tunnelBridge === undefined ? [] : [settings.tunnelBridge]),
    ];
  }

  info(): TraceHostInfo {
    return {
      host: this.settings.host,
      prefix: this.settings.prefix,
      integration_bridge: this.settings.integrationBridge,
      bridge_mappings: { ...this.settings.bridgeMappings },
      chain_prefix: this.settings.chainPrefix,
      tunnel_bridge: this.settings.tunnelBridge ?? null,
    };
  }

  private checkNamespace(namespace: string): void {
    if (!this.pattern.test(namespace))
      throw new TraceRequestError(`Namespace ${namespace} is not one of this agent's`);
  }

  private checkBridge(bridge: string): void {
    if (!this.bridges.includes(bridge))
      throw new TraceRequestError(`Bridge ${bridge} is not one of this agent's (${this.bridges.join(", ")})`);
  }

  async answer(raw: { questions: TraceQuestion[] }): Promise<TraceAnswers> {
    const started = performance.now();
    const { questions } = traceQuestions.parse(raw);
    for (const q of questions) {
      if (q.kind === "ovs") this.checkBridge(q.bridge);
      else if (q.kind !== "ports") this.checkNamespace(q.namespace);
    }
    const answers: (TraceAnswer | undefined)[] = new Array(questions.length);

    // route and links questions of one namespace: one `ip -json -batch` process.
    const byNamespace = new Map<string, number[]>();
    questions.forEach((q, index) => {
      if (q.kind !== "route" && q.kind !== "links") return;
      const list = byNamespace.get(q.namespace) ?? [];
      list.push(index);
      byNamespace.set(q.namespace, list);
    });
    type Task = () => Promise<void>;
    const tasks: Task[] = [];
    for (const [namespace, indexes] of byNamespace) {
      tasks.push(async () => {
        const lines = indexes.map((i) => ipLine(questions[i] as TraceQuestion));
        const results = await this.ip.run(namespace, lines);
        indexes.forEach((index, k) => {
          const q = questions[index] as TraceQuestion;
          const result = results[k] ?? { ok: false as const, error: "no answer" };
          answers[index] = q.kind === "route" ? routeAnswer(q, result) : linksAnswer(result);
        });
      });
    }
    let dpif: Promise<string> | undefined;
    questions.forEach((q, index) => {
      switch (q.kind) {
        case "route":
        case "links":
          break;
        case "nat":
          tasks.push(async () => {
            try {
              const text = await saveNat(q.namespace);
              answers[index] = {
                kind: "nat",
                ok: true,
                rules: parseIptablesSave(text, this.settings.chainPrefix).rules,
              };
            } catch (error) {
              answers[index] = { kind: "nat", ok: false, error: message(error) };
            }
          });
          break;
        case "ovs":
          tasks.push(async () => {
            try {
              const ctl = await vswitchdControlSocket(this.settings.ovsRunDir);
              dpif ??= unixctl(ctl, "dpif/show", []);
              const [trace, show] = await Promise.all([
                unixctl(ctl, "ofproto/trace", [...ctNext(q), q.bridge, ofprotoFlow(q)]),
                dpif,
              ]);
              const ports = portsOfBridge(parseDpifShow(show), q.bridge);
              answers[index] = { kind: "ovs", ok: true, trace: parseOfprotoTrace(trace, ports) };
            } catch (error) {
              answers[index] = { kind: "ovs", ok: false, error: message(error) };
            }
          });
          break;
        case "ports":
          tasks.push(async () => {
            try {
              const [ports, uplinks] = await Promise.all([
                this.ovs.listPorts(this.settings.prefix),
                this.uplinks(),
              ]);
              const ours = new Set(ports.map((p) => p.name));
              answers[index] = {
                kind: "ports",
                ok: true,
                bridges: this.bridges,
                uplinks: Object.fromEntries(
                  [...uplinks].map(([bridge, names]) => [bridge, names.filter((n) => !ours.has(n))]),
                ),
                ports: ports.map((p) => ({
                  name: p.name,
                  bridge: p.bridge,
                  tag: p.tag,
                  ofport: p.ofport,
                  external_ids: p.externalIds,
                })),
              };
            } catch (error) {
              answers[index] = { kind: "ports", ok: false, error: message(error) };
            }
          });
          break;
        case "daemons":
          tasks.push(async () => {
            try {
              answers[index] = { kind: "daemons", ok: true, daemons: await this.daemons(q.namespace) };
            } catch (error) {
              answers[index] = { kind: "daemons", ok: false, error: message(error) };
            }
          });
          break;
        case "conntrack":
          tasks.push(async () => {
            try {
              const text = await listConntrackBetween(q.namespace, q.src, q.dst);
              answers[index] = { kind: "conntrack", ok: true, entries: parseConntrack(text) };
            } catch (error) {
              answers[index] = { kind: "conntrack", ok: false, error: message(error) };
            }
          });
          break;
        default: {
          const unreachable: never = q;
          throw new Error(`Unknown question ${JSON.stringify(unreachable)}`);
        }
      }
    });
    await mapLimit(tasks, PARALLEL, (task) => task());
    return {
      info: this.info(),
      answers: answers.map((a) => a ?? { kind: "links", ok: false, error: "not answered" }),
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
    };
  }

  /** Each physical bridge's ports but its patch to the integration bridge: ours among them, and its uplinks. */
  private async uplinks(): Promise<Map<string, string[]>> {
    const bridges = Object.values(this.settings.bridgeMappings);
    // A mapped bridge that is missing has no uplinks (the wire crossing says so); our ports are still listed.
    const listed = await Promise.all(
      bridges.map((bridge) => this.ovs.vsctl(["list-ports", bridge]).catch(() => "")),
    );
    return new Map(
      bridges.map((bridge, i) => [
        bridge,
        (listed[i] ?? "").split("\n").filter((name) => name !== "" && name !== deviceNames.phyPatch(bridge)),
      ]),
    );
  }

  /** The daemons of ours a namespace runs or is configured for, as the apply reads them. */
  private async daemons(namespace: string): Promise<TraceDaemon[]> {
    const [, kind = "", id = ""] = this.pattern.exec(namespace) ?? [];
    const seen = await observeDaemons(this.settings, kind, id);
    return seen.map((d) => ({
      program: d.program,
      running: d.pid !== null,
      hosts: d.program === "dnsmasq" ? (d.files[dhcpPaths(this.settings.dhcpDir, id).host] ?? null) : null,
    }));
  }

  async probe(raw: TraceProbeInput): Promise<TraceProbeResult> {
    const input = traceProbe.parse(raw);
    this.checkNamespace(input.namespace);
    for (const c of input.captures) this.checkNamespace(c.namespace);
    for (const ns of input.nat_namespaces) this.checkNamespace(ns);
    return sendProbe(input, this.settings.chainPrefix);
  }

  /** Closes the `ip -batch` processes kept open (they also close by themselves when idle). */
  close(): void {
    this.ip.close();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One `ip -batch` line; every word is a validated address or name, none holds a space. */
function ipLine(q: TraceQuestion): string {
  if (q.kind === "links") return "addr show";
  if (q.kind !== "route") throw new Error(`not an ip question: ${q.kind}`);
  const words = ["route", "get", q.dst];
  if (q.src !== undefined) words.push("from", q.src);
  if (q.iif !== undefined) words.push("iif", q.iif);
  return words.join(" ");
}

/** As `ip route get` prints it, so that people read what they would have typed. */
export function routeText(route: RouteGet): string {
  const words: string[] = [];
  if (route.type !== undefined && route.type !== "unicast") words.push(route.type);
  words.push(route.dst ?? "?");
  if (route.from !== undefined) words.push("from", route.from);
  if (route.gateway !== undefined) words.push("via", route.gateway);
  if (route.dev !== undefined) words.push("dev", route.dev);
  if (route.prefsrc !== undefined) words.push("src", route.prefsrc);
  if (route.iif !== undefined) words.push("iif", route.iif);
  return words.join(" ");
}

function routeAnswer(q: RouteQuestion, result: IpResult): TraceAnswer {
  const asked = [
    "ip",
    "route",
    "get",
    q.dst,
    ...(q.src ? ["from", q.src] : []),
    ...(q.iif ? ["iif", q.iif] : []),
  ];
  if (!result.ok)
    return { kind: "route", ok: false, error: result.error, text: `${asked.join(" ")}: ${result.error}` };
  const route = (Array.isArray(result.json) ? result.json[0] : undefined) as RouteGet | undefined;
  if (route === undefined) return { kind: "route", ok: false, error: "empty answer", text: asked.join(" ") };
  return { kind: "route", ok: true, route, text: routeText(route) };
}

type JsonLink = {
  ifname?: string;
  address?: string;
  mtu?: number;
  flags?: string[];
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
};

function linksAnswer(result: IpResult): TraceAnswer {
  if (!result.ok) return { kind: "links", ok: false, error: result.error };
  const links = (Array.isArray(result.json) ? result.json : []) as JsonLink[];
  const list: TraceLink[] = links
    .filter((l) => l.ifname !== undefined && l.ifname !== "lo")
    .map((l) => ({
      name: l.ifname ?? "",
      mac: l.address ?? "",
      up: l.flags?.includes("UP") ?? false,
      mtu: l.mtu ?? 0,
      addresses: (l.addr_info ?? [])
        .filter((a) => a.family === "inet" && a.local !== undefined)
        .map((a) => `${a.local}/${a.prefixlen ?? 32}`),
    }));
  return { kind: "links", ok: true, links: list };
}

/**
 * A reply's conntrack state for each ct action on its way (out of a filtered port, into another): established.
 * Without it ofproto/trace takes the reply for a new connection, which the filters' rules need not allow.
 */
function ctNext(q: { established?: boolean | undefined }): string[] {
  return q.established === true ? ["--ct-next", "trk,est", "--ct-next", "trk,est"] : [];
}
