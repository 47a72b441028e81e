import type { Command } from "commander";
import { addCrud, formatOption, run } from "../command";
import { fixedIp, repeat, toFixedIp } from "../options";
import { type Format, field, printOne } from "../output";

/** openstack's `--device-owner`, `--device`, `--host` as the API's fields (undefined: left as it is). */
const bindingFields = (o: { deviceOwner?: string; device?: string; host?: string }) => ({
  device_owner: o.deviceOwner,
  device_id: o.device,
  "binding:host_id": o.host,
});

export function portCommands(program: Command): void {
  const port = addCrud(program.command("port").description("Ports"), "port", {
    list: (c, o) =>
      c.port.list.query({
        project_id: o.project as string | undefined,
        network_id: o.network as string | undefined,
        device_owner: o.deviceOwner as string | undefined,
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
    long: [field("Device Owner", "device_owner")],
  });
  port.commands
    .find((c) => c.name() === "list")
    ?.option("--network <network>", "only this network's ports")
    .option("--device-owner <owner>", "only ports with this device owner");

  port
    .command("create <name>")
    .description("Create a port")
    .addOption(formatOption())
    .requiredOption("--network <network>", "network (name or ID)")
    .option("--project <project>", "owning project")
    .option("--fixed-ip <subnet=S,ip-address=IP>", "fixed IP (repeat)", repeat(fixedIp))
    .option("--mac-address <mac>", "MAC address")
    .option("--device-owner <owner>", "device owner (e.g. compute:nova)")
    .option("--device <device-id>", "ID of the device using this port")
    .option("--host <host>", "bind the port to this host only (binding:host_id)")
    .action(
      run(async (client, name: string, o) => {
        const created = await client.port.create.mutate({
          name,
          network_id: o.network,
          project_id: o.project,
          fixed_ips: o.fixedIp?.map(toFixedIp),
          mac_address: o.macAddress,
          ...bindingFields(o),
        });
        printOne(created, o.format as Format);
      }),
    );

  port
    .command("set <port>")
    .description("Change a port")
    .option("--name <name>", "new name")
    .option("--fixed-ip <subnet=S,ip-address=IP>", "replace the fixed IPs (repeat)", repeat(fixedIp))
    .option("--device-owner <owner>", "device owner (e.g. compute:nova)")
    .option("--device <device-id>", "ID of the device using this port")
    .option("--host <host>", "bind the port to this host only (binding:host_id)")
    .action(
      run(async (client, id: string, o) => {
        await client.port.update.mutate({
          id,
          name: o.name,
          fixed_ips: o.fixedIp?.map(toFixedIp),
          ...bindingFields(o),
        });
      }),
    );

  port
    .command("unset <port>")
    .description("Clear a port's device or host")
    .option("--device-owner", "clear the device owner")
    .option("--device", "clear the device ID")
    .option("--host", "clear binding:host_id (any host's agent may bind the port again)")
    .action(
      run(async (client, id: string, o: { deviceOwner?: true; device?: true; host?: true }) => {
        const cleared = (flag: true | undefined) => (flag ? "" : undefined);
        await client.port.update.mutate({
          id,
          ...bindingFields({
            deviceOwner: cleared(o.deviceOwner),
            device: cleared(o.device),
            host: cleared(o.host),
          }),
        });
      }),
    );
}
