// trace.run: resolve the two ends in the model, ask the host what it does with the packet (forward, then the
// reply back, through conntrack), name the traps it falls into, and with --probe send a real packet and
// report per hop whether it was seen. An end that is a workload's port stops the trace before any hop when it
// is unbound or cannot get its lease; `--to metadata` traces tcp/80 to 169.254.169.254 from an instance.
import { performance } from "node:perf_hooks";
import type { z } from "zod";
import type { TracePort, TraceQuestion } from "../../agent/contract/trace";
import type { NatRuleCounters } from "../../lib/host-snapshot";
import type { TraceResult, traceRun } from "../../lib/schemas/trace";
import type { Db } from "../db/client";
import { badRequest, conflict, DomainError } from "../domain/errors";
import type { Actor } from "../domain/tx";
import type { TraceAgents, TraceHost } from "./agent";
import type { Asker, HostAnswers } from "./ask";
import { conntrackQuestion, matchConntrack, trackedConnections, withConntrack } from "./conntrack";
import { daemonsOf, dhcpFacts, dhcpQuestion, workloadEnds } from "./daemons";
import { diagnose } from "./diagnose";
import { loadTraceModel, type TraceModel } from "./facts";
import { haDiagnoses, withHaNodes } from "./ha";
import { TraceHosts } from "./hosts";
import { leaseDiagnosis } from "./lease";
import { type MetadataServer, metadataDiagnoses, metadataServer } from "./metadata";
import { crossings, pathMtu } from "./mtu";
import { type HostPlaces, hostsPlaces, type Place } from "./places";
import { capturePoints, markHops, probeDiagnoses, probeVerdict } from "./probe";
import {
  type Endpoint,
  endpointView,
  forwardedTo,
  instanceOf,
  resolveEndpoint,
  routersOf,
  settle,
} from "./resolve";
import { type MemberTenancy, memberTenancy } from "./tenancy";
import { routeQuestion, walk } from "./walk";
import type { WalkContext, WalkResult, Wire } from "./walk-state";

type TraceRun = z.output<typeof traceRun>;

/** Where an end lives on the host: the namespace a packet starts from, or must arrive at. */
function placeOf(endpoint: Endpoint, places: HostPlaces): Place | undefined {
  switch (endpoint.kind) {
    case "instance":
    case "floating_ip": {
      const instance = instanceOf(endpoint);
      return instance ? places.instances.get(instance.id) : undefined;
    }
    case "router":
      return places.routers.get(endpoint.router.row.id);
    case "outside":
      return endpoint.uplink ? places.uplinks.get(endpoint.uplink.network.id) : undefined;
    case "metadata":
      return undefined; // who answers depends on the source: metadataServer
    default: {
      const unreachable: never = endpoint;
      throw new Error(`Unknown endpoint ${JSON.stringify(unreachable)}`);
    }
  }
}

/** What a member reads when the host could not answer: the agent's words name the host and its devices. */
export const MEMBER_TRACE_FAILED = "The host could not answer this trace; an admin can see why";

/**
 * The trace as `actor` may see it: an admin's whole answer; a member's ends resolved among what the member
 * sees, and its answer in the tenant's view (tenant-view.ts).
 */
export async function runTrace(
  deps: { db: Db; traceAgents: TraceAgents },
  actor: Actor,
  asked: TraceRun,
): Promise<TraceResult> {
  const started = performance.now();
  const hosts = await deps.traceAgents.hostsFor(deps.db);
  const model = await loadTraceModel(
    deps.db,
    hosts.map((h) => h.host),
  );
  if (actor.role === "admin") return traceIn({ model, tenancy: null, hosts, started }, asked);
  const tenancy = memberTenancy(model, actor);
  const traced = await traceIn({ model, tenancy, hosts, started }, asked);
  return tenancy.view(traced);
}

type TraceSetting = {
  /** The whole model: what the walk and the diagnoses read. */
  model: TraceModel;
  /** A member's: the ends are named among what it sees, and the host's errors told without the host's words. */
  tenancy: MemberTenancy | null;
  /** The hosts known, in registration order, each with its agent. */
  hosts: TraceHost[];
  started: number;
};

