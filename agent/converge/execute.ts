// Executes a plan: groups its actions into as few commands as possible (one OVS transaction for deletions and
// one for additions, one `ip -batch` in the root namespace, one per namespace, one iptables-restore of all its
// tables per router, one replace-flows per bridge), runs the independent ones at once, and reports failures
// against the resource that owns the action.
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type { ArpAnnouncer } from "../host/arping";
import { mapLimit } from "../host/exec";
import { type BatchLine, batch, type NamespaceLinks } from "../host/ip";
import { disableIpv6, enableForwarding, restoreTables } from "../host/iptables";
import { externalIdsArg, mapColumnArg, type Ovs, type OvsCommand } from "../host/ovs";
import { type Action, describeAction } from "../plan/actions";
import { renderRestore } from "../plan/iptables";
import { runDaemons } from "./daemon-steps";
import { takeLeases } from "./dhcp-steps";
import type { KeyedLock } from "./lock";

export type ExecuteDeps = {
  ovs: Ovs;
  locks: KeyedLock;
  logger: Logger;
  /** Gratuitous ARPs go out after the apply, in the background. */
  announcer: Pick<ArpAnnouncer, "announce">;
  /** Where the host's own devices (our veths' host ends) are: a lab host's namespace; null: the root one. */
  hostNamespace: string | null;
};
export type ExecuteOptions = {
  /** Each namespace's `ip -batch` reads its devices, addresses and routes back after its writes. */
  readBack?: boolean;
};
export type ExecuteResult = {
  changes: number;
  errors: Map<string, string[]>;
  /** Namespace -> its devices, addresses and routes as read back after the writes (with `readBack`). */
  readBack: Map<string, NamespaceLinks>;
  /** Milliseconds per step, for the log: where an apply's execute time went. */
  steps: Record<string, number>;
};

type Of<K extends Action["kind"]> = Extract<Action, { kind: K }>;

/** Namespaces configured at once (each runs up to three processes: ip, sysctl, iptables-restore). */
const PARALLEL = 4;

