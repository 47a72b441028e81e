// Neutron v2.0 under /networking: networks, subnets, ports, routers (their interfaces, gateway, extra routes),
// floating IPs (and their port forwardings, portForwardings.ts), security groups and their rules, as the `openstack` CLI and openstacksdk speak it. Each call goes to the tRPC procedure of the same
// name, so the input is the procedure's own zod schema and the rules are the domain's; what is Neutron's here is
// the wire: bodies wrapped in the resource's name, 201/204, list queries (query.ts), NeutronError.
import { z } from "zod";
import { floatingIpCreate, floatingIpUpdate } from "../../lib/schemas/floatingIp";
import { networkCreate, networkUpdate } from "../../lib/schemas/network";
import { portCreate, portUpdate } from "../../lib/schemas/port";
import { routerCreate, routerInterface, routerUpdate } from "../../lib/schemas/router";
import {
  securityGroupCreate,
  securityGroupRuleCreate,
  securityGroupUpdate,
} from "../../lib/schemas/securityGroup";
import { subnetCreate, subnetUpdate } from "../../lib/schemas/subnet";
import type { FloatingIpView } from "../domain/floatingIps";
import type { NetworkView } from "../domain/networks";
import type { PortView } from "../domain/ports";
import { isUuid } from "../domain/refs";
import type { RouterView } from "../domain/routers";
import type { SecurityGroupRuleView, SecurityGroupView } from "../domain/securityGroups";
import type { SubnetView } from "../domain/subnets";
import type { RestCall } from "./context";
import { EXTENSIONS } from "./extensions";
import { input, json, jsonText, knownFields, member, noContent, RestError, readJson } from "./http";
import { portForwardings } from "./portForwardings";
import { applyQuery, pickFields } from "./query";

type Caller = RestCall["caller"];
type View = Record<string, unknown>;
type Body = Record<string, unknown>;

const VERSION = "v2.0";

/** Neutron's `tenant_id` is `project_id`; a body's other fields must be the schema's (zod would drop the rest). */
function fieldsOf(schema: z.ZodType, body: Body): Body {
  const { tenant_id: tenantId, ...rest } = body;
  return knownFields(
    schema,
    tenantId !== undefined && rest.project_id === undefined ? { ...rest, project_id: tenantId } : rest,
  );
}

/** The tRPC procedures of one resource, as the REST handlers call them (each parses its input itself). */
type Procedures = {
  list(input: undefined): Promise<readonly object[]>;
  show(input: { id: string }): Promise<object>;
  create(input: Body): Promise<object>;
  /** Absent where Neutron has no update (a security group rule). */
  update?(input: Body): Promise<object>;
  delete(input: { id: string }): Promise<unknown>;
};
/**
 * Neutron converts a network's `mtu` with convert_to_int, and the openstack CLI sends `--mtu 1400` as the string
 * "1400": a string of digits is the number (anything else stays as sent, for the schema to refuse).
 */
function networkBody(body: Body): Body {
  const { mtu } = body;
  return typeof mtu === "string" && /^\d{1,6}$/.test(mtu) ? { ...body, mtu: Number(mtu) } : body;
}

type Resource = {
  singular: string;
  collection: string;
  /** How Neutron's errors name it ("SecurityGroup"), when not the singular capitalised. */
  label?: string;
  /** The attributes lists may filter and sort by. */
  attributes: readonly string[];
  procedures(c: Caller): Procedures;
  /** The schemas a body's fields must be of (the procedures' own). */
  create: z.ZodType;
  update?: z.ZodType;
  /** Neutron's conversions of a body's fields before the schema reads them. */
  convert?: (body: Body) => Body;
  /**
   * The whole list as JSON text, sent as it is when the query asks for no filter, field or page (what `openstack
   * port list` asks): the long lists, where parsing and stringifying again cost more than the query.
   */
  listText?: (c: Caller) => Promise<string>;
  /** PUT /{collection}/{id}/{action} */
  actions?: Record<string, (c: Caller, id: string, body: Body) => Promise<Response>>;
};

