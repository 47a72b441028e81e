import type { Command } from "commander";
import { addCrud, formatOption, run } from "../command";
import { fixedIp, repeat, toFixedIp } from "../options";
import { type Format, field, printOne } from "../output";
import { addressPair, portSecurityInput, withPortSecurityOptions } from "./securityGroup";

/** openstack's `--device-owner`, `--device`, `--host` as the API's fields (undefined: left as it is). */
const bindingFields = (o: { deviceOwner?: string; device?: string; host?: string }) => ({
  device_owner: o.deviceOwner,
  device_id: o.device,
  "binding:host_id": o.host,
});

/** The binding options of `port create` and `port set`. */
const withBindingOptions = (command: Command) =>
  command
    .option("--device-owner <owner>", "device owner (e.g. compute:nova)")
    .option("--device <device-id>", "ID of the device using this port")
    .option("--host <host>", "bind the port to this host only (binding:host_id)");

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

  const create = port
    .command("create <name>")
    .description("Create a port")
    .addOption(formatOption())
    .requiredOption("--network <network>", "network (name or ID)")
    .option("--project <project>", "owning project")
    .option("--fixed-ip <subnet=S,ip-address=IP>", "fixed IP (repeat)", repeat(fixedIp))
    .option("--mac-address <mac>", "MAC address");
  withPortSecurityOptions(withBindingOptions(create), "create").action(
    run(async (client, name: string, o) => {
      const created = await client.port.create.mutate({
        name,
        network_id: o.network,
        project_id: o.project,
        fixed_ips: o.fixedIp?.map(toFixedIp),
        mac_address: o.macAddress,
        ...bindingFields(o),
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
  withPortSecurityOptions(withBindingOptions(set), "set").action(
    run(async (client, id: string, o) => {
      const current = await client.port.show.query({ id });
      await client.port.update.mutate({
        id,
        name: o.name,
        fixed_ips: o.fixedIp?.map(toFixedIp),
        ...bindingFields(o),
        ...portSecurityInput(o, current),
      });
    }),
  );

  port
    .command("unset <port>")
    .description("Clear a port's device or host; take security groups or allowed address pairs off it")
    .option("--device-owner", "clear the device owner")
    .option("--device", "clear the device ID")
    .option("--host", "clear binding:host_id (any host's agent may bind the port again)")
    .option("--security-group <group>", "security group to remove, repeatable", repeat(String))
    .option(
      "--allowed-address <ip-address=IP[,mac-address=MAC]>",
      "allowed address pair to remove, repeatable",
      repeat(addressPair),
    )
    .action(
      run(async (client, id: string, o) => {
        const cleared = (flag: true | undefined) => (flag ? "" : undefined);
        const current = await client.port.show.query({ id });
        const removing = new Set<string>();
        for (const ref of (o.securityGroup as string[] | undefined) ?? []) {
          removing.add((await client.securityGroup.show.query({ id: ref })).id);
        }
        const pairs =
          (o.allowedAddress as Partial<Record<"ip-address" | "mac-address", string>>[] | undefined) ?? [];
        const kept = current.allowed_address_pairs.filter(
          (p) =>
            !pairs.some(
              (r) =>
                r["ip-address"] === p.ip_address && (r["mac-address"] ?? p.mac_address) === p.mac_address,
            ),
        );
        await client.port.update.mutate({
          id,
          ...bindingFields({
            deviceOwner: cleared(o.deviceOwner),
            device: cleared(o.device),
            host: cleared(o.host),
          }),
          security_groups: o.securityGroup
            ? current.security_groups.filter((g) => !removing.has(g))
            : undefined,
          allowed_address_pairs: o.allowedAddress ? kept : undefined,
        });
      }),
    );
}
