// The HTTP side of the OpenStack REST API (Keystone and Neutron): JSON answers, reading a JSON request body,
// and RestError, what every refusal becomes before each service writes it in its own error shape.
import { z } from "zod";

/** A refusal: the HTTP status, the error's type as OpenStack names it, and the words the client prints. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = "RestError";
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return jsonText(status, JSON.stringify(body), headers);
}

/** An answer whose body is JSON text already. */
export function jsonText(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "application/json", ...headers } });
}

export const noContent = (headers: Record<string, string> = {}) =>
  new Response(null, { status: 204, headers });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The request's JSON object; a body of another type, not JSON, or not an object is a 400. */
export async function readJson(req: Request): Promise<Record<string, unknown>> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type !== "application/json") {
    throw new RestError(400, "InvalidContentType", `Invalid content type ${type || "(none)"}.`);
  }
  let body: unknown;
  try {
    body = JSON.parse(await req.text());
  } catch {
    throw new RestError(400, "MalformedRequestBody", "Malformed JSON in request body.");
  }
  if (!isRecord(body))
    throw new RestError(400, "MalformedRequestBody", "The request body must be a JSON object.");
  return body;
}

/** `body[key]` as an object, or a 400 that says what was missing (Neutron's words). */
export function member(body: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = body[key];
  if (!isRecord(value)) throw new RestError(400, "HTTPBadRequest", `Unable to find '${key}' in request body`);
  return value;
}

/**
 * `body` if each of its fields is one the schema has (the ID aside: the URL names the resource), or the 400
 * Neutron answers for the others; zod would drop them silently, and the caller believe they were applied.
 */
export function knownFields(schema: z.ZodType, body: Record<string, unknown>): Record<string, unknown> {
  const object = schema instanceof z.ZodOptional ? schema.unwrap() : schema;
  const allowed = new Set(object instanceof z.ZodObject ? Object.keys(object.shape) : []);
  allowed.delete("id");
  const unknown = Object.keys(body).filter((k) => !allowed.has(k));
  if (unknown.length > 0) {
    throw new RestError(400, "HTTPBadRequest", `Unrecognized attribute(s) '${unknown.join(", ")}'`);
  }
  return body;
}

/**
 * A body as input for a procedure, which parses it with its own schema (the adapter only checked which fields
 * there are): typed as the schema's input, what tRPC's own clients send.
 */
export const input = <S extends z.ZodType>(_schema: S, body: Record<string, unknown>) => body as z.input<S>;

/** The path below `base` ("/networking"), split on "/", without empty segments. */
export function segments(url: URL, base: string): string[] {
  return url.pathname
    .slice(base.length)
    .split("/")
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new RestError(400, "HTTPBadRequest", `Malformed path segment ${s}`);
      }
    });
}
