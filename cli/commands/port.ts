import type { Command } from "commander";
import { addCrud, formatOption, run } from "../command";
import { fixedIp, repeat, toFixedIp } from "../options";
import { type Format, field, printOne } from "../output";
import { portSecurityInput, portUnsetCommand, withPortSecurityOptions } from "./securityGroup";

export function portCommands(program: Command): void {
  const port = addCrud(program.command("port").description("Ports"), "port", {
    list: (c, o) =>
      c.port.list.query({
        project_id: o.project as string | undefined,
        network_id: o.network as string | undefined,
      }),
    show: (c, id) => c.port.show.query({ id }),
    remove: (c, id) => c.port.delete.mutate({ id }),
    columns: [
      field("ID", "id"),
      field("Name", "name"),
      field("MAC Address", "mac_address"),
      field("Fixed IP Addresses", "fixed_ips"),
      field("Status", "status"),
    ],
  });
  port.commands.find((c) => c.name() === "list")?.option("--network <network>", "only this network's ports");

  const create = port
    .command("create <name>")
    .description("Create a port")
    .addOption(formatOption())
    .requiredOption("--network <network>", "network (name or ID)")
    .option("--project <project>", "owning project")
    .option("--fixed-ip <subnet=S,ip-address=IP>", "fixed IP (repeat)", repeat(fixedIp))
    .option("--mac-address <mac>", "MAC address");
  withPortSecurityOptions(create, "create").action(
    run(async (client, name: string, o) => {
      const created = await client.port.create.mutate({
        name,
        network_id: o.network,
        project_id: o.project,
        fixed_ips: o.fixedIp?.map(toFixedIp),
        mac_address: o.macAddress,
        ...portSecurityInput(o),
      });
      printOne(created, o.format as Format);
    }),
  );

  const set = port
    .command("set <port>")
    .description("Change a port")
    .option("--name <name>", "new name")
    .option("--fixed-ip <subnet=S,ip-address=IP>", "replace the fixed IPs (repeat)", repeat(fixedIp));
  withPortSecurityOptions(set, "set").action(
    run(async (client, id: string, o) => {
      const current = await client.port.show.query({ id });
      await client.port.update.mutate({
        id,
        name: o.name,
        fixed_ips: o.fixedIp?.map(toFixedIp),
        ...portSecurityInput(o, current),
      });
    }),
  );
  portUnsetCommand(port);
}
