import type { Command } from "commander";
import { addCrud, formatOption, run } from "../command";
import { integer } from "../options";
import { type Format, field, printList, printOne } from "../output";

export function networkCommands(program: Command): void {
  const network = addCrud(program.command("network").description("Networks"), "network", {
    list: (c, o) => c.network.list.query({ project_id: o.project as string | undefined }),
    show: (c, id) => c.network.show.query({ id }),
    remove: (c, id) => c.network.delete.mutate({ id }),
    columns: [
      field("ID", "id"),
      field("Name", "name"),
      field("Subnets", "subnets"),
      field("Status", "status"),
    ],
  });

  network
    .command("create <name>")
    .description("Create a network")
    .addOption(formatOption())
    .option("--project <project>", "owning project (name or ID)")
    .option("--share", "share the network with every project")
    .option("--no-share", "do not share (default)")
    .option("--external", "an external network: router gateways and floating IPs")
    .option("--internal", "not external (default)")
    .option("--provider-network-type <type>", "flat, vlan, vxlan or local")
    .option("--provider-physical-network <physnet>", "physical network (flat, vlan)")
    .option("--provider-segment <id>", "VLAN id or VNI", integer)
    .option("--mtu <mtu>", "MTU (default and most: the physical network's; vxlan 50 less)", integer)
    .option("--disable", "create administratively down")
    .action(
      run(async (client, name: string, o) => {
        const created = await client.network.create.mutate({
          name,
          project_id: o.project,
          shared: o.share === true,
          "router:external": o.external === true && o.internal !== true,
          "provider:network_type": o.providerNetworkType,
          "provider:physical_network": o.providerPhysicalNetwork,
          "provider:segmentation_id": o.providerSegment,
          mtu: o.mtu,
          admin_state_up: o.disable !== true,
        });
        printOne(created, o.format as Format);
      }),
    );

  network
    .command("set <network>")
    .description("Change a network")
    .option("--name <name>", "new name")
    .option("--share", "share with every project")
    .option("--no-share", "stop sharing")
    .option("--external", "make external")
    .option("--internal", "make internal")
    .option("--mtu <mtu>", "MTU (68 to the physical network's; vxlan 50 less)", integer)
    .option("--enable", "administratively up")
    .option("--disable", "administratively down")
    .action(
      run(async (client, id: string, o) => {
        await client.network.update.mutate({
          id,
          name: o.name,
          shared: o.share,
          "router:external": o.external ? true : o.internal ? false : undefined,
          mtu: o.mtu,
          admin_state_up: o.enable ? true : o.disable ? false : undefined,
        });
      }),
    );

  network
    .command("agent")
    .description("Network agents")
    .command("list")
    .description("The L3 agents hosting a router (--long: each one's HA state)")
    .requiredOption("--router <router>", "the router they host")
    .option("--long", "list more columns (HA State)")
    .addOption(formatOption())
    .action(
      run(async (client, o) => {
        const columns = [...L3_AGENT_COLUMNS, ...(o.long ? [field("HA State", "ha_state")] : [])];
        printList(await client.router.l3Agents.query({ id: o.router }), columns, o.format as Format);
      }),
    );
}

/** `openstack network agent list`'s columns. */
const L3_AGENT_COLUMNS = [
  field("ID", "id"),
  field("Agent Type", "agent_type"),
  field("Host", "host"),
  field("Availability Zone", "availability_zone"),
  field("Alive", "alive"),
  field("State", "admin_state_up"),
  field("Binary", "binary"),
];
