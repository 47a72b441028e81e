// netlens trace --from X --to Y [--protocol icmp|tcp|udp] [--port N] [--probe] [--source-address A] [-f table|json]
// Prints the forward and reply paths hop by hop with what decided each hop, the diagnoses, and the verdict.
// `--to metadata` (or 169.254.169.254) traces an instance's request to the metadata service, over tcp/80. With a
// member's token, the server answers with the host's internals masked; the same command prints that view.
import { type Command, InvalidArgumentError, Option } from "commander";
import { conntrackText } from "../../lib/conntrack";
import type { Hop, TraceResult } from "../../lib/schemas/trace";
import { ownRuleText } from "../../lib/trace-rule-text";
import { formatOption, run } from "../command";
import { type Format, printJson, terminalText } from "../output";

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError("a port is 1-65535");
  return n;
}

/** Where a hop is; `onHost`: named with its host (a path across hosts, each with its own br-int and br-tun). */
function where(hop: Hop, onHost: boolean): string {
  const w = hop.where;
  const host = onHost && w.host !== undefined ? `${w.host}: ` : "";
  if (w.bridge !== undefined)
    return `${host}${w.bridge} (in ${w.interface ?? "?"}${hop.vlan === undefined ? "" : `, vlan ${hop.vlan}`})`;
  const place = w.namespace ?? w.host;
  if (place !== undefined)
    return `${w.namespace === undefined ? "" : host}${place}${w.interface === undefined ? "" : ` ${w.interface}`}`;
  // A member's view names no place on the host: the resource, and the port when the hop is at one.
  const resource = w.node_id === "" ? "(outside your project)" : w.node_id;
  return `${resource}${w.port_id === undefined ? "" : ` port ${w.port_id}`}`;
}

function hopLines(name: string, hops: Hop[], onHost: boolean): string[] {
  const lines = [`${name}:`];
  hops.forEach((hop, index) => {
    const seen = hop.probe === undefined ? "" : hop.probe.seen ? " [seen]" : " [NOT seen]";
    lines.push(
      `  ${String(index).padStart(2)}. ${hop.action.toUpperCase().padEnd(9)} ${hop.packet.src} > ${hop.packet.dst}  at ${where(hop, onHost)}${seen}`,
    );
    for (const text of hop.decided_by.text.split("\n")) lines.push(`        ${hop.decided_by.kind}: ${text}`);
    const rule = ownRuleText(hop.rule);
    if (rule !== null) lines.push(`        rule: ${rule}`);
    if (hop.conntrack !== undefined) lines.push(`        conntrack: ${conntrackText(hop.conntrack)}`);
    for (const evidence of hop.probe?.evidence ?? []) lines.push(`        probe: ${evidence}`);
  });
  if (hops.length === 0) lines.push("  (none)");
  return lines;
}

function formatTrace(result: TraceResult): string {
  const hosts = new Set([...result.forward, ...result.reply].flatMap((h) => h.where.host ?? []));
  const onHost = hosts.size > 1;
  const lines = [
    `trace ${result.from.name || result.from.address} (${result.from.address}) -> ${result.to.name || result.to.address} (${result.to.address}), ${result.protocol}${result.port === null ? "" : `/${result.port}`}, ${result.mode}`,
    ...hopLines("forward", result.forward, onHost),
    ...hopLines("reply", result.reply, onHost),
  ];
  if (result.probe)
    lines.push(
      `probe: ${result.probe.result}${result.probe.rtt_ms === null ? "" : ` in ${result.probe.rtt_ms} ms`} (${result.probe.detail})`,
    );
  for (const d of result.diagnoses) {
    lines.push(`diagnosis ${d.code}${d.hop === null ? "" : ` at ${d.hop}`}: ${d.message}`, `  fix: ${d.fix}`);
  }
  lines.push(`verdict: ${result.verdict.toUpperCase()} (${result.duration_ms} ms)`);
  return lines.join("\n");
}

export function traceCommands(program: Command): void {
  program
    .command("trace")
    .description("Trace a packet's path (forward and reply) with what decides each hop, and where it dies")
    .requiredOption("--from <endpoint>", "instance, router, floating or fixed IP, or an outside address")
    .requiredOption(
      "--to <endpoint>",
      "instance, router, floating or fixed IP, an outside address, or metadata (169.254.169.254, tcp/80)",
    )
    .addOption(
      new Option("--protocol <protocol>", "protocol").choices(["icmp", "tcp", "udp"]).default("icmp"),
    )
    .option("--port <port>", "destination port (tcp, udp)", portNumber)
    .option("--probe", "send a real packet and report where it was seen")
    .option(
      "--source-address <address>",
      "the source address an instance's packet carries, when not its own (a spoofed source; explain only)",
    )
    .addOption(formatOption())
    .action(
      run(
        async (
          client,
          o: {
            from: string;
            to: string;
            protocol: "icmp" | "tcp" | "udp";
            port?: number;
            probe?: boolean;
            sourceAddress?: string;
            format: Format;
          },
        ) => {
          const result = await client.trace.run.mutate({
            from: o.from,
            to: o.to,
            protocol: o.protocol,
            ...(o.port === undefined ? {} : { port: o.port }),
            probe: o.probe === true,
            ...(o.sourceAddress === undefined ? {} : { source_address: o.sourceAddress }),
          });
          if (o.format === "json") printJson(result);
          else console.log(terminalText(formatTrace(result)));
          // Scripts can test the verdict by exit status, as with ping.
          if (result.verdict !== "delivered") process.exitCode = 3;
        },
      ),
    );
}