async function traceIn(setting: TraceSetting, asked: TraceRun): Promise<TraceResult> {
  const { model, tenancy, hosts, started } = setting;
  const named = tenancy?.visible ?? model;
  const resolve = (ref: string) => (tenancy ? tenancy.resolve(ref) : resolveEndpoint(model, ref));
  const { places, hostOf } = hostsPlaces(
    hosts.map((h) => ({ host: h.host, prefix: h.prefix, intent: model.intents.get(h.host) ?? model.intent })),
  );
  const traceHosts = new TraceHosts(hosts, hostOf);
  // Questions about a namespace, asked of the host that has it.
  const hostAnswers: Asker = { ask: (q, prefetch = []) => traceHosts.ask(q, prefetch, traceHosts.first) };
  const stopped = await workloadEnds(named, places, hostAnswers, [asked.from, asked.to]);
  if (stopped !== null) {
    // Nothing to walk: a port bound nowhere has no place on any host, one without a lease no address.
    const [src, dst] = stopped;
    return {
      verdict: "dropped",
      from: src?.view ?? endpointView(resolve(asked.from)),
      to: dst?.view ?? endpointView(resolve(asked.to)),
      protocol: asked.protocol,
      port: asked.port ?? null,
      mode: asked.probe ? "probe" : "explain",
      forward: [],
      reply: [],
      diagnoses: stopped.flatMap((end) => end?.diagnoses ?? []),
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
    };
  }
  let from = resolve(asked.from);
  let to = resolve(asked.to);
  from = settle(model, from, to);
  to = settle(model, to, from);
  if (from.kind === "metadata")
    throw badRequest("The metadata service only answers: trace from an instance to it (--to metadata)");
  // The metadata service is read over HTTP: tcp, port 80 unless another was asked.
  const input: TraceRun =
    to.kind === "metadata" ? { ...asked, protocol: "tcp", port: asked.port ?? 80 } : asked;
  to = forwardedTo(model, to, input.protocol, input.port);
  if (to.kind === "metadata" && instanceOf(from) === null)
    throw badRequest(`Only an instance reads metadata: trace --from INSTANCE --to ${input.to}`);
  const server: MetadataServer | null = to.kind === "metadata" ? metadataServer(model, places, from) : null;
  // A probe from outside leaves the uplink namespace with the address it holds: trace that address.
  let probeNote = "";
  if (input.probe && from.kind === "outside" && from.uplink && from.address !== from.uplink.address) {
    probeNote = ` (sent from the uplink's own address ${from.uplink.address}, not ${from.address})`;
    from = { ...from, address: from.uplink.address };
  }
  if (input.source_address !== undefined && from.kind !== "instance")
    throw badRequest(
      `Only an instance sends from another source address: trace --from INSTANCE --source-address ${input.source_address}`,
    );
  if (from.kind === "floating_ip" && from.instance === null) {
    throw badRequest(`Floating IP ${from.address} is not associated: nothing sends from it`);
  }
  if (input.probe) probeOnOneHost(model, traceHosts, places, [from, to]);
  const ends: Ends = { from, to, input, probeNote, server, places, traceHosts };
  if (tenancy === null) return walkTrace(setting, ends);
  return walkTrace(setting, ends).catch((error: unknown) => {
    if (error instanceof DomainError) throw conflict(MEMBER_TRACE_FAILED);
    throw error;
  });
}

type Ends = {
  from: Endpoint;
  to: Endpoint;
  /** What was asked, with what the destination implies (tcp/80 for the metadata service). */
  input: TraceRun;
  probeNote: string;
  server: MetadataServer | null;
  places: HostPlaces;
  traceHosts: TraceHosts;
};

/** Why a probe is refused across hosts (in a member's words too: it names no host). */
export const PROBE_ONE_HOST =
  "A probe watches its packet on one host, and this path crosses hosts: probes across hosts are not supported yet. Trace without --probe to see each host's hops";

/** The routers the ends imply: those they are behind, and for the outside, those with a gateway on it. */
function impliedRouters(model: TraceModel, ends: readonly Endpoint[]): Set<string> {
  const ids = new Set(ends.flatMap((end) => routersOf(model, end)).map((r) => r.row.id));
  for (const endpoint of ends) {
    if (endpoint.kind !== "outside" || !endpoint.uplink) continue;
    for (const r of model.intent.routers)
      if (r.gateway?.network_id === endpoint.uplink.network.id) ids.add(r.id);
  }
  return ids;
}

