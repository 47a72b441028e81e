// A member's trace: what its ends may name (its own project's instances, routers, floating IPs and ports, and
// the outside world beyond an external network), and what its answer may show (tenant-view.ts masks the rest).
// An end of another project resolves exactly as one that does not exist: the ends are resolved in the model as
// the member sees it, never in the whole model. PURE.
import { cidrContains } from "../../lib/ip";
import type { TraceResult } from "../../lib/schemas/trace";
import { badRequest } from "../domain/errors";
import { ownedBy } from "../domain/refs";
import type { Actor } from "../domain/tx";
import type { ModelPort, TraceModel } from "./facts";
import { type Endpoint, resolveEndpoint } from "./resolve";
import { type TenantScope, tenantView } from "./tenant-view";

export type MemberTenancy = {
  /** The model as the member sees it: where the ends are resolved. */
  visible: TraceModel;
  resolve(ref: string): Endpoint;
  /** The answer as the member sees it. */
  view(result: TraceResult): TraceResult;
};

function keep<K, V>(map: Map<K, V>, wanted: (value: V) => boolean): Map<K, V> {
  return new Map([...map].filter(([, value]) => wanted(value)));
}

/** Own, shared and external networks with their subnets; everything else only the project's own. */
function visibleModel(model: TraceModel, actor: Actor): TraceModel {
  const own = (projectId: string) => ownedBy(actor, projectId);
  const networks = keep(model.networks, (n) => own(n.projectId) || n.shared || n.routerExternal);
  return {
    ...model,
    networks,
    subnets: keep(model.subnets, (s) => networks.has(s.networkId)),
    ports: keep(model.ports, (p) => own(p.project_id)),
    routers: keep(model.routers, (r) => own(r.row.projectId)),
    floatingIps: model.floatingIps.filter((f) => own(f.projectId)),
    instances: keep(model.instances, (i) => own(i.projectId)),
  };
}

/**
 * The addresses of an external subnet belong to every project's routers and floating IPs: a member names the
 * outside world by its gateway or by an address beyond it, and its own addresses by what they are. Any other
 * address there is refused whether something holds it or not, so that the answer tells nothing of who does.
 */
function refuseExternalNeighbour(visible: TraceModel, endpoint: Endpoint): void {
  if (endpoint.kind !== "outside") return;
  for (const subnet of visible.subnets.values()) {
    if (!visible.networks.get(subnet.networkId)?.routerExternal) continue;
    if (endpoint.address === subnet.gatewayIp || !cidrContains(subnet.cidr, endpoint.address)) continue;
    throw badRequest(
      `${endpoint.address} is on external subnet ${subnet.name || subnet.id} (${subnet.cidr}) and is none of your project's addresses: trace to its gateway ${subnet.gatewayIp ?? "address"}, or to an address beyond it`,
    );
  }
}

/** How a route names the port it leaves by: a router's by its role and address, others by name. */
function portLabel(port: ModelPort): string {
  const at = port.ip === null ? "" : ` ${port.ip}`;
  if (port.owner === "network:router_gateway") return `gateway port${at}`;
  if (port.owner === "network:router_interface") return `interface port${at}`;
  return `port ${port.name || port.id}`;
}

function tenantScope(model: TraceModel, visible: TraceModel): TenantScope {
  const names = new Map<string, string>();
  for (const n of visible.networks.values()) names.set(n.id, n.name || n.id);
  for (const r of visible.routers.values()) names.set(r.row.id, r.row.name || r.row.id);
  for (const i of visible.instances.values()) names.set(i.id, i.name || i.id);
  for (const p of visible.ports.values()) names.set(p.id, portLabel(p));
  for (const f of visible.floatingIps) names.set(f.id, `floating IP ${f.floatingIpAddress}`);
  // Other projects' private ranges may overlap the member's: an address the member holds is its own.
  const own = new Set<string>([
    ...[...visible.ports.values()].flatMap((p) => (p.ip === null ? [] : [p.ip])),
    ...visible.floatingIps.map((f) => f.floatingIpAddress),
  ]);
  const hidden = new Set<string>();
  for (const p of model.ports.values()) {
    // A DHCP server's address is no secret: every client of the network hears it.
    if (p.ip !== null && !visible.ports.has(p.id) && p.owner !== "network:dhcp" && !own.has(p.ip))
      hidden.add(p.ip);
  }
  for (const f of model.floatingIps) if (!own.has(f.floatingIpAddress)) hidden.add(f.floatingIpAddress);
  return { names, hidden };
}

export function memberTenancy(model: TraceModel, actor: Actor): MemberTenancy {
  const visible = visibleModel(model, actor);
  const scope = tenantScope(model, visible);
  return {
    visible,
    resolve(ref) {
      const endpoint = resolveEndpoint(visible, ref);
      refuseExternalNeighbour(visible, endpoint);
      return endpoint;
    },
    view(result) {
      // The addresses the member named are its own words: hiding one would say that another project holds it.
      const named = new Set([result.from.address, result.to.address]);
      return tenantView(result, {
        ...scope,
        hidden: new Set([...scope.hidden].filter((a) => !named.has(a))),
      });
    },
  };
}
