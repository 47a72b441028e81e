import type { Command } from "commander";
import { formatOption, run } from "../command";
import { type Format, field, printList } from "../output";

export function hostCommands(program: Command): void {
  program
    .command("host")
    .description("Host agents")
    .command("list")
    .addOption(formatOption())
    .action(
      run(async (client, o: { format: Format }) => {
        printList(
          await client.host.list.query(),
          [
            field("Host", "host"),
            field("Roles", "roles"),
            field("Tunnel Address", "local_ip"),
            field("Bridge Mappings", "bridge_mappings"),
            field("Online", "online"),
            field("Routers", "routers"),
            field("Instances", "instances"),
            field("Last Seen", "last_seen"),
            field("Wanted Revision", "wanted_revision"),
            field("Applied Revision", "applied_revision"),
            field("Drifted", "drifted"),
            { header: "Last Error", value: (row) => row.stream_error ?? row.last_error },
          ],
          o.format,
        );
      }),
    );
}