/** The attributes of every resource, which lists may filter and sort by as any other. */
const OWNED = ["id", "project_id", "tenant_id"] as const;

const networkAttributes = [
  ...OWNED,
  "name",
  "shared",
  "router:external",
  "provider:network_type",
  "provider:physical_network",
  "provider:segmentation_id",
  "mtu",
  "admin_state_up",
  "status",
  "subnets",
] as const satisfies readonly (keyof NetworkView)[];

const subnetAttributes = [
  ...OWNED,
  "name",
  "network_id",
  "ip_version",
  "cidr",
  "gateway_ip",
  "enable_dhcp",
] as const satisfies readonly (keyof SubnetView)[];

const portAttributes = [
  ...OWNED,
  "name",
  "network_id",
  "mac_address",
  "fixed_ips",
  "device_owner",
  "device_id",
  "binding:host_id",
  "admin_state_up",
  "status",
  "security_groups",
  "port_security_enabled",
] as const satisfies readonly (keyof PortView)[];

const routerAttributes = [
  ...OWNED,
  "name",
  "admin_state_up",
  "status",
  "ha",
] as const satisfies readonly (keyof RouterView)[];

const floatingIpAttributes = [
  ...OWNED,
  "floating_ip_address",
  "floating_network_id",
  "port_id",
  "fixed_ip_address",
  "router_id",
  "description",
  "status",
] as const satisfies readonly (keyof FloatingIpView)[];

const securityGroupAttributes = [
  ...OWNED,
  "name",
  "description",
  "stateful",
] as const satisfies readonly (keyof SecurityGroupView)[];

const securityGroupRuleAttributes = [
  ...OWNED,
  "security_group_id",
  "direction",
  "ethertype",
  "protocol",
  "port_range_min",
  "port_range_max",
  "remote_ip_prefix",
  "remote_group_id",
  "description",
] as const satisfies readonly (keyof SecurityGroupRuleView)[];

/** What add/remove_router_interface answer: the router and the interface's port, subnet and network. */
async function routerInterfaceInfo(c: Caller, router: RouterView, body: Body) {
  const portId = typeof body.port_id === "string" ? body.port_id : undefined;
  const subnetId = typeof body.subnet_id === "string" ? body.subnet_id : undefined;
  const subnet = subnetId === undefined ? undefined : await c.subnet.show({ id: subnetId });
  const port = portId ?? router.interfaces.find((i) => i.subnet_id === subnet?.id)?.port_id;
  const shown = port === undefined ? undefined : await c.port.show({ id: port });
  const subnetIds = shown ? shown.fixed_ips.map((f) => f.subnet_id) : subnet ? [subnet.id] : [];
  return {
    id: router.id,
    tenant_id: router.project_id,
    project_id: router.project_id,
    port_id: shown?.id ?? null,
    subnet_id: subnetIds[0] ?? null,
    subnet_ids: subnetIds,
    network_id: shown?.network_id ?? subnet?.network_id ?? null,
  };
}

const interfaceBody = (body: Body) => fieldsOf(routerInterface, body);
const routesBody = (body: Body) => {
  const fields = knownFields(z.object({ routes: routerUpdate.shape.routes }), member(body, "router"));
  if (!Array.isArray(fields.routes))
    throw new RestError(400, "HTTPBadRequest", "Invalid input: routes must be a list");
  return fields.routes as { destination?: unknown; nexthop?: unknown }[];
};
const sameRoute = (
  a: { destination?: unknown; nexthop?: unknown },
  b: { destination?: unknown; nexthop?: unknown },
) => a.destination === b.destination && a.nexthop === b.nexthop;

