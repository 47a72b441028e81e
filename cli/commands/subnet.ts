import type { Command } from "commander";
import { addCrud, formatOption, run } from "../command";
import { allocationPool, repeat, route, toPool, toRoute } from "../options";
import { type Format, field, printOne } from "../output";

/** `--gateway none` is Neutron's null gateway; `auto` (or no option) lets the server pick the first host. */
function gateway(value: string | undefined): string | null | undefined {
  if (value === undefined || value === "auto") return undefined;
  return value === "none" ? null : value;
}

export function subnetCommands(program: Command): void {
  const subnet = addCrud(program.command("subnet").description("Subnets"), "subnet", {
    list: (c, o) => c.subnet.list.query({ project_id: o.project as string | undefined }),
    show: (c, id) => c.subnet.show.query({ id }),
    remove: (c, id) => c.subnet.delete.mutate({ id }),
    columns: [
      field("ID", "id"),
      field("Name", "name"),
      field("Network", "network_id"),
      field("Subnet", "cidr"),
    ],
  });

  subnet
    .command("create <name>")
    .description("Create a subnet")
    .addOption(formatOption())
    .requiredOption("--network <network>", "network (name or ID)")
    .requiredOption("--subnet-range <cidr>", "e.g. 10.0.0.0/24")
    .option("--project <project>", "owning project")
    .option("--gateway <ip>", "gateway address, 'auto' (first host) or 'none'")
    .option(
      "--allocation-pool <start=IP,end=IP>",
      "allocation pool (repeat for more)",
      repeat(allocationPool),
    )
    .option("--dns-nameserver <ip>", "DNS server (repeat)", repeat(String))
    .option("--host-route <destination=CIDR,gateway=IP>", "host route (repeat)", repeat(route))
    .option("--dhcp", "enable DHCP (default)")
    .option("--no-dhcp", "disable DHCP")
    .action(
      run(async (client, name: string, o) => {
        const created = await client.subnet.create.mutate({
          name,
          network_id: o.network,
          project_id: o.project,
          cidr: o.subnetRange,
          gateway_ip: gateway(o.gateway),
          allocation_pools: o.allocationPool?.map(toPool),
          enable_dhcp: o.dhcp !== false,
          dns_nameservers: o.dnsNameserver ?? [],
          host_routes: (o.hostRoute ?? []).map(toRoute),
        });
        printOne(created, o.format as Format);
      }),
    );

  subnet
    .command("set <subnet>")
    .description("Change a subnet")
    .option("--name <name>", "new name")
    .option("--gateway <ip>", "gateway address or 'none'")
    .option(
      "--allocation-pool <start=IP,end=IP>",
      "replace the allocation pools (repeat)",
      repeat(allocationPool),
    )
    .option("--dns-nameserver <ip>", "replace the DNS servers (repeat)", repeat(String))
    .option("--host-route <destination=CIDR,gateway=IP>", "replace the host routes (repeat)", repeat(route))
    .option("--dhcp", "enable DHCP")
    .option("--no-dhcp", "disable DHCP")
    .action(
      run(async (client, id: string, o) => {
        await client.subnet.update.mutate({
          id,
          name: o.name,
          gateway_ip: gateway(o.gateway),
          allocation_pools: o.allocationPool?.map(toPool),
          dns_nameservers: o.dnsNameserver,
          host_routes: o.hostRoute?.map(toRoute),
          enable_dhcp: o.dhcp,
        });
      }),
    );
}
