import type { Command } from "commander";
import { addCrud, formatOption, run } from "../command";
import { fixedIp, repeat, route, toFixedIp, toRoute } from "../options";
import { type Format, field, printOne } from "../output";

type GatewayOptions = {
  externalGateway?: string;
  fixedIp?: Partial<Record<"subnet" | "ip-address", string>>[];
  enableSnat?: boolean;
  disableSnat?: boolean;
};

function gatewayInfo(o: GatewayOptions) {
  if (o.externalGateway === undefined) {
    if (o.fixedIp || o.enableSnat || o.disableSnat) {
      throw new Error("--fixed-ip, --enable-snat and --disable-snat go with --external-gateway");
    }
    return undefined;
  }
  return {
    network_id: o.externalGateway,
    enable_snat: o.disableSnat !== true,
    external_fixed_ips: o.fixedIp?.map(toFixedIp),
  };
}

type Route = { destination: string; nexthop: string };
const sameRoute = (a: Route) => (b: Route) => a.destination === b.destination && a.nexthop === b.nexthop;

export function routerCommands(program: Command): void {
  const router = addCrud(program.command("router").description("Routers"), "router", {
    list: (c, o) => c.router.list.query({ project_id: o.project as string | undefined }),
    show: (c, id) => c.router.show.query({ id }),
    remove: (c, id) => c.router.delete.mutate({ id }),
    columns: [
      field("ID", "id"),
      field("Name", "name"),
      field("Status", "status"),
      field("State", "admin_state_up"),
      field("Project", "project_id"),
    ],
  });

  const gatewayOptions = (cmd: Command) =>
    cmd
      .option("--external-gateway <network>", "external network for the router's gateway")
      .option("--fixed-ip <subnet=S,ip-address=IP>", "the gateway's address", repeat(fixedIp))
      .option("--enable-snat", "SNAT tenant traffic to the gateway address (default)")
      .option("--disable-snat", "no SNAT on the gateway");

  gatewayOptions(router.command("create <name>"))
    .description("Create a router")
    .addOption(formatOption())
    .option("--project <project>", "owning project")
    .option("--disable", "create administratively down")
    .option("--host <host>", "the network node to put it on (default: the live one with the fewest routers)")
    .option("--ha", "highly available: on two network nodes, VRRP choosing the active one (admins)")
    .option("--no-ha", "a legacy router on one network node (default)")
    .action(
      run(async (client, name: string, o) => {
        const created = await client.router.create.mutate({
          name,
          project_id: o.project,
          admin_state_up: o.disable !== true,
          external_gateway_info: gatewayInfo(o),
          host: o.host,
          ha: o.ha === true,
        });
        printOne(created, o.format as Format);
      }),
    );

  gatewayOptions(router.command("set <router>"))
    .description("Change a router: gateway, SNAT, extra routes")
    .option("--name <name>", "new name")
    .option("--route <destination=CIDR,gateway=IP>", "add an extra route (repeat)", repeat(route))
    .option("--no-route", "clear the extra routes (with --route: replace them)")
    .option("--enable", "administratively up")
    .option("--disable", "administratively down")
    .option("--host <host>", "move it to this network node (its ports and addresses go with it)")
    .option("--ha", "make it highly available (admins; the router must be disabled first)")
    .option("--no-ha", "make it a legacy router (admins; the router must be disabled first)")
    .action(
      run(async (client, id: string, o) => {
        let routes: Route[] | undefined;
        // commander folds --route and --no-route into one key: false = --no-route alone, a list = --route.
        if (o.route === false) routes = [];
        else if (Array.isArray(o.route)) {
          const current = process.argv.includes("--no-route")
            ? []
            : (await client.router.show.query({ id })).routes;
          const added: Route[] = o.route.map(toRoute);
          routes = [...current, ...added.filter((r) => !current.some(sameRoute(r)))];
        }
        await client.router.update.mutate({
          id,
          name: o.name,
          admin_state_up: o.enable ? true : o.disable ? false : undefined,
          external_gateway_info: gatewayInfo(o),
          routes,
          host: o.host,
          ha: o.ha as boolean | undefined,
        });
      }),
    );

  router
    .command("unset <router>")
    .description("Clear a router's gateway or remove extra routes")
    .option("--external-gateway", "remove the external gateway")
    .option("--route <destination=CIDR,gateway=IP>", "remove an extra route (repeat)", repeat(route))
    .action(
      run(async (client, id: string, o) => {
        let routes: Route[] | undefined;
        if (o.route) {
          const remove = (o.route as Parameters<typeof toRoute>[0][]).map(toRoute);
          routes = (await client.router.show.query({ id })).routes.filter((r) => !remove.some(sameRoute(r)));
        }
        await client.router.update.mutate({
          id,
          external_gateway_info: o.externalGateway ? null : undefined,
          routes,
        });
      }),
    );

  for (const verb of ["add", "remove"] as const) {
    const group = router.command(verb).description(`${verb === "add" ? "Add" : "Remove"} a router interface`);
    const call = verb === "add" ? "addInterface" : "removeInterface";
    group
      .command("subnet <router> <subnet>")
      .description(`${verb} an interface on a subnet`)
      .action(
        run(async (client, id: string, subnet: string) => {
          await client.router[call].mutate({ id, subnet_id: subnet });
        }),
      );
    group
      .command("port <router> <port>")
      .description(`${verb} an interface by port`)
      .action(
        run(async (client, id: string, port: string) => {
          await client.router[call].mutate({ id, port_id: port });
        }),
      );
  }
}
