// The audit trail of one mutation: who asked (user, project, session or API token), from where (address, user
// agent), what (the procedure, the resource it names as the API shows it before and after, its input with
// secrets taken out) and how it ended. The tRPC middleware opens one per mutation (server/api/trpc.ts);
// write() records it inside the change's own transaction (server/api/write.ts), so that no change commits
// without its entry; the middleware records what write() did not: changes made outside the model's
// transaction (tokens, logins, drift) right after they succeed, and failures once their transaction rolled back.
import type { TRPCError } from "@trpc/server";
import { eq } from "drizzle-orm";
import { ZodError } from "zod";
import type { Session } from "../auth/access";
import type { RequestFacts } from "../auth/http";
import type { Executor } from "../db/client";
import { apiTokens, auditLog } from "../db/schema";
import type { ChangeEvent } from "../events";

/** A resource as the API shows it: what `show` answers. */
export type View = object;

/** What an entry's procedure acts on, by the procedure's router: `network.update` acts on a network. */
export type Subject = {
  kind: string;
  /** The resource the input names (an update, a delete, an action on it); undefined for a create. */
  ref(input: Record<string, unknown>): string | undefined;
  /** The resource as the API shows it, or null where the caller cannot see it (or it does not exist). */
  read?(ex: Executor, session: Session, ref: string): Promise<View | null>;
  /** Input fields that may carry a secret besides the ones named like one (a token revoked by its value). */
  redact?(input: Record<string, unknown>): Record<string, unknown>;
  /** Who an anonymous caller turned out to be (a login): entries need a user. */
  caller?(result: unknown): { userId: string; userName: string; projectId: string | null } | null;
};

export const REDACTED = "[redacted]";
/** Fields named like a secret are never written, at any depth; nor user data (cloud-init files carry passwords). */
const SECRET_FIELD = /password|secret|^token$|^user_data$/i;
const MAX_STRING = 1024;
const MAX_ITEMS = 100;
const MAX_DEPTH = 8;
/** A surrogate without its pair (NUL, the other character PostgreSQL refuses, is replaced on its own). */
const UNPAIRED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A value fit for a jsonb or text column: PostgreSQL refuses NUL in both and unpaired surrogates in jsonb, and
 * raw input can be anything a client sends, so such characters become U+FFFD; long strings, lists and deep
 * objects are cut (the entry says where) so that one hostile request cannot write megabytes.
 */
export function storable(value: unknown, depth = 0): unknown {
  if (typeof value === "string") {
    const text = value.replace(UNPAIRED, "\uFFFD").replaceAll("\u0000", "\uFFFD");
    return text.length > MAX_STRING
      ? `${text.slice(0, MAX_STRING)}…[${text.length - MAX_STRING} more characters]`
      : text;
  }
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value !== "object") return value === undefined ? null : String(value);
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return "…[nested too deep]";
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => storable(v, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `…[${value.length - MAX_ITEMS} more items]`] : items;
  }
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value);
  for (const [key, v] of entries.slice(0, MAX_ITEMS)) {
    if (v === undefined) continue;
    out[storable(key) as string] = SECRET_FIELD.test(key) ? REDACTED : storable(v, depth + 1);
  }
  if (entries.length > MAX_ITEMS) out["…"] = `${entries.length - MAX_ITEMS} more fields`;
  return out;
}

const asRecord = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/**
 * A name or ID worth looking up: what `ref` in lib/schemas/common.ts admits, control characters aside (they
 * name nothing, and a NUL would fail the query instead of the change).
 */
function lookupable(ref: unknown): ref is string {
  return (
    typeof ref === "string" &&
    ref.trim().length > 0 &&
    ref.length <= 255 &&
    ![...ref].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
  );
}

const idOf = (value: unknown): string | undefined => {
  const id = asRecord(value).id;
  return typeof id === "string" ? id : undefined;
};

/** What the caller was told: Neutron's words for refusals, nothing of an internal error's detail. */
function errorText(error: TRPCError): string {
  if (error.code === "INTERNAL_SERVER_ERROR") return "Internal error (details in the server's log)";
  if (error.cause instanceof ZodError) {
    return error.cause.issues
      .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
      .join("; ");
  }
  return error.message;
}

type Who = {
  userId: string | null;
  userName: string;
  projectId: string | null;
  via: "cookie" | "token" | "internal";
  tokenId: string | null;
  tokenName: string | null;
};

export class AuditTrail {
  #recorded = false;

