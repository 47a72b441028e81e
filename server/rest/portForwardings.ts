// Neutron's floating IP port forwardings under /networking/v2.0/floatingips/{id}/port_forwardings[/{pf id}]: a
// thin adapter over the tRPC procedures, with Neutron's bodies (port_forwarding / port_forwardings) and errors.
import { portForwardingCreate, portForwardingUpdate } from "../../lib/schemas/portForwarding";
import type { PortForwardingView } from "../domain/portForwardings";
import { isUuid } from "../domain/refs";
import type { RestCall } from "./context";
import { input, json, knownFields, member, noContent, RestError, readJson } from "./http";
import { applyQuery, pickFields } from "./query";

const attributes = [
  "id",
  "internal_port_id",
  "internal_ip_address",
  "internal_port",
  "external_port",
  "protocol",
  "description",
] as const satisfies readonly (keyof PortForwardingView)[];

/** The body's fields, each one the schema has; the path names the floating IP (and the forwarding). */
const fields = (
  schema: typeof portForwardingCreate | typeof portForwardingUpdate,
  body: Record<string, unknown>,
) => knownFields(schema, member(body, "port_forwarding"));

export async function portForwardings(
  call: RestCall,
  floatingIpId: string,
  rest: string[],
): Promise<Response> {
  const { req, caller } = call;
  const [id, ...more] = rest;
  if (!isUuid(floatingIpId) || more.length > 0)
    throw new RestError(404, "HTTPNotFound", "The resource could not be found.");
  if (id === undefined) {
    switch (req.method) {
      case "GET": {
        const views = await caller.portForwarding.list({ floatingip_id: floatingIpId });
        const page = applyQuery(views, call.url.searchParams, attributes);
        return json(200, { port_forwardings: page.items });
      }
      case "POST": {
        const body = fields(portForwardingCreate, await readJson(req));
        const created = await caller.portForwarding.create(
          input(portForwardingCreate, { ...body, floatingip_id: floatingIpId }),
        );
        return json(201, { port_forwarding: created });
      }
    }
    throw new RestError(405, "HTTPMethodNotAllowed", `${req.method} is not allowed on port_forwardings`);
  }
  if (!isUuid(id))
    throw new RestError(
      404,
      "PortForwardingNotFound",
      `Port Forwarding ${id} could not be found on Floating IP ${floatingIpId}.`,
    );
  const ref = { floatingip_id: floatingIpId, id };
  switch (req.method) {
    case "GET":
      return json(200, {
        port_forwarding: pickFields(await caller.portForwarding.show(ref), call.url.searchParams),
      });
    case "PUT": {
      const body = fields(portForwardingUpdate, await readJson(req));
      const updated = await caller.portForwarding.update(input(portForwardingUpdate, { ...body, ...ref }));
      return json(200, { port_forwarding: updated });
    }
    case "DELETE":
      await caller.portForwarding.delete(ref);
      return noContent();
  }
  throw new RestError(405, "HTTPMethodNotAllowed", `${req.method} is not allowed on a port_forwarding`);
}
