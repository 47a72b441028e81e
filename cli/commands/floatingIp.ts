import type { Command } from "commander";
import { addCrud, formatOption, run } from "../command";
import { type Format, field, printOne } from "../output";
import { portForwardingCommands } from "./portForwarding";

export function floatingIpCommands(program: Command): void {
  const floating = program.command("floating").description("Floating IPs");
  const ip = addCrud(floating.command("ip").description("Floating IPs"), "floating IP", {
    list: (c, o) => c.floatingIp.list.query({ project_id: o.project as string | undefined }),
    show: (c, id) => c.floatingIp.show.query({ id }),
    remove: (c, id) => c.floatingIp.delete.mutate({ id }),
    columns: [
      field("ID", "id"),
      field("Floating IP Address", "floating_ip_address"),
      field("Fixed IP Address", "fixed_ip_address"),
      field("Port", "port_id"),
      field("Floating Network", "floating_network_id"),
      field("Status", "status"),
    ],
  });

  ip.command("create <network>")
    .description("Allocate a floating IP on an external network")
    .addOption(formatOption())
    .option("--subnet <subnet>", "external subnet to allocate from")
    .option("--floating-ip-address <ip>", "a given address instead of the next free one")
    .option("--port <port>", "associate with this port")
    .option("--fixed-ip-address <ip>", "the port's address to map to")
    .option("--project <project>", "owning project")
    .option("--description <text>", "description")
    .action(
      run(async (client, network: string, o) => {
        const created = await client.floatingIp.create.mutate({
          floating_network_id: network,
          subnet_id: o.subnet,
          floating_ip_address: o.floatingIpAddress,
          port_id: o.port,
          fixed_ip_address: o.fixedIpAddress,
          project_id: o.project,
          description: o.description,
        });
        printOne(created, o.format as Format);
      }),
    );

  ip.command("set <floating-ip>")
    .description("Associate a floating IP with a port")
    .requiredOption("--port <port>", "port (name or ID)")
    .option("--fixed-ip-address <ip>", "the port's address to map to")
    .action(
      run(async (client, id: string, o) => {
        await client.floatingIp.update.mutate({ id, port_id: o.port, fixed_ip_address: o.fixedIpAddress });
      }),
    );

  portForwardingCommands(ip);

  ip.command("unset <floating-ip>")
    .description("Disassociate a floating IP")
    .requiredOption("--port", "disassociate from its port")
    .action(
      run(async (client, id: string) => {
        await client.floatingIp.update.mutate({ id, port_id: null });
      }),
    );
}
