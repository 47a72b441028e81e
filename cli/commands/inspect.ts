// `netlens host inspect` (a host's latest snapshot: `ovs-vsctl show` and `iptables-save -t nat` verbatim, as
// operators read them on the node) and `netlens drift list|repair`.
import { Command, Option } from "commander";
import type {
  ConntrackSection,
  DhcpSection,
  HostSections,
  IpJsonLink,
  IpJsonRoute,
} from "../../lib/host-snapshot";
import { inspectSectionKinds } from "../../lib/schemas/inspect";
import { formatOption, run } from "../command";
import { type Format, field, printJson, printList, type Row, terminalText } from "../output";

/** `ip -brief addr` style: name, state, addresses. */
function addrLines(links: IpJsonLink[]): string[] {
  return links.map((l) => {
    const addresses = (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).join(" ");
    return `${(l.ifname ?? "?").padEnd(16)} ${(l.operstate ?? "").padEnd(8)} ${addresses}`.trimEnd();
  });
}

/** `ip route` style. */
function routeLines(routes: IpJsonRoute[]): string[] {
  return routes.map((r) =>
    [
      r.dst,
      r.gateway ? `via ${r.gateway}` : "",
      r.dev ? `dev ${r.dev}` : "",
      r.protocol ? `proto ${r.protocol}` : "",
      r.scope ? `scope ${r.scope}` : "",
      r.prefsrc ? `src ${r.prefsrc}` : "",
    ]
      .filter(Boolean)
      .join(" "),
  );
}

/** A DHCP namespace's dnsmasq: whether it runs, its hosts and options files, the end of its log. */
function dhcpLines(dhcp: DhcpSection): string[] {
  return [
    `## dnsmasq: ${dhcp.running ? `running, pid ${dhcp.pid}` : "NOT RUNNING"}`,
    "## hosts",
    ...(dhcp.hosts ?? "(missing)\n").trimEnd().split("\n"),
    "## opts",
    ...(dhcp.opts ?? "(missing)\n").trimEnd().split("\n"),
    "## log",
    ...dhcp.log,
  ];
}

/** `conntrack -L` as the agent read it (only the connections asked for, with `--address`). */
function conntrackLines(conntrack: ConntrackSection): string[] {
  return [`## conntrack -L (${conntrack.entries.length})`, ...conntrack.entries.map((e) => e.text)];
}

/** The plain output: the host-wide ovs text first, then each namespace's addresses, routes and nat table. */
function renderSnapshot(sections: HostSections): string {
  const out: string[] = [];
  const ovs = sections.ovs;
  if (ovs?.kind === "ovs") out.push("# ovs-vsctl show", ovs.text.trimEnd(), "");
  const bindings = sections.bindings;
  if (bindings?.kind === "bindings" && bindings.interfaces.length > 0) {
    out.push("# interfaces plugged with an iface-id");
    for (const i of bindings.interfaces) {
      const tag = i.tag === null ? "" : ` tag ${i.tag}`;
      out.push(`${i.name} iface-id=${i.iface_id} ${i.state}${tag}${i.message ? `: ${i.message}` : ""}`);
    }
    out.push("");
  }
  const byNamespace = new Map<string, string[]>();
  for (const section of Object.values(sections)) {
    if (section === undefined || !("namespace" in section)) continue;
    const lines = byNamespace.get(section.namespace) ?? [];
    byNamespace.set(section.namespace, lines);
  }
  for (const ns of [...byNamespace.keys()].sort()) {
    const addr = sections[`netns/${ns}/addr`];
    const routes = sections[`netns/${ns}/routes`];
    const nat = sections[`netns/${ns}/nat`];
    const dhcp = sections[`netns/${ns}/dhcp`];
    const conntrack = sections[`netns/${ns}/conntrack`];
    out.push(`# ip netns exec ${ns} ...`);
    if (addr?.kind === "addr") out.push("## ip -brief addr", ...addrLines(addr.links));
    if (routes?.kind === "routes") out.push("## ip route", ...routeLines(routes.routes));
    if (nat?.kind === "nat") out.push("## iptables-save -t nat -c", nat.text.trimEnd());
    if (dhcp?.kind === "dhcp") out.push(...dhcpLines(dhcp));
    if (conntrack?.kind === "conntrack") out.push(...conntrackLines(conntrack));
    out.push("");
  }
  return out.join("\n");
}

export function inspectCommands(program: Command): void {
  const host = program.commands.find((c) => c.name() === "host") ?? program.command("host");
  host
    .command("inspect <host>")
    .description(
      "Show what the host really has: ovs-vsctl show, addresses, routes, NAT rules, tracked connections (latest snapshot)",
    )
    .addOption(formatOption())
    .option("--namespace <ns>", "only this namespace (e.g. qrouter-<router id>)")
    .addOption(new Option("--section <section>", "only this kind of section").choices(inspectSectionKinds))
    .option("--address <ip>", "only the tracked connections (conntrack) with this address")
    .action(
      run(
        async (
          client,
          name: string,
          o: {
            format: Format;
            namespace?: string;
            section?: (typeof inspectSectionKinds)[number];
            address?: string;
          },
        ) => {
          const snapshot = await client.inspect.snapshot.query({
            host: name,
            namespace: o.namespace,
            section: o.section,
            address: o.address,
          });
          if (o.format === "json") return printJson(snapshot);
          const state = snapshot.online ? "online" : `OFFLINE, last seen ${snapshot.last_seen ?? "never"}`;
          console.log(
            terminalText(
              `# host ${snapshot.host} (${state}); snapshot ${snapshot.seq} taken ${snapshot.taken_at}`,
            ),
          );
          console.log(terminalText(renderSnapshot(snapshot.sections)));
        },
      ),
    );

  const drift = new Command("drift").description("Differences between the model and what hosts really have");
  program.addCommand(drift);
  const entries = (key: "missing" | "extra") => (row: Row) =>
    (row[key] as { what: string; text: string }[]).map((e) => `${e.what}: ${e.text}`);
  drift
    .command("list")
    .description("List drifted resources with what their host lacks (missing) or has besides (extra)")
    .addOption(formatOption())
    .option("--host <host>", "only this host")
    .action(
      run(async (client, o: { format: Format; host?: string }) => {
        printList(
          await client.drift.list.query(o.host ? { host: o.host } : undefined),
          [
            field("Kind", "kind"),
            field("ID", "id"),
            field("Name", "name"),
            field("Host", "host"),
            { header: "Missing", value: entries("missing") },
            { header: "Extra", value: entries("extra") },
          ],
          o.format,
        );
      }),
    );
  drift
    .command("repair [resource]")
    .description("Push the desired state again for a drifted resource (ID, name or floating IP address)")
    .option("--all", "repair every drifted resource")
    .action(
      run(async (client, resource: string | undefined, o: { all?: boolean }) => {
        if (o.all === true && resource !== undefined) throw new Error("Give a resource or --all, not both");
        if (o.all !== true && resource === undefined) throw new Error("Give a resource or --all");
        const result = await client.drift.repair.mutate(
          o.all === true ? { all: true } : { id: resource ?? "" },
        );
        for (const r of result.repaired) console.log(terminalText(`repairing ${r.kind} ${r.name || r.id}`));
      }),
    );
}