const RESOURCES: Resource[] = [
  {
    singular: "network",
    collection: "networks",
    attributes: networkAttributes,
    procedures: (c) => c.network,
    create: networkCreate,
    update: networkUpdate,
    convert: networkBody,
  },
  {
    singular: "subnet",
    collection: "subnets",
    attributes: subnetAttributes,
    procedures: (c) => c.subnet,
    create: subnetCreate,
    update: subnetUpdate,
  },
  {
    singular: "port",
    collection: "ports",
    attributes: portAttributes,
    procedures: (c) => c.port,
    listText: (c) => c.port.listText(undefined),
    create: portCreate,
    update: portUpdate,
  },
  {
    singular: "router",
    collection: "routers",
    attributes: routerAttributes,
    procedures: (c) => c.router,
    create: routerCreate,
    update: routerUpdate,
    actions: {
      add_router_interface: async (c, id, body) => {
        const fields = interfaceBody(body);
        const router = await c.router.addInterface(input(routerInterface, { ...fields, id }));
        return json(200, await routerInterfaceInfo(c, router, fields));
      },
      remove_router_interface: async (c, id, body) => {
        const fields = interfaceBody(body);
        const info = await routerInterfaceInfo(c, await c.router.show({ id }), fields);
        await c.router.removeInterface(input(routerInterface, { ...fields, id }));
        return json(200, info);
      },
      add_extraroutes: async (c, id, body) => {
        const adding = routesBody(body);
        const { routes } = await c.router.show({ id });
        const merged = [...routes, ...adding.filter((r) => !routes.some((o) => sameRoute(o, r)))];
        const router = await c.router.update(input(routerUpdate, { id, routes: merged }));
        return json(200, { router });
      },
      remove_extraroutes: async (c, id, body) => {
        const removing = routesBody(body);
        const { routes } = await c.router.show({ id });
        const kept = routes.filter((r) => !removing.some((o) => sameRoute(o, r)));
        const router = await c.router.update(input(routerUpdate, { id, routes: kept }));
        return json(200, { router });
      },
    },
  },
  {
    singular: "floatingip",
    collection: "floatingips",
    attributes: floatingIpAttributes,
    procedures: (c) => c.floatingIp,
    create: floatingIpCreate,
    update: floatingIpUpdate,
  },
  {
    singular: "security_group",
    collection: "security-groups",
    label: "SecurityGroup",
    attributes: securityGroupAttributes,
    procedures: (c) => c.securityGroup,
    create: securityGroupCreate,
    update: securityGroupUpdate,
  },
  {
    singular: "security_group_rule",
    collection: "security-group-rules",
    label: "SecurityGroupRule",
    attributes: securityGroupRuleAttributes,
    procedures: (c) => c.securityGroupRule,
    create: securityGroupRuleCreate,
  },
];

const byCollection = new Map(RESOURCES.map((r) => [r.collection, r]));

/** Neutron's error shape. */
export function neutronError(error: RestError): Response {
  const headers: Record<string, string> =
    error.status === 401 ? { "www-authenticate": 'Keystone uri="/identity"' } : {};
  return json(
    error.status,
    { NeutronError: { type: error.type, message: error.message, detail: "" } },
    headers,
  );
}

const notFound = (resource: Resource, id: string) => {
  const label =
    resource.label ??
    (resource.singular === "floatingip"
      ? "FloatingIP"
      : resource.singular.replace(/^./, (c) => c.toUpperCase()));
  return new RestError(404, `${label}NotFound`, `${label} ${id} could not be found.`);
};

function versions(origin: string) {
  return {
    versions: [
      { id: VERSION, status: "CURRENT", links: [{ href: `${origin}/networking/${VERSION}`, rel: "self" }] },
    ],
  };
}

function resources(origin: string) {
  return {
    resources: RESOURCES.map((r) => ({
      name: r.singular,
      collection: r.collection,
      links: [{ href: `${origin}/networking/${VERSION}/${r.collection}`, rel: "self" }],
    })),
  };
}