export async function executeActions(
  actions: Action[],
  deps: ExecuteDeps,
  options: ExecuteOptions = {},
): Promise<ExecuteResult> {
  const errors = new Map<string, string[]>();
  const readBack = new Map<string, NamespaceLinks>();
  const steps: Record<string, number> = {};
  let failed = 0;
  const fail = (resource: string, message: string) => {
    failed++;
    const list = errors.get(resource) ?? [];
    if (!list.includes(message)) list.push(message);
    errors.set(resource, list);
  };
  const step = async (name: string, work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    steps[name] = Math.round((performance.now() - started) * 10) / 10;
  };
  const of = <K extends Action["kind"]>(...kinds: K[]) =>
    actions.filter((a): a is Of<K> => (kinds as string[]).includes(a.kind));
  for (const action of actions) deps.logger.debug({ resource: action.resource }, describeAction(action));

  // 0. Daemons that stop (their namespace goes, they are no longer wanted, or their command line changed).
  await step("daemons-stop", () => runDaemons(of("daemon-stop"), deps.locks, fail));

  // 1. OVS ports that go away, before their devices do. Our flows that match on one of them go just before: once
  //    the port is gone its name no longer parses, and the bundle removing them would fail whole.
  const going = new Set(of("ovs-port-del").map((a) => a.port));
  const flowSets = of("flows-set").map((a) => ({
    action: a,
    early: a.remove.filter((f) => going.has(inPortOf(f) ?? "")),
    later: a.remove.filter((f) => !going.has(inPortOf(f) ?? "")),
  }));
  await step("ovs-del", async () => {
    await Promise.all(
      flowSets
        .filter((f) => f.early.length > 0)
        .map((f) =>
          deps.ovs
            .modifyFlows(f.action.bridge, [], f.early)
            .catch((e: unknown) => fail(f.action.resource, message(e))),
        ),
    );
    await ovsTransaction(deps.ovs, of("ovs-port-del"), (a) => [["--if-exists", "del-port", a.port]], fail);
  });

  // 2. Namespaces that go away (their veths go with them), devices that go away.
  await step("remove", () =>
    Promise.all([
      hostBatch(
        deps.hostNamespace,
        of("root-link-del").map((a) => ({ line: `link del ${a.dev}`, resource: a.resource })),
        of("netns-del").map((a) => ({ line: `netns del ${a.ns}`, resource: a.resource })),
        true,
        fail,
      ),
      perNamespace(of("link-del"), (a) => [`link del ${a.dev}`], deps, fail),
    ]),
  );

  // 3. New namespaces and veth pairs, created from the host's namespace in one batch.
  const rootLines: BatchLine[] = [];
  for (const a of of("veth-add")) {
    const mac = a.mac === null ? "" : ` address ${a.mac}`;
    rootLines.push({
      // The peer is born inside the namespace under its final name, so two instances' eth0 never meet.
      line: `link add ${a.peer} mtu ${a.mtu} type veth peer name ${a.dev} netns ${a.ns}${mac} mtu ${a.mtu}`,
      resource: a.resource,
    });
    rootLines.push({ line: `link set ${a.peer} up`, resource: a.resource });
  }
  for (const a of of("root-link-set")) {
    rootLines.push({ line: `link set ${a.dev} mtu ${a.mtu} up`, resource: a.resource });
  }
  await step("root", () =>
    hostBatch(
      deps.hostNamespace,
      rootLines,
      of("netns-add").map((a) => ({ line: `netns add ${a.ns}`, resource: a.resource })),
      false,
      fail,
    ),
  );
  // IPv6 off where asked, while the namespace's new devices are still down.
  await step("ipv6-off", () =>
    mapLimit(of("ipv6-off"), PARALLEL, (a) =>
      deps.locks
        .with(`sysctl:${a.ns}`, () => disableIpv6(a.ns))
        .catch((e: unknown) => fail(a.resource, message(e))),
    ),
  );

  // 4. What only needs the devices to exist, at once: the OVS ports (one transaction that waits for vswitchd,
  //    then the check that it could open them), each namespace's links, addresses and routes (one batch),
  //    forwarding and nat table (one atomic restore), and each bridge's flows.
  const ovs = async () => {
    const portSets = of("ovs-port-set");
    const setOk = await ovsTransaction(
      deps.ovs,
      portSets,
      (a) => {
        const tag = a.tag === null ? "tag=[]" : `tag=${a.tag}`;
        const create: OvsCommand[] = a.create ? [["--may-exist", "add-port", a.bridge, a.port]] : [];
        return [
          ...create,
          ["set", "Port", a.port, tag],
          ["set", "Interface", a.port, externalIdsArg(a.externalIds)],
        ];
      },
      fail,
    );
    const tunnelOk = await ovsTransaction(
      deps.ovs,
      of("tunnel-port-set"),
      (a) => [
        ...(a.create ? [["--may-exist", "add-port", a.bridge, a.port]] : []),
        [
          "set",
          "Interface",
          a.port,
          "type=vxlan",
          mapColumnArg("options", a.options),
          externalIdsArg(a.externalIds),
        ],
      ],
      fail,
    );
    const created = [...setOk, ...tunnelOk].filter((a) => a.create);
    if (created.length > 0) {
      const broken = new Set(await deps.ovs.brokenInterfaces(created.map((a) => a.port)));
      for (const a of created) {
        if (broken.has(a.port)) fail(a.resource, `OVS could not open port ${a.port} (ofport -1)`);
      }
    }
  };

  const links = of("lo-up", "link-set", "addr-del", "addr-add", "route-del", "route-set");
  const forwarding = of("forwarding");
  const nat = of("nat-chains");
  const namespaces = [...new Set([...links, ...forwarding, ...nat].map((a) => a.ns))];
  const configure = (ns: string) =>
    Promise.all([
      linkBatch(
        ns,
        links.filter((a) => a.ns === ns),
        deps,
        fail,
        options.readBack === true,
      ).then((state) => {
        if (state !== null) readBack.set(ns, state);
      }),
      ...forwarding
        .filter((a) => a.ns === ns)
        .map((a) =>
          deps.locks
            .with(`sysctl:${a.ns}`, () => enableForwarding(a.ns))
            .catch((e: unknown) => fail(a.resource, message(e))),
        ),
      restoreNamespace(
        ns,
        nat.filter((a) => a.ns === ns),
        deps,
        fail,
      ),
    ]);
  // Each bridge's flow changes in one bundle: removals and additions of our flows, nobody else's. After the OVS
  // ports: a flow naming a port made in this apply would not parse before it.
  const flows = () =>
    Promise.all(
      flowSets.map(({ action: a, later }) =>
        deps.ovs
          .modifyFlows(a.bridge, a.add, later, a.atomic)
          .catch((e: unknown) => fail(a.resource, message(e))),
      ),
    );
  // 5. Daemons, once their devices have their addresses (and NAT its redirect): files, then a start or a
  // reload, per namespace. They need no OVS port nor flow, so they start while OVS is still at work (at 500
  // routers the flows step waits seconds on vswitchd, and 500 haproxy starts take as long).
  const daemons = () => runDaemons(of("daemon-files", "daemon-start", "daemon-reload"), deps.locks, fail);
  await step("configure", () =>
    Promise.all([
      step("ovs", ovs).then(() => step("flows", flows)),
      step("namespaces", () => mapLimit(namespaces, PARALLEL, configure)).then(() =>
        step("daemons", daemons),
      ),
    ]),
  );

  // 6. Probes on DHCP subnets take their lease, once the servers answer.
  await step("dhcp-lease", () => takeLeases(of("dhcp-lease"), deps.locks, readBack, fail));

  // 7. Announce the gateway addresses just added; a lost announcement is no failure of the apply.
  for (const a of of("arp-announce"))
    if (!errors.has(a.resource)) deps.announcer.announce(a.ns, a.dev, a.address);

  return { changes: Math.max(0, actions.length - failed), errors, readBack, steps };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Lines of the host's namespace (its links) and namespace lines (`netns add|del`), in that order for removals
 * (`removing`), the other way for additions: one batch in the root namespace; two on a lab host, whose links
 * are in its namespace while namespace names are mounts made from the root one (`ip -n` would make them in a
 * mount namespace of its own, gone when it exits).
 */
async function hostBatch(
  hostNamespace: string | null,
  hostLines: BatchLine[],
  namespaceLines: BatchLine[],
  removing: boolean,
  fail: (resource: string, message: string) => void,
): Promise<void> {
  const run = async (ns: string | null, lines: BatchLine[]) => {
    for (const failure of (await batch(ns, lines)).failures)
      fail(failure.resource, `${failure.line}: ${failure.message}`);
  };
  const steps: [string | null, BatchLine[]][] = [
    [hostNamespace, hostLines],
    [null, namespaceLines],
  ];
  if (!removing) steps.reverse();
  if (hostNamespace === null)
    return run(
      null,
      steps.flatMap(([, lines]) => lines),
    );
  for (const [ns, lines] of steps) await run(ns, lines);
}

async function perNamespace<A extends Action & { ns: string }>(
  actions: A[],
  render: (action: A) => string[],
  deps: ExecuteDeps,
  fail: (resource: string, message: string) => void,
): Promise<void> {
  const byNs = new Map<string, BatchLine[]>();
  for (const action of actions) {
    const lines = byNs.get(action.ns) ?? [];
    for (const line of render(action)) lines.push({ line, resource: action.resource });
    byNs.set(action.ns, lines);
  }
  await mapLimit([...byNs], PARALLEL, async ([ns, lines]) => {
    const { failures } = await deps.locks.with(`ip:${ns}`, () => batch(ns, lines));
    for (const failure of failures) fail(failure.resource, `${ns}: ${failure.line}: ${failure.message}`);
  });
}

/**
 * One namespace's tables (nat, and a router's mangle) in one `iptables-restore`: a process per namespace rather
 * than per table (each table is still its own commit). Should it fail, every table's resource is told.
 */
async function restoreNamespace(
  ns: string,
  actions: Of<"nat-chains">[],
  deps: ExecuteDeps,
  fail: (resource: string, message: string) => void,
): Promise<void> {
  if (actions.length === 0) return;
  const text = actions
    .map((a) => renderRestore(a.chains, a.deleteJumps, a.addJumps, a.edits, a.table))
    .join("");
  await deps.locks
    .with(`iptables:${ns}`, () => restoreTables(ns, text))
    .catch((e: unknown) => {
      for (const a of actions) fail(a.resource, message(e));
    });
}

/** One namespace's links, addresses and routes in one `ip -batch`; with `readBack`, what it holds after. */
async function linkBatch(
  ns: string,
  actions: Of<"lo-up" | "link-set" | "addr-del" | "addr-add" | "route-del" | "route-set">[],
  deps: ExecuteDeps,
  fail: (resource: string, message: string) => void,
  readBack: boolean,
): Promise<NamespaceLinks | null> {
  const lines = actions.map((a) => ({ line: linkLine(a), resource: a.resource }));
  const { failures, state } = await deps.locks.with(`ip:${ns}`, () => batch(ns, lines, readBack));
  for (const failure of failures) fail(failure.resource, `${ns}: ${failure.line}: ${failure.message}`);
  return state;
}

function linkLine(a: Of<"lo-up" | "link-set" | "addr-del" | "addr-add" | "route-del" | "route-set">): string {
  switch (a.kind) {
    case "lo-up":
      return "link set lo up";
    case "link-set":
      return `link set ${a.dev}${a.mac === null ? "" : ` address ${a.mac}`} mtu ${a.mtu} up`;
    case "addr-del":
      return `addr del ${a.address} dev ${a.dev}`;
    case "addr-add":
      return `addr add ${a.address} dev ${a.dev}`;
    case "route-del":
      return `route del ${a.destination}`;
    case "route-set":
      return `route replace ${a.destination} via ${a.via} proto static`;
    default: {
      const unreachable: never = a;
      return unreachable;
    }
  }
}

/**
 * All actions in one transaction; if it fails, each resource's actions are retried in a transaction of their
 * own, so one bad resource does not hold back the others and the error names it. Returns the actions applied.
 */
async function ovsTransaction<A extends Action>(
  ovs: Ovs,
  actions: A[],
  render: (action: A) => OvsCommand[],
  fail: (resource: string, message: string) => void,
): Promise<A[]> {
  if (actions.length === 0) return [];
  try {
    await ovs.transact(actions.flatMap(render));
    return actions;
  } catch {
    const byResource = new Map<string, A[]>();
    for (const action of actions)
      byResource.set(action.resource, [...(byResource.get(action.resource) ?? []), action]);
    const applied: A[] = [];
    for (const [resource, group] of byResource) {
      try {
        await ovs.transact(group.flatMap(render));
        applied.push(...group);
      } catch (error) {
        fail(resource, message(error));
      }
    }
    return applied;
  }
}

/** The port a flow matches on (`in_port=`), if any: only its match, not its actions. */
function inPortOf(flow: string): string | null {
  const match = flow.split(" actions=")[0] ?? "";
  return /,in_port=([^,\s]+)/.exec(match)?.[1] ?? null;
}
