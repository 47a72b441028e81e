import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { addCrud, formatOption, run } from "../command";
import { keyValues } from "../options";
import { type Format, field, printOne } from "../output";
import { serverSecurityGroupCommands } from "./securityGroup";

/** Nova's `--nic net-id=NET,v4-fixed-ip=IP`, accepted beside netlens's shorter `--network` / `--fixed-ip`. */
const nic = keyValues(["net-id", "v4-fixed-ip"] as const);

export function serverCommands(program: Command): void {
  const server = addCrud(
    program.command("server").description("Lab instances (a namespace with one port)"),
    "server",
    {
      list: (c, o) => c.server.list.query({ project_id: o.project as string | undefined }),
      show: (c, id) => c.server.show.query({ id }),
      remove: (c, id) => c.server.delete.mutate({ id }),
      columns: [
        field("ID", "id"),
        field("Name", "name"),
        field("Status", "status"),
        field("Networks", "addresses"),
      ],
    },
  );

  server
    .command("create <name>")
    .description("Launch an instance on a network")
    .addOption(formatOption())
    .option("--network <network>", "network (name or ID)")
    .option("--fixed-ip <ip>", "address on that network")
    .option("--nic <net-id=NET,v4-fixed-ip=IP>", "openstack-style NIC", nic)
    .option("--project <project>", "owning project")
    .option("--user-data <file>", "user data file for the metadata service (cloud-init)")
    .option("--key-name <keypair>", "one of your key pairs, for the metadata service's public-keys")
    .option("--host <host>", "the compute host to start it on (default: the live one with the fewest)")
    .action(
      run(async (client, name: string, o) => {
        const network = o.network ?? o.nic?.["net-id"];
        if (!network) throw new Error("Give --network NET (or --nic net-id=NET)");
        const userData =
          o.userData === undefined ? undefined : (await readFile(o.userData)).toString("base64");
        const created = await client.server.create.mutate({
          name,
          network_id: network,
          project_id: o.project,
          fixed_ip_address: o.fixedIp ?? o.nic?.["v4-fixed-ip"],
          user_data: userData,
          key_name: o.keyName,
          host: o.host,
        });
        printOne(created, o.format as Format);
      }),
    );

  for (const verb of ["add", "remove"] as const) {
    const verbed = server.command(verb);
    verbed
      .command("floating")
      .command("ip <server> <ip-address>")
      .description(`${verb === "add" ? "Associate" : "Disassociate"} a floating IP and the server's port`)
      .action(
        run(async (client, id: string, address: string) => {
          const input = { id, floating_ip_address: address };
          await (verb === "add" ? client.server.addFloatingIp : client.server.removeFloatingIp).mutate(input);
        }),
      );
    serverSecurityGroupCommands(verbed, verb);
  }
}
