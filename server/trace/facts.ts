// What the trace knows before it asks the host: the intent compiled for the host (what the agent puts there: the
// places are drawn from it), and the model's facts the intent does not carry (names, subnets with their gateway
// and CIDR, which router joins which subnet, the floating IPs an end may name). Both come from the same rows,
// read in one read-only transaction so that they agree with each other.
//
// The rows are the intent's inputs with only the columns the compiler reads (a router with 1,000 floating IPs has
// 2,000 ports: whole rows were most of a trace's time), and without the floating IPs' own ports, which only hold
// their address in IPAM: the compiler never looks at them, and the floating IP row says all the trace needs.
// facts.test.ts holds the compiled intent to the one the dispatcher sends; one difference is chosen: an HA router
// is compiled onto the node that holds it (ha.ts), not onto each node that runs it, so that the walk meets it there.
import { asc, ne } from "drizzle-orm";
import type { HostIntent, IntentRouter } from "../../agent/contract/intent";
import { parseCidr } from "../../lib/ip";
import { portRules } from "../agents/firewall-intent";
import { type CompileInputs, compileIntent } from "../agents/intent";
import { peersOf } from "../agents/placement";
import type { Db } from "../db/client";
import {
  agents,
  type FloatingIpRow,
  floatingIps,
  haRouterAgentPortBindings,
  type InstanceRow,
  instances,
  ipAllocations,
  type NetworkRow,
  networks,
  type PortRow,
  portForwardings,
  portSecurityGroups,
  ports,
  type RouterRow,
  routers,
  type SubnetRow,
  securityGroupRules,
  securityGroups,
  subnets,
} from "../db/schema";
import { haStatesOf } from "../domain/ha";
import { activeBindings, type HaNodes } from "./ha";
import { uplinkAddress } from "./places";
import type { PortFilter } from "./security";

export type ModelPort = {
  id: string;
  network_id: string;
  ip: string | null;
  subnet_id: string | null;
  owner: string;
  device_id: string;
  name: string;
  mac_address: string;
  project_id: string;
  /** binding:host_id and whether an agent has it wired there (binding:vif_type "ovs"). */
  host_id: string;
  bound: boolean;
};

export type ModelRouter = {
  row: RouterRow;
  gateway: ModelPort | null;
  interfaces: ModelPort[];
};

/** What the trace reads of a floating IP: what the compiler reads, and whose it is. */
export type ModelFloatingIp = CompileInputs["floatingIps"][number] & Pick<FloatingIpRow, "projectId">;

/** An external network's simulated outside world on the host (the intent's uplink), with the network's name. */
export type Uplink = {
  network: Pick<NetworkRow, "id" | "name">;
  /** The address the uplink namespace holds: the external subnet's gateway. */
  address: string;
  /** The subnet it is on: addresses there are the outside world's. */
  cidr: string;
};

export type TraceModel = {
  networks: Map<string, NetworkRow>;
  subnets: Map<string, SubnetRow>;
  /** Ports with their first fixed IP (the one the intent gives them); floating IPs' own ports left out. */
  ports: Map<string, ModelPort>;
  routers: Map<string, ModelRouter>;
  floatingIps: ModelFloatingIp[];
  instances: Map<string, InstanceRow>;
  /** The intents compiled for the hosts, taken together (each resource from the first host that has it). */
  intent: HostIntent;
  /** Each host's own intent, by host name, in the order asked: where each place is. */
  intents: Map<string, HostIntent>;
  /** The routers as the intent has them (gateway, floating IPs with NAT: only behind a gateway), by id. */
  intentRouters: Map<string, IntentRouter>;
  /** The outside worlds on the host, by external network id. */
  uplinks: Map<string, Uplink>;
  /** The ports the host filters (the intent's firewall entries) with their groups' rules, by port id. */
  filters: Map<string, PortFilter>;
  portForwardings: CompileInputs["portForwardings"];
  /** Each HA router's nodes and what each last reported (an offline node "unknown"), as `router show` has them. */
  haNodes: HaNodes;
};

/** The compiler's rows, with what the trace also says of a port: its name, and whether it is bound. */
type TraceInputs = Omit<CompileInputs, "host" | "revision"> & {
  revisions: Map<string, number>;
  ports: (CompileInputs["ports"][number] & Pick<PortRow, "name" | "vifType" | "projectId">)[];
  floatingIps: ModelFloatingIp[];
  security: NonNullable<CompileInputs["security"]>;
  groups: { id: string; name: string }[];
  haNodes: HaNodes;
};

