// What a failed call becomes for REST clients: the tRPC procedures' refusals (their DomainError's Neutron type,
// their validation issues) keep their status and words; a fault of ours is logged under an id, and the client
// gets only the id.
import { randomBytes } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError } from "zod";
import { issuesText } from "../api/trpc";
import { DomainError } from "../domain/errors";
import { logger } from "../logger";
import { RestError } from "./http";

/** Neutron's generic types per status, for refusals that have no type of their own. */
const GENERIC: Record<number, string> = {
  400: "HTTPBadRequest",
  401: "HTTPUnauthorized",
  403: "PolicyNotAuthorized",
  404: "HTTPNotFound",
  409: "Conflict",
  412: "HTTPPreconditionFailed",
  429: "OverQuota",
};

export function restErrorOf(error: unknown): RestError {
  if (error instanceof RestError) return error;
  if (error instanceof TRPCError && error.code !== "INTERNAL_SERVER_ERROR") {
    const status = getHTTPStatusCodeFromError(error);
    if (error.cause instanceof ZodError) {
      return new RestError(400, "HTTPBadRequest", issuesText(error.cause));
    }
    const type = error.cause instanceof DomainError ? error.cause.type : undefined;
    return new RestError(status, type ?? GENERIC[status] ?? "HTTPError", error.message);
  }
  // The procedures log their own faults (with the id in the message); anything else is logged here.
  if (error instanceof TRPCError) return new RestError(500, "HTTPInternalServerError", error.message);
  const errorId = randomBytes(4).toString("hex");
  logger.error({ err: error, errorId }, "REST request failed");
  return new RestError(500, "HTTPInternalServerError", `Something went wrong (error id ${errorId})`);
}
