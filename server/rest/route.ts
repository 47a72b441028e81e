// What Next's route handlers under /identity and /networking call: the REST API over the process's services.
import { requestServices } from "../api/context";
import { env } from "../env";
import { serveRest } from "./serve";

export async function restRoute(req: Request): Promise<Response> {
  return serveRest(req, { services: await requestServices(), trustedProxies: env().NETLENS_TRUSTED_PROXIES });
}