async function list(call: RestCall, resource: Resource): Promise<Response> {
  // The path says security-groups, the body security_groups.
  const key = resource.collection.replaceAll("-", "_");
  if (resource.listText && call.url.searchParams.size === 0) {
    return jsonText(200, `{${JSON.stringify(key)}:${await resource.listText(call.caller)}}`);
  }
  const views = (await resource.procedures(call.caller).list(undefined)) as View[];
  const page = applyQuery(views, call.url.searchParams, resource.attributes);
  const body: Record<string, unknown> = { [key]: page.items };
  if (page.next !== null) {
    const next = new URL(`${call.origin}${call.url.pathname}${call.url.search}`);
    next.searchParams.set("marker", page.next);
    body[`${key}_links`] = [{ rel: "next", href: next.toString() }];
  }
  return json(200, body);
}

async function onItem(call: RestCall, resource: Resource, id: string, action: string | undefined) {
  const { req, caller } = call;
  if (!isUuid(id)) throw notFound(resource, id);
  if (action !== undefined) {
    const run = resource.actions?.[action];
    if (!run || req.method !== "PUT")
      throw new RestError(404, "HTTPNotFound", `No action ${action} on ${resource.collection}`);
    return run(caller, id, await readJson(req));
  }
  switch (req.method) {
    case "GET":
      return json(200, {
        [resource.singular]: pickFields(
          (await resource.procedures(caller).show({ id })) as View,
          call.url.searchParams,
        ),
      });
    case "PUT": {
      const update = resource.procedures(caller).update;
      if (!resource.update || !update) break;
      const body = member(await readJson(req), resource.singular);
      const fields = fieldsOf(resource.update, resource.convert?.(body) ?? body);
      return json(200, { [resource.singular]: await update({ ...fields, id }) });
    }
    case "DELETE":
      await resource.procedures(caller).delete({ id });
      return noContent();
  }
  throw new RestError(405, "HTTPMethodNotAllowed", `${req.method} is not allowed on a ${resource.singular}`);
}

async function onCollection(call: RestCall, resource: Resource): Promise<Response> {
  switch (call.req.method) {
    case "GET":
      return list(call, resource);
    case "POST": {
      const body = member(await readJson(call.req), resource.singular);
      const fields = fieldsOf(resource.create, resource.convert?.(body) ?? body);
      return json(201, { [resource.singular]: await resource.procedures(call.caller).create(fields) });
    }
    default:
      throw new RestError(
        405,
        "HTTPMethodNotAllowed",
        `${call.req.method} is not allowed on ${resource.collection}`,
      );
  }
}

export async function networking(call: RestCall, path: string[]): Promise<Response> {
  const [version, collection, id, action, ...rest] = path;
  if (version === undefined) return json(200, versions(call.origin));
  if (version !== VERSION)
    throw new RestError(404, "HTTPNotFound", `No API version ${version} (this is ${VERSION})`);
  if (collection === undefined) return json(200, resources(call.origin));
  if (!call.ctx.session) {
    throw new RestError(
      401,
      "HTTPUnauthorized",
      call.ctx.authError ?? "Authentication required: send X-Auth-Token",
    );
  }
  if (collection === "extensions") {
    if (id === undefined) return json(200, { extensions: EXTENSIONS });
    const extension = EXTENSIONS.find((e) => e.alias === id);
    if (!extension) throw new RestError(404, "HTTPNotFound", `Extension with alias ${id} does not exist`);
    return json(200, { extension });
  }
  if (collection === "floatingips" && id !== undefined && action === "port_forwardings")
    return portForwardings(call, id, rest);
  if (collection === "routers" && id !== undefined && action === "l3-agents" && rest.length === 0) {
    if (call.req.method !== "GET")
      throw new RestError(405, "HTTPMethodNotAllowed", `${call.req.method} is not allowed on l3-agents`);
    return json(200, { agents: await call.caller.router.l3Agents({ id }) });
  }
  const resource = byCollection.get(collection);
  if (!resource || rest.length > 0)
    throw new RestError(404, "HTTPNotFound", `The resource could not be found.`);
  return id === undefined ? onCollection(call, resource) : onItem(call, resource, id, action);
}
