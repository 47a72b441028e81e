// Glance v2 under /image, empty: netlens's lab instances boot no image, but `openstack server list|show` make
// an image client before anything else (to print image names) and fail without an image service in the catalog.
import type { RestCall } from "./context";
import { json, RestError } from "./http";

export function glanceError(error: RestError): Response {
  return json(error.status, { code: error.status, title: error.type, message: error.message });
}

export async function image(call: RestCall, path: string[]): Promise<Response> {
  const [major, collection, id, ...rest] = path;
  const href = `${call.origin}/image/v2`;
  if (major === undefined) {
    return json(300, { versions: [{ id: "v2.9", status: "CURRENT", links: [{ rel: "self", href }] }] });
  }
  if (major !== "v2") throw new RestError(404, "NotFound", `No API version ${major}`);
  if (!call.ctx.session)
    throw new RestError(401, "Unauthorized", call.ctx.authError ?? "Authentication required");
  if (collection === "images" && call.req.method === "GET" && rest.length === 0) {
    if (id === undefined) return json(200, { images: [], first: "/v2/images", schema: "/v2/schemas/images" });
    throw new RestError(404, "Not Found", `No image found with ID ${id}`);
  }
  throw new RestError(404, "Not Found", `Could not find ${call.url.pathname}`);
}
