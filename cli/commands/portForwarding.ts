// `floating ip port forwarding create|list|show|set|delete`, with the openstack CLI's verbs and flags.
import type { Command } from "commander";
import { formatOption, run } from "../command";
import { type Format, field, printList, printOne } from "../output";

/** `--internal-protocol-port 8080` is one port, `8000:8010` a range (as the openstack CLI takes them). */
function ports(side: "internal" | "external", value: string | undefined) {
  if (value === undefined) return {};
  return value.includes(":") ? { [`${side}_port_range`]: value } : { [`${side}_port`]: value };
}

const columns = [
  field("ID", "id"),
  field("Internal Port ID", "internal_port_id"),
  field("Internal IP Address", "internal_ip_address"),
  field("Internal Port", "internal_port"),
  field("Internal Port Range", "internal_port_range"),
  field("External Port", "external_port"),
  field("External Port Range", "external_port_range"),
  field("Protocol", "protocol"),
  field("Description", "description"),
];

/** What `create` and `set` take beside the floating IP. */
function forwardingOptions(command: Command, required: boolean): Command {
  const option = required ? command.requiredOption.bind(command) : command.option.bind(command);
  option("--internal-ip-address <ip>", "the internal port's fixed IP to forward to");
  option("--port <port>", "the internal port (name or ID)");
  option("--internal-protocol-port <port>", "internal port number, or range N:M");
  option("--external-protocol-port <port>", "external port number, or range N:M");
  option("--protocol <protocol>", "tcp or udp");
  return command.option("--description <text>", "description");
}

export function portForwardingCommands(ip: Command): void {
  const forwarding = ip
    .command("port")
    .description("Port forwardings")
    .command("forwarding")
    .description("Port forwardings of a floating IP");

  forwardingOptions(
    forwarding
      .command("create <floating-ip>")
      .description("Forward a port of a floating IP to an internal port"),
    true,
  )
    .addOption(formatOption())
    .action(
      run(async (client, floatingIp: string, o) => {
        const created = await client.portForwarding.create.mutate({
          floatingip_id: floatingIp,
          internal_port_id: o.port,
          internal_ip_address: o.internalIpAddress,
          protocol: o.protocol,
          description: o.description,
          ...ports("internal", o.internalProtocolPort),
          ...ports("external", o.externalProtocolPort),
        } as Parameters<typeof client.portForwarding.create.mutate>[0]);
        printOne(created, o.format as Format);
      }),
    );

  forwarding
    .command("list <floating-ip>")
    .description("List a floating IP's port forwardings")
    .addOption(formatOption())
    .option("--port <port>", "only those to this internal port (ID)")
    .option("--external-protocol-port <port>", "only those of this external port")
    .option("--protocol <protocol>", "only those of this protocol")
    .action(
      run(async (client, floatingIp: string, o) => {
        const all = await client.portForwarding.list.query({ floatingip_id: floatingIp });
        const rows = all.filter(
          (pf) =>
            (o.port === undefined || pf.internal_port_id === o.port) &&
            (o.protocol === undefined || pf.protocol === o.protocol) &&
            (o.externalProtocolPort === undefined ||
              String(pf.external_port) === o.externalProtocolPort ||
              pf.external_port_range === o.externalProtocolPort),
        );
        printList(rows, columns, o.format as Format);
      }),
    );

  forwarding
    .command("show <floating-ip> <port-forwarding-id>")
    .description("Show a port forwarding")
    .addOption(formatOption())
    .action(
      run(async (client, floatingIp: string, id: string, o) => {
        printOne(
          await client.portForwarding.show.query({ floatingip_id: floatingIp, id }),
          o.format as Format,
        );
      }),
    );

  forwardingOptions(
    forwarding.command("set <floating-ip> <port-forwarding-id>").description("Change a port forwarding"),
    false,
  ).action(
    run(async (client, floatingIp: string, id: string, o) => {
      await client.portForwarding.update.mutate({
        floatingip_id: floatingIp,
        id,
        internal_port_id: o.port,
        internal_ip_address: o.internalIpAddress,
        protocol: o.protocol,
        description: o.description,
        ...ports("internal", o.internalProtocolPort),
        ...ports("external", o.externalProtocolPort),
      } as Parameters<typeof client.portForwarding.update.mutate>[0]);
    }),
  );

  forwarding
    .command("delete <floating-ip> <port-forwarding-id...>")
    .description("Delete port forwardings")
    .action(
      run(async (client, floatingIp: string, ids: string[]) => {
        for (const id of ids) await client.portForwarding.delete.mutate({ floatingip_id: floatingIp, id });
      }),
    );
}
