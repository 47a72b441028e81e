// Nova v2.1 under /compute, only what `openstack server list|show|delete` need, over netlens's instances (the
// `server` procedures): a lab instance is a namespace with one port, so a server here has no flavor or image,
// and its addresses are its port's fixed IPs and the floating IPs on that port. `server add|remove floating ip`
// need nothing of Nova: the client sets the floating IP's port through Neutron; `server add|remove security
// group` find the group in Nova's proxy list (/os-security-groups) and call Nova's server actions
// (addSecurityGroup, removeSecurityGroup), which change the server's port.
import type { Status } from "../db/schema";
import { isUuid } from "../domain/refs";
import type { SecurityGroupView } from "../domain/securityGroups";
import type { ServerView } from "../domain/servers";
import type { RestCall } from "./context";
import { json, member, noContent, RestError, readJson } from "./http";

const VERSION = "2.1";
const UPDATED = "2013-07-23T11:33:21Z";
const HEADERS = { "openstack-api-version": `compute ${VERSION}`, "x-openstack-nova-api-version": VERSION };

/** Nova's error shape: the body's key names the kind of error. */
const KINDS: Record<number, string> = {
  400: "badRequest",
  401: "unauthorized",
  403: "forbidden",
  404: "itemNotFound",
  405: "HTTPMethodNotAllowed",
  409: "conflictingRequest",
};

export function novaError(error: RestError): Response {
  const kind = KINDS[error.status] ?? "computeFault";
  return json(error.status, { [kind]: { code: error.status, message: error.message } }, HEADERS);
}

function version(origin: string) {
  return {
    id: `v${VERSION}`,
    status: "CURRENT",
    version: VERSION,
    min_version: VERSION,
    updated: UPDATED,
    links: [{ rel: "self", href: `${origin}/compute/v${VERSION}` }],
  };
}

/** Nova's statuses for netlens's: PENDING is still being built on the host. */
const STATUS: Record<Status, string> = {
  PENDING: "BUILD",
  ACTIVE: "ACTIVE",
  ERROR: "ERROR",
  DOWN: "SHUTOFF",
};

function serverOf(call: RestCall, s: ServerView, floating: ReadonlySet<string>) {
  const addresses = Object.fromEntries(
    Object.entries(s.addresses).map(([network, addrs]) => [
      network,
      addrs.map((addr) => ({
        addr,
        version: 4,
        "OS-EXT-IPS:type": floating.has(addr) ? "floating" : "fixed",
        "OS-EXT-IPS-MAC:mac_addr": s.mac_address,
      })),
    ]),
  );
  const status = STATUS[s.status];
  return {
    id: s.id,
    name: s.name,
    status,
    tenant_id: s.project_id,
    user_id: "",
    created: s.created_at,
    updated: s.updated_at,
    addresses,
    // No flavor: clients read its id (empty here) to look a name up.
    flavor: { id: "", links: [] },
    image: "",
    key_name: null,
    metadata: {},
    hostId: "",
    accessIPv4: "",
    accessIPv6: "",
    "OS-EXT-STS:vm_state": status.toLowerCase(),
    "OS-EXT-SRV-ATTR:host": s.host,
    "OS-EXT-AZ:availability_zone": "nova",
    security_groups: s.security_groups,
    links: [{ rel: "self", href: `${call.origin}/compute/v${VERSION}/servers/${s.id}` }],
  };
}

/** Nova's `name` filter is a regular expression; one that does not compile matches the name as it is. */
function nameMatches(pattern: string | null, name: string): boolean {
  if (pattern === null) return true;
  try {
    return new RegExp(pattern).test(name);
  } catch {
    return pattern === name;
  }
}

async function floatingAddresses(call: RestCall): Promise<Set<string>> {
  return new Set((await call.caller.floatingIp.list(undefined)).map((f) => f.floating_ip_address));
}

/** POST /servers/{id}/action: the security group actions, which name the group (in the server's project). */
async function serverAction(call: RestCall, id: string): Promise<Response> {
  if (call.req.method !== "POST")
    throw new RestError(405, "MethodNotAllowed", `${call.req.method} is not allowed on a server's action`);
  const body = await readJson(call.req);
  const [action] = Object.keys(body);
  if (action !== "addSecurityGroup" && action !== "removeSecurityGroup")
    throw new RestError(404, "NotFound", `There is no such action: ${action ?? "(none)"}`);
  const { name } = member(body, action);
  if (typeof name !== "string" || name === "")
    throw new RestError(400, "BadRequest", `${action} needs the security group's name`);
  const input = { id, security_group: name };
  await (action === "addSecurityGroup"
    ? call.caller.server.addSecurityGroup(input)
    : call.caller.server.removeSecurityGroup(input));
  return new Response(null, { status: 202, headers: HEADERS });
}