/** The model and the intents for `hosts` (the agents' host names, in registration order). */
export async function loadTraceModel(db: Db, hosts: readonly string[]): Promise<TraceModel> {
  const inputs = await db.transaction(
    async (tx): Promise<TraceInputs> => {
      const notFloating = ne(ports.deviceOwner, "network:floatingip");
      const [
        agentRows,
        networkRows,
        subnetRows,
        portRows,
        allocationRows,
        routerRows,
        fipRows,
        forwardingRows,
        instanceRows,
        portGroupRows,
        ruleRows,
        groupRows,
        haRows,
      ] = await Promise.all([
        tx.select().from(agents).orderBy(asc(agents.id)),
        tx.select().from(networks).orderBy(asc(networks.createdAt)),
        tx.select().from(subnets).orderBy(asc(subnets.createdAt)),
        tx
          .select({
            id: ports.id,
            networkId: ports.networkId,
            macAddress: ports.macAddress,
            deviceOwner: ports.deviceOwner,
            deviceId: ports.deviceId,
            hostId: ports.hostId,
            adminStateUp: ports.adminStateUp,
            portSecurityEnabled: ports.portSecurityEnabled,
            allowedAddressPairs: ports.allowedAddressPairs,
            name: ports.name,
            vifType: ports.vifType,
            projectId: ports.projectId,
          })
          .from(ports)
          .where(notFloating)
          .orderBy(asc(ports.createdAt)),
        tx.select().from(ipAllocations),
        tx.select().from(routers).orderBy(asc(routers.createdAt)),
        tx
          .select({
            id: floatingIps.id,
            floatingIpAddress: floatingIps.floatingIpAddress,
            fixedPortId: floatingIps.fixedPortId,
            fixedIpAddress: floatingIps.fixedIpAddress,
            routerId: floatingIps.routerId,
            projectId: floatingIps.projectId,
          })
          .from(floatingIps)
          .orderBy(asc(floatingIps.createdAt)),
        tx.select().from(portForwardings).orderBy(asc(portForwardings.createdAt)),
        tx.select().from(instances).orderBy(asc(instances.createdAt)),
        tx.select().from(portSecurityGroups),
        tx.select().from(securityGroupRules).orderBy(asc(securityGroupRules.createdAt)),
        tx.select({ id: securityGroups.id, name: securityGroups.name }).from(securityGroups),
        tx
          .select({
            routerId: haRouterAgentPortBindings.routerId,
            host: haRouterAgentPortBindings.host,
            portId: haRouterAgentPortBindings.portId,
          })
          .from(haRouterAgentPortBindings),
      ]);
      const haNodes = await haStatesOf(
        tx,
        routerRows.filter((r) => r.ha).map((r) => r.id),
      );
      return {
        revisions: new Map(agentRows.flatMap((a) => (a.host === null ? [] : [[a.host, a.wantedRevision]]))),
        hosts: peersOf(agentRows),
        networks: networkRows,
        subnets: subnetRows,
        ports: portRows,
        allocations: allocationRows,
        routers: routerRows,
        floatingIps: fipRows,
        portForwardings: forwardingRows,
        instances: instanceRows,
        // As the dispatcher compiles it: the same intent, firewall included.
        security: { ports: portRows, portGroups: portGroupRows, rules: ruleRows },
        groups: groupRows,
        // An HA router is walked on the node that holds it: compiled onto its active node alone.
        haBindings: activeBindings(haRows, haNodes),
        haNodes,
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
  const intents = new Map(
    hosts.map((host) => [
      host,
      compileIntent({ ...inputs, host, revision: inputs.revisions.get(host) ?? 0 }),
    ]),
  );
  return traceModel(inputs, intents);
}

/**
 * Each id once, from the first host that has it (a router on two hosts is walked where it is first met; an HA
 * router is compiled onto its active node alone).
 */
function firstOf<T>(lists: T[][], id: (item: T) => string): T[] {
  const byId = new Map<string, T>();
  for (const item of lists.flat()) if (!byId.has(id(item))) byId.set(id(item), item);
  return [...byId.values()];
}

/** The hosts' intents as one: what the agents apply, together. One host: its own intent. */
function together(intents: HostIntent[]): HostIntent {
  const [first, ...others] = intents;
  if (first === undefined) throw new Error("No host to compile the intent for");
  if (others.length === 0) return first;
  return {
    ...first,
    routers: firstOf(
      intents.map((i) => i.routers),
      (r) => r.id,
    ),
    instances: firstOf(
      intents.map((i) => i.instances),
      (i) => i.id,
    ),
    uplinks: firstOf(
      intents.map((i) => i.uplinks),
      (u) => u.network_id,
    ),
    dhcp: firstOf(
      intents.map((i) => i.dhcp ?? []),
      (d) => d.network_id,
    ),
    firewall: firstOf(
      intents.map((i) => i.firewall ?? []),
      (f) => f.port_id,
    ),
  };
}

function traceModel(inputs: TraceInputs, intents: Map<string, HostIntent>): TraceModel {
  const intent = together([...intents.values()]);
  // The first allocation of a port, as the compiler takes it.
  const allocationOf = new Map<string, CompileInputs["allocations"][number]>();
  for (const a of inputs.allocations) if (!allocationOf.has(a.portId)) allocationOf.set(a.portId, a);
  const modelPorts = new Map<string, ModelPort>();
  const interfacesOf = new Map<string, ModelPort[]>();
  for (const p of inputs.ports) {
    const allocation = allocationOf.get(p.id);
    const port: ModelPort = {
      id: p.id,
      network_id: p.networkId,
      ip: allocation?.ipAddress ?? null,
      subnet_id: allocation?.subnetId ?? null,
      owner: p.deviceOwner,
      device_id: p.deviceId,
      name: p.name,
      mac_address: p.macAddress,
      project_id: p.projectId,
      host_id: p.hostId,
      bound: p.vifType === "ovs",
    };
    modelPorts.set(p.id, port);
    if (p.deviceOwner === "network:router_interface")
      interfacesOf.set(p.deviceId, [...(interfacesOf.get(p.deviceId) ?? []), port]);
  }
  const networkMap = new Map(inputs.networks.map((n) => [n.id, n]));
  const uplinks = new Map<string, Uplink>();
  for (const uplink of intent.uplinks) {
    const { network, prefixlen } = parseCidr(uplink.address, false);
    uplinks.set(uplink.network_id, {
      network: { id: uplink.network_id, name: networkMap.get(uplink.network_id)?.name ?? "" },
      address: uplinkAddress(uplink),
      cidr: `${network}/${prefixlen}`,
    });
  }
  return {
    networks: networkMap,
    subnets: new Map(inputs.subnets.map((s) => [s.id, s])),
    ports: modelPorts,
    routers: new Map(
      inputs.routers.map((row) => [
        row.id,
        {
          row,
          gateway: row.gwPortId ? (modelPorts.get(row.gwPortId) ?? null) : null,
          interfaces: interfacesOf.get(row.id) ?? [],
        },
      ]),
    ),
    floatingIps: inputs.floatingIps,
    instances: new Map(inputs.instances.map((i) => [i.id, i])),
    intent,
    intents,
    intentRouters: new Map(intent.routers.map((r) => [r.id, r])),
    uplinks,
    filters: portFilters(inputs, intent),
    portForwardings: inputs.portForwardings,
    haNodes: inputs.haNodes,
  };
}

/** The intent's firewall entries with the rows of their groups' rules: what names a verdict's rule. */
function portFilters(inputs: TraceInputs, intent: HostIntent): Map<string, PortFilter> {
  const names = new Map(inputs.groups.map((g) => [g.id, g.name]));
  const rules = portRules(inputs.security, inputs.allocations);
  // Each port's groups, gathered once (not a pass over every port's groups for each of a thousand ports).
  const groupsOf = new Map<string, PortFilter["groups"]>();
  for (const g of inputs.security.portGroups) {
    const list = groupsOf.get(g.portId) ?? [];
    list.push({ id: g.securityGroupId, name: names.get(g.securityGroupId) ?? "" });
    groupsOf.set(g.portId, list);
  }
  const filters = new Map<string, PortFilter>();
  for (const entry of intent.firewall ?? []) {
    const groups = groupsOf.get(entry.port_id) ?? [];
    const named = (rules.get(entry.port_id) ?? []).map((r) => ({
      ...r,
      group_name: names.get(r.row.securityGroupId) ?? "",
    }));
    filters.set(entry.port_id, { entry, groups, rules: named });
  }
  return filters;
}

/** The routers with an interface on `subnetId`. */
export function routersOnSubnet(model: TraceModel, subnetId: string): ModelRouter[] {
  return [...model.routers.values()].filter((r) => r.interfaces.some((p) => p.subnet_id === subnetId));
}