/** Refuses a probe whose ends, or the routers between them, are on more than one host. */
function probeOnOneHost(model: TraceModel, hosts: TraceHosts, places: HostPlaces, ends: Endpoint[]) {
  if (!hosts.several) return;
  const namespaces = [
    ...ends.flatMap((end) => placeOf(end, places)?.namespace ?? []),
    ...[...impliedRouters(model, ends)].flatMap((id) => places.routers.get(id)?.namespace ?? []),
  ];
  if (new Set(namespaces.map((n) => hosts.hostOfNamespace(n))).size > 1) throw badRequest(PROBE_ONE_HOST);
}

/** The host's part: where the ends are, the walks there and back, the diagnoses, the probe. */
async function walkTrace(setting: TraceSetting, ends: Ends): Promise<TraceResult> {
  const { model, started } = setting;
  const { from, to, input, probeNote, server, places, traceHosts } = ends;
  const source = placeOf(from, places);
  const target = server === null ? placeOf(to, places) : server.kind === "none" ? undefined : server.place;
  if (!source)
    throw badRequest(
      `${input.from} has no place on ${traceHosts.several ? "any host" : `host ${traceHosts.first}`} to send from`,
    );
  // Each end's host: the walk starts on the source's, the reply on the destination's.
  const sourceHost = traceHosts.hostOfNamespace(source.namespace);
  const hostAnswers: Asker = { ask: (q, prefetch = []) => traceHosts.ask(q, prefetch, sourceHost) };
  // A source address asked for is what the instance puts in the packet (its port's filter judges it).
  const original = { src: input.source_address ?? from.address ?? "", dst: to.address ?? "" };

  // One round trip for what every walk needs: our OVS ports, the nat rules of the routers the ends imply, the
  // uplinks' MACs (the only devices whose MAC the intent does not choose); and with them the walk's first route.
  const routerIds = impliedRouters(model, [from, to]);
  const routerNamespaces = [...routerIds].flatMap((id) => places.routers.get(id)?.namespace ?? []);
  const uplinkNamespaces = [...places.uplinks.values()].map((p) => p.namespace);
  // The devices of the ends and of the routers they imply: their MTUs (and the uplinks' MACs).
  const linkNamespaces = [
    ...new Set([
      ...uplinkNamespaces,
      ...routerNamespaces,
      source.namespace,
      ...(target ? [target.namespace] : []),
    ]),
  ];
  const srcKnown = from.kind !== "router";
  // The daemons the ends rely on: the metadata proxy that answers, the DHCP server of a probe's lease.
  const serverDaemons: TraceQuestion | null =
    server !== null && server.kind !== "none" ? { kind: "daemons", namespace: server.place.namespace } : null;
  const leased = [from, to].flatMap((endpoint) => {
    const instance = instanceOf(endpoint);
    const onHost = instance ? model.intent.instances.find((i) => i.id === instance.id) : undefined;
    const port = instance ? model.ports.get(instance.portId) : undefined;
    return onHost?.dhcp === true && port ? [{ endpoint, port }] : [];
  });
  const daemonQuestions = [
    ...(serverDaemons ? [serverDaemons] : []),
    ...leased.flatMap((l) => dhcpQuestion(places, l.port.network_id) ?? []),
  ];
  // The other hosts say meanwhile which OVS ports they have (their tunnel bridges among them).
  const askedHosts = [
    sourceHost,
    ...[...routerNamespaces, ...linkNamespaces].map((n) => traceHosts.hostOfNamespace(n)),
  ];
  const [first] = await Promise.all([
    hostAnswers.ask(
      [
        { kind: "ports" },
        ...routerNamespaces.map((namespace) => ({ kind: "nat" as const, namespace })),
        ...linkNamespaces.map((namespace) => ({ kind: "links" as const, namespace })),
      ],
      [routeQuestion(source, original, null, srcKnown), ...daemonQuestions],
    ),
    traceHosts.meet(askedHosts),
  ]);
  let ports: TracePort[] = [];
  const nat = new Map<string, NatRuleCounters[]>();
  const macs = new Map<string, string>();
  const mtus = new Map<string, number>();
  first.forEach((answer, index) => {
    if (answer.kind === "ports" && answer.ok) ports = answer.ports;
    if (answer.kind === "nat" && answer.ok) {
      const namespace = routerNamespaces[index - 1];
      if (namespace !== undefined) nat.set(namespace, answer.rules);
    }
    if (answer.kind === "links" && answer.ok) {
      const namespace = linkNamespaces[index - 1 - routerNamespaces.length];
      if (namespace === undefined) return;
      for (const link of answer.links) {
        mtus.set(`${namespace}/${link.name}`, link.mtu);
        if (uplinkNamespaces.includes(namespace)) macs.set(`${namespace}/${link.name}`, link.mac);
      }
    }
  });
  const sourceAnswers = traceHosts.answers(sourceHost);
  const info = sourceAnswers.info;
  const fipIds = new Map(model.floatingIps.map((f) => [f.floatingIpAddress, f.id]));
  const ctx: WalkContext = {
    host: sourceAnswers,
    across: traceHosts.across(
      new Set([...model.networks.values()].filter((n) => n.networkType === "vxlan").map((n) => n.id)),
      wiresOf(model),
    ),
    info,
    protocol: input.protocol,
    port: input.port ?? null,
    places: places.all,
    ports,
    nat,
    macs,
    fipIds,
    filters: model.filters,
    forwardings: model.portForwardings,
  };
  const forward = await walk(ctx, "forward", { place: source, packet: original, srcKnown }, []);
  const arrived = target !== undefined && forward.deliveredAt === target;
  // The connection's entries in the routers that translate it: read beside the reply's walk; in probe mode after
  // the probe, so that the real packet's own entry shows.
  const tracked = trackedConnections(forward.nat, input.protocol);
  const readEntries = () => hostAnswers.ask(tracked.map(conntrackQuestion)).catch(() => []);
  const entries = input.probe ? null : readEntries();
  let reply: WalkResult | null = null;
  if (arrived) {
    reply = await walk(
      await replyContext(
        { ...ctx, port: null },
        traceHosts.answers(traceHosts.hostOfNamespace(target.namespace)),
      ),
      "reply",
      { place: target, packet: { src: forward.packet.dst, dst: forward.packet.src }, srcKnown: true },
      forward.nat,
    );
  }
  const sourceAddress =
    forward.hops.length > 0 ? (forward.hops[0]?.packet.src ?? original.src) : original.src;
  const replyOk =
    reply !== null &&
    reply.deliveredAt === source &&
    reply.packet.src === original.dst &&
    reply.packet.dst === sourceAddress;
  const crossed = crossings(places.all, { forward, reply });
  const seen = traceHosts.several ? await traceHosts.seen() : null;
  const diagnoses = diagnose({
    model,
    places,
    info,
    from,
    to,
    forward,
    reply,
    ports,
    nat,
    crossed,
    mtus,
    ...(seen === null
      ? {}
      : { hostOf: (namespace: string) => seen.get(traceHosts.hostOfNamespace(namespace)) }),
  });
  const lastHop = forward.hops.length > 0 ? `forward[${forward.hops.length - 1}]` : null;
  // An HA router of the path that no node holds: the walk found nothing answering for its addresses.
  diagnoses.push(
    ...haDiagnoses(
      [...routerIds].flatMap((id) => model.routers.get(id)?.row ?? []),
      model.haNodes,
      arrived ? null : lastHop,
    ),
  );
  for (const { endpoint, port } of leased) {
    const failedAtSource = endpoint === from && forward.deliveredAt === null && forward.hops.length <= 1;
    const facts = await dhcpFacts(hostAnswers, places, port.network_id);
    const lease = leaseDiagnosis(model, { port, bound: true }, facts, failedAtSource ? lastHop : null);
    if (lease !== null) diagnoses.push(lease);
  }
  if (server !== null) {
    const serverHop = forward.hops.findIndex(
      (h) => server.kind !== "none" && h.where.namespace === server.place.namespace,
    );
    diagnoses.push(
      ...metadataDiagnoses({
        model,
        server,
        daemons: await daemonsOf(hostAnswers, serverDaemons),
        nat,
        chainPrefix: info.chain_prefix,
        lastHop,
        serverHop: serverHop < 0 ? null : `forward[${serverHop}]`,
      }),
    );
  }
  if (reply !== null && reply.deliveredAt === source && !replyOk) {
    diagnoses.push({
      code: "no-route",
      hop: `reply[${reply.hops.length - 1}]`,
      message: `The reply arrives from ${reply.packet.src}, not from ${original.dst}: the source does not recognise it as the answer.`,
      fix: "The reply must come back through the router that translated the request.",
    });
  }
  if (target !== undefined && forward.deliveredAt !== null && forward.deliveredAt !== target) {
    const last = forward.hops.length - 1;
    diagnoses.push({
      code: diagnoses.some((d) => d.code === "nat-rule-missing") ? "nat-rule-missing" : "no-route",
      hop: `forward[${last}]`,
      message: `The packet ends in ${forward.deliveredAt.namespace}, not at ${to.address}'s ${target.kind}: ${forward.deliveredAt.kind === "router" ? "the router answers for the address itself" : "it is delivered elsewhere"}.`,
      fix: "See the hop that delivered it: a missing DNAT rule makes the router answer for a floating IP itself.",
    });
  }
  // The hops into an HA router name the node it is walked on.
  const haNamespaces = new Map(
    [...model.haNodes].flatMap(([id, nodes]) => {
      const place = places.routers.get(id);
      return place === undefined ? [] : [[place.namespace, nodes] as const];
    }),
  );
  const result: TraceResult = {
    // A request that reaches the metadata server's namespace with nothing there to answer it is lost too.
    verdict:
      arrived && replyOk && !diagnoses.some((d) => d.code === "metadata-unreachable")
        ? "delivered"
        : "dropped",
    from: endpointView(from),
    to: endpointView(to),
    protocol: input.protocol,
    port: input.port ?? null,
    mode: input.probe ? "probe" : "explain",
    forward: withHaNodes(forward.hops, haNamespaces),
    reply: withHaNodes(reply?.hops ?? [], haNamespaces),
    diagnoses: dedupe(diagnoses),
    duration_ms: 0,
  };

  if (input.probe) {
    const points = [forward.points, reply?.points ?? []];
    // A path that turned out to cross hosts after all: its other hosts would see the packet unwatched.
    if (new Set([...result.forward, ...result.reply].map((h) => h.where.host)).size > 1)
      throw badRequest(PROBE_ONE_HOST);
    const probed = await traceHosts.agent(sourceHost).probe({
      namespace: source.namespace,
      protocol: input.protocol,
      dst: original.dst,
      ...(input.port === undefined ? {} : { port: input.port }),
      ...(input.protocol === "icmp" ? { mtu: pathMtu(model, crossed) } : {}),
      captures: capturePoints(points),
      nat_namespaces: [
        ...new Set(
          [...forward.hops, ...(reply?.hops ?? [])].flatMap((h) =>
            h.where.namespace?.includes("qrouter-") ? [h.where.namespace] : [],
          ),
        ),
      ],
    });
    markHops(result.forward, forward.points, probed);
    markHops(result.reply, reply?.points ?? [], probed);
    result.probe = { ...probed.outcome, detail: `${probed.outcome.detail}${probeNote}` };
    result.verdict = probeVerdict(probed.outcome, result.forward);
    result.diagnoses = dedupe([
      ...result.diagnoses,
      ...probeDiagnoses(probed.outcome, result.forward, result.reply, input.port ?? null, to.address ?? ""),
    ]);
  }
  const answers = await (entries ?? readEntries());
  tracked.forEach((connection, index) => {
    const answer = answers[index];
    // A host that cannot list its connections (no conntrack tool) still traces: the hops go without an entry.
    if (answer?.kind !== "conntrack" || !answer.ok) return;
    const found = matchConntrack(answer.entries, connection);
    result.forward = withConntrack(result.forward, connection.namespace, found, "forward");
    result.reply = withConntrack(result.reply, connection.namespace, found, "reply");
  });
  result.duration_ms = Math.round((performance.now() - started) * 10) / 10;
  return result;
}

/** The provider (flat, vlan) networks, by id: their physical network, and a vlan network's segment. */
function wiresOf(model: TraceModel): Map<string, Wire> {
  return new Map(
    [...model.networks.values()].flatMap((n) =>
      (n.networkType === "flat" || n.networkType === "vlan") && n.physicalNetwork !== null
        ? [
            [
              n.id,
              {
                physical_network: n.physicalNetwork,
                segment: n.networkType === "vlan" ? n.segmentationId : null,
              },
            ],
          ]
        : [],
    ),
  );
}

/** The reply's walk starts on the destination's host: its answers, what it says of itself, its OVS ports. */
async function replyContext(ctx: WalkContext, answers: HostAnswers): Promise<WalkContext> {
  if (answers === ctx.host) return ctx;
  const [ports] = await answers.ask([{ kind: "ports" }]);
  return {
    ...ctx,
    host: answers,
    info: answers.info,
    ports: ports?.kind === "ports" && ports.ok ? ports.ports : [],
  };
}

function dedupe<T extends { code: string; message: string }>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.code}\n${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
