// The OpenStack REST API's entry: /identity (Keystone v3), /networking (Neutron v2.0), /compute (Nova v2.1) and
// /image (an empty Glance, for the server commands), each answering its refusals in its own error shape. Next's
// route handlers (app/<service>) and the tests' HTTP server call it with the request and the process's services.
import { compute, novaError } from "./compute";
import type { RestDeps } from "./context";
import { restCall } from "./context";
import { restErrorOf } from "./errors";
import { segments } from "./http";
import { identity, keystoneError } from "./identity";
import { glanceError, image } from "./image";
import { networking, neutronError } from "./networking";

const SERVICES = [
  { base: "/identity", serve: identity, error: keystoneError },
  { base: "/networking", serve: networking, error: neutronError },
  { base: "/compute", serve: compute, error: novaError },
  { base: "/image", serve: image, error: glanceError },
] as const;

export async function serveRest(req: Request, deps: RestDeps): Promise<Response> {
  const url = new URL(req.url);
  const service = SERVICES.find(({ base }) => url.pathname === base || url.pathname.startsWith(`${base}/`));
  if (!service) return new Response("Not Found", { status: 404 });
  try {
    const call = await restCall(req, deps);
    return await service.serve(call, segments(url, service.base));
  } catch (error) {
    return service.error(restErrorOf(error));
  }
}