  private constructor(
    private readonly procedure: string,
    private readonly subject: Subject,
    private readonly session: Session | null,
    private readonly who: Who | null,
    private readonly input: unknown,
    private readonly ref: string | undefined,
    private readonly before: View | null,
    private readonly request: RequestFacts | null,
  ) {}

  /**
   * Reads what the entry needs before the change: the token's name, and the named resource as it is now (read
   * just before the change's transaction, so a concurrent change may slip in between; the entry shows the
   * resource as its caller could have seen it).
   */
  static async open(
    ex: Executor,
    call: {
      procedure: string;
      subject: Subject;
      session: Session | null;
      request: RequestFacts | null;
      input: unknown;
    },
  ): Promise<AuditTrail> {
    const { session, subject } = call;
    const raw = asRecord(call.input);
    const named = subject.ref(raw);
    const ref = lookupable(named) ? named.trim() : undefined;
    let who: Who | null = null;
    if (session) {
      const token =
        session.via === "token" && session.credential
          ? (await ex.select().from(apiTokens).where(eq(apiTokens.id, session.credential)))[0]
          : undefined;
      who = {
        userId: session.userId,
        userName: session.user,
        projectId: session.projectId,
        via: session.via,
        tokenId: token?.id ?? null,
        tokenName: token?.name ?? null,
      };
    }
    const before = session && ref && subject.read ? await subject.read(ex, session, ref) : null;
    const input = storable(subject.redact ? subject.redact(raw) : call.input);
    return new AuditTrail(call.procedure, subject, session, who, input, ref, before, call.request);
  }

  /** True once the entry is written (by write() in the change's transaction, or by the middleware). */
  get recorded(): boolean {
    return this.#recorded;
  }

  /** The entry of a change that succeeded; `changes` are the resources its transaction reported. */
  async succeeded(ex: Executor, result: unknown, changes: readonly ChangeEvent[] = []): Promise<void> {
    const who = this.who ?? this.callerFrom(result);
    // An anonymous call that named no one (a logout without a session) changed nothing of anyone's.
    if (!who) return;
    const ref = idOf(this.before) ?? idOf(result) ?? this.ref;
    const after =
      this.session && ref && this.subject.read ? await this.subject.read(ex, this.session, ref) : null;
    await this.write(ex, who, {
      after,
      resourceId: ref ?? null,
      resourceName: nameOf(after) ?? nameOf(this.before),
      changes: changes.map(({ kind, id, action }) => ({ kind, id, action })),
      outcome: "ok",
    });
  }

  /**
   * The entry of a change that was refused or failed (its transaction, if any, rolled back). Anonymous callers
   * get none: anyone can send those, and the log must not grow at a stranger's pace (the login throttle and the
   * server's log cover failed logins).
   */
  async failed(ex: Executor, error: TRPCError): Promise<void> {
    if (!this.who) return;
    await this.write(ex, this.who, {
      after: null,
      resourceId: idOf(this.before) ?? this.ref ?? null,
      resourceName: nameOf(this.before),
      changes: [],
      outcome: "error",
      errorCode: error.code,
      error: storable(errorText(error)) as string,
    });
  }

  private callerFrom(result: unknown): Who | null {
    const caller = this.subject.caller?.(result);
    // Over HTTP a login answers with a session cookie; in-process callers (tests, start-up) get none.
    const via = this.request ? "cookie" : "internal";
    return caller ? { ...caller, via, tokenId: null, tokenName: null } : null;
  }

  private async write(
    ex: Executor,
    who: Who,
    what: {
      after: View | null;
      resourceId: string | null;
      resourceName: string | null;
      changes: { kind: string; id: string; action: string }[];
      outcome: "ok" | "error";
      errorCode?: string;
      error?: string;
    },
  ): Promise<void> {
    const userAgent = this.request?.userAgent ?? null;
    await ex.insert(auditLog).values({
      ...who,
      userName: storable(who.userName) as string,
      procedure: this.procedure,
      resourceKind: this.subject.kind,
      ...what,
      resourceId: what.resourceId === null ? null : (storable(what.resourceId) as string),
      resourceName: what.resourceName === null ? null : (storable(what.resourceName) as string),
      before: storable(this.before),
      after: storable(what.after),
      input: this.input,
      address: this.request ? (storable(this.request.address) as string) : null,
      userAgent: userAgent === null ? null : (storable(userAgent) as string),
    });
    this.#recorded = true;
  }
}

/** How people name the resource: its name, or a floating IP's address (they have no name). */
const nameOf = (view: View | null): string | null => {
  const { name, floating_ip_address: address } = asRecord(view);
  if (typeof name === "string" && name !== "") return name;
  return typeof address === "string" ? address : null;
};
