// Domain errors carry an HTTP-like code and, where Neutron has one, Neutron's name for the error: the tRPC API
// turns them into TRPCErrors with the same code and message, the REST API (server/rest) into NeutronErrors.
export type DomainErrorCode = "BAD_REQUEST" | "NOT_FOUND" | "CONFLICT" | "FORBIDDEN";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Neutron's exception name (NetworkNotFound, IpAddressGenerationFailure, ...), which REST clients read. */
    readonly type?: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const badRequest = (message: string, type?: string) => new DomainError("BAD_REQUEST", message, type);
export const notFound = (message: string, type?: string) => new DomainError("NOT_FOUND", message, type);
export const conflict = (message: string, type?: string) => new DomainError("CONFLICT", message, type);

type PgError = { code: string; constraint?: string };

/** The PostgreSQL error under drizzle's wrapper (it keeps the driver's error as `cause`). */
function pgError(error: unknown): PgError | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === "object" && e !== null; depth++) {
    const { code, constraint } = e as { code?: unknown; constraint?: unknown };
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
      return { code, constraint: typeof constraint === "string" ? constraint : undefined };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const uniqueViolation = (error: unknown) => pgError(error)?.code === "23505";
export const foreignKeyViolation = (error: unknown) => pgError(error)?.code === "23503";
