// metadata-unreachable: a trace from an instance to the metadata service (169.254.169.254, tcp 80). Who answers
// is the compiled intent's to say, as for the agent: the router whose interface holds the subnet's gateway
// (its nat table redirects to its proxy), else the network's DHCP namespace when the intent serves isolated
// metadata there; neither: nothing answers. With a server found, its proxy must run and (a router's) its
// redirect rule must be there. PURE.
import type { TraceDaemon } from "../../agent/contract/trace";
import type { NatRuleCounters } from "../../lib/host-snapshot";
import { metadataRedirectRule } from "../../lib/router-nat";
import type { Diagnosis } from "../../lib/schemas/trace";
import type { SubnetRow } from "../db/schema";
import { routersOnSubnet, type TraceModel } from "./facts";
import type { HostPlaces, Place } from "./places";
import { type Endpoint, instanceOf } from "./resolve";

const name = (row: { name: string; id: string }) => row.name || row.id;

/** The subnet of the instance an end stands for. */
function subnetOf(model: TraceModel, endpoint: Endpoint): SubnetRow | undefined {
  const instance = instanceOf(endpoint);
  const port = instance ? model.ports.get(instance.portId) : undefined;
  return port?.subnet_id ? model.subnets.get(port.subnet_id) : undefined;
}

export type MetadataServer =
  | { kind: "router"; place: Place; name: string }
  | { kind: "dhcp"; place: Place; name: string }
  | { kind: "none"; subnet: SubnetRow | undefined };

/** Where `from`'s metadata requests are answered on this host. */
export function metadataServer(model: TraceModel, places: HostPlaces, from: Endpoint): MetadataServer {
  const subnet = subnetOf(model, from);
  if (subnet === undefined) return { kind: "none", subnet };
  const router = routersOnSubnet(model, subnet.id).find((r) =>
    r.interfaces.some((p) => p.subnet_id === subnet.id && p.ip === subnet.gatewayIp),
  );
  const routerPlace = router ? places.routers.get(router.row.id) : undefined;
  if (router && routerPlace) return { kind: "router", place: routerPlace, name: name(router.row) };
  const network = model.networks.get(subnet.networkId);
  const served = model.intent.dhcp?.find((d) => d.network_id === subnet.networkId);
  const dhcpPlace = places.dhcp.get(subnet.networkId);
  if (served?.metadata === true && dhcpPlace && network)
    return { kind: "dhcp", place: dhcpPlace, name: name(network) };
  return { kind: "none", subnet };
}

type MetadataInput = {
  model: TraceModel;
  server: MetadataServer;
  /** The daemons the server's namespace runs (null: not read). */
  daemons: TraceDaemon[] | null;
  nat: Map<string, NatRuleCounters[]>;
  chainPrefix: string;
  /** Where the forward walk ended (dropped, or delivered) and the hop of the server's namespace, if reached. */
  lastHop: string | null;
  serverHop: string | null;
};

export function metadataDiagnoses(input: MetadataInput): Diagnosis[] {
  const { server } = input;
  switch (server.kind) {
    case "none": {
      const subnet = server.subnet;
      if (subnet === undefined) return [];
      return [
        {
          code: "metadata-unreachable",
          hop: input.lastHop,
          message: `Subnet ${name(subnet)} has no router on its gateway${subnet.gatewayIp === null ? "" : ` ${subnet.gatewayIp}`} and ${subnet.enableDhcp ? "its network's DHCP server serves no metadata on this host" : "DHCP disabled, so no isolated metadata either"}: nothing answers 169.254.169.254.`,
          fix: `Attach the subnet to a router (netlens router add subnet ROUTER ${name(subnet)}), or enable DHCP on it (netlens subnet set ${name(subnet)} --dhcp): its DHCP namespace then serves metadata, as Neutron's enable_isolated_metadata.`,
        },
      ];
    }
    case "router":
    case "dhcp": {
      const found: Diagnosis[] = [];
      const where =
        server.kind === "router" ? `router ${server.name}` : `network ${server.name}'s DHCP namespace`;
      const proxy = input.daemons?.find((d) => d.program === "haproxy");
      if (input.daemons !== null && proxy?.running !== true)
        found.push({
          code: "metadata-unreachable",
          hop: input.serverHop ?? input.lastHop,
          message: `The metadata proxy (haproxy) of ${where} is not running in ${server.place.namespace}: nothing listens for the instance's request.`,
          // Drift does not list a stopped proxy: a repair of everything has the agent reconcile its namespace.
          fix: "netlens drift repair --all (the agent reconciles every namespace and starts the proxy again).",
        });
      const rules = input.nat.get(server.place.namespace);
      const redirect = metadataRedirectRule(input.chainPrefix);
      if (server.kind === "router" && rules !== undefined && !rules.some((r) => r.rule === redirect))
        found.push({
          code: "metadata-unreachable",
          hop: input.serverHop ?? input.lastHop,
          message: `The metadata redirect is missing in ${server.place.namespace}: 169.254.169.254:80 is routed on instead of reaching the proxy (${redirect}).`,
          fix: `netlens drift repair ${server.name} (the agent rewrites its chains), or by hand: ip netns exec ${server.place.namespace} iptables -t nat ${redirect}`,
        });
      return found;
    }
    default: {
      const unreachable: never = server;
      throw new Error(`Unknown metadata server ${JSON.stringify(unreachable)}`);
    }
  }
}