async function servers(call: RestCall, id: string | undefined, rest: string[]): Promise<Response> {
  const { req, caller, url } = call;
  if (id === undefined || (id === "detail" && rest.length === 0)) {
    if (req.method !== "GET")
      throw new RestError(405, "MethodNotAllowed", `${req.method} is not allowed here`);
    const name = url.searchParams.get("name");
    const [listed, floating] = await Promise.all([caller.server.list(undefined), floatingAddresses(call)]);
    const shown = listed.filter((s) => nameMatches(name, s.name)).map((s) => serverOf(call, s, floating));
    return json(200, { servers: shown }, HEADERS);
  }
  if (rest.length === 1 && rest[0] === "action") return serverAction(call, id);
  if (rest.length > 0) throw new RestError(404, "NotFound", `Could not find ${url.pathname}`);
  switch (req.method) {
    case "GET": {
      const [server, floating] = await Promise.all([caller.server.show({ id }), floatingAddresses(call)]);
      return json(200, { server: serverOf(call, server, floating) }, HEADERS);
    }
    case "DELETE":
      await caller.server.delete({ id });
      return noContent(HEADERS);
    default:
      throw new RestError(405, "MethodNotAllowed", `${req.method} is not allowed on a server`);
  }
}

/** Nova's proxy view of a security group (its rules in Nova's words), as `openstack server add security group` finds it. */
function novaSecurityGroup(g: SecurityGroupView) {
  return {
    id: g.id,
    name: g.name,
    description: g.description,
    tenant_id: g.project_id,
    rules: g.security_group_rules
      .filter((r) => r.direction === "ingress")
      .map((r) => ({
        id: r.id,
        parent_group_id: g.id,
        ip_protocol: r.protocol,
        from_port: r.port_range_min,
        to_port: r.port_range_max,
        ip_range: r.remote_ip_prefix === null ? {} : { cidr: r.remote_ip_prefix },
        group: r.remote_group_id === null ? {} : { tenant_id: g.project_id },
      })),
  };
}

/** GET /os-security-groups[/{id}]: the caller's project's groups, as Nova's proxy API lists them. */
async function securityGroups(call: RestCall, id: string | undefined): Promise<Response> {
  if (call.req.method !== "GET")
    throw new RestError(405, "MethodNotAllowed", `${call.req.method} is not allowed here`);
  const project = call.ctx.session?.projectId;
  if (id === undefined) {
    const groups = await call.caller.securityGroup.list({ project_id: project });
    return json(200, { security_groups: groups.map(novaSecurityGroup) }, HEADERS);
  }
  // Nova takes IDs only here; clients look names up in the list.
  if (!isUuid(id)) throw new RestError(404, "NotFound", `Security group ${id} not found.`);
  return json(
    200,
    { security_group: novaSecurityGroup(await call.caller.securityGroup.show({ id })) },
    HEADERS,
  );
}

export async function compute(call: RestCall, path: string[]): Promise<Response> {
  const [major, collection, id, ...rest] = path;
  if (major === undefined) return json(200, { versions: [version(call.origin)] }, HEADERS);
  if (major !== `v${VERSION}`) throw new RestError(404, "NotFound", `No API version ${major}`);
  if (collection === undefined) return json(200, { version: version(call.origin) }, HEADERS);
  if (!call.ctx.session)
    throw new RestError(401, "Unauthorized", call.ctx.authError ?? "Authentication required");
  switch (collection) {
    case "servers":
      return servers(call, id, rest);
    case "os-security-groups":
      if (rest.length > 0) throw new RestError(404, "NotFound", `Could not find ${call.url.pathname}`);
      return securityGroups(call, id);
    // Lab instances have neither; clients look them up to print names.
    case "flavors":
      if (id === undefined || id === "detail") return json(200, { flavors: [] }, HEADERS);
      throw new RestError(404, "NotFound", `Flavor ${id} could not be found.`);
    default:
      throw new RestError(404, "NotFound", `Could not find ${call.url.pathname}`);
  }
}
