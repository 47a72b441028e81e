// API tokens checked a moment ago: the caller behind a token, remembered for a few seconds by the token's digest.
//
// Why: each OpenStack REST call carries its token, and finding the caller behind it took three queries (the token,
// the user, the roles), ~2 ms of a ~15 ms port list. What may change meanwhile, and how soon it is seen:
// - on this server, at once: every tRPC mutation (a token revoked, a password changed, a user or a role changed or
//   removed) and Keystone's DELETE of a token forget every entry (`forgetAll`), so the next call checks again;
// - by another server on the same database: within `ttlMs` (5 s by default), after which an entry is checked again.
// Only successes are kept (an unknown token costs its queries each time); an entry never outlives the token's
// expiry; what is kept is the digest the database stores, not the token.
import type { Executor } from "../db/client";
import { sessionFromToken, type TokenCheck } from "./credentials";
import { digest } from "./secrets";

export type TokenChecksPolicy = {
  /** How long a check is trusted: how late another server's revocation may be seen here. */
  ttlMs: number;
  /** Entries kept at most: the oldest are forgotten first. */
  maxEntries: number;
};

export const defaultTokenChecks: TokenChecksPolicy = { ttlMs: 5_000, maxEntries: 1000 };

type Valid = Extract<TokenCheck, { session: object }>;

export class TokenChecks {
  /** Digest -> the check and until when (ms) it is trusted, oldest first (a Map keeps insertion order). */
  readonly #entries = new Map<string, { check: Valid; until: number }>();
  /** Counts `forgetAll`s: a check read before one is not kept (it may predate the change). */
  #generation = 0;

  constructor(
    readonly policy: TokenChecksPolicy = defaultTokenChecks,
    private readonly now: () => number = Date.now,
  ) {}

  /** The caller behind `token`: remembered if checked within the last `ttlMs`, else from the database. */
  async check(ex: Executor, token: string): Promise<TokenCheck> {
    const key = digest(token);
    const now = this.now();
    const kept = this.#entries.get(key);
    if (kept && kept.until > now) return kept.check;
    this.#entries.delete(key);
    const generation = this.#generation;
    const check = await sessionFromToken(ex, token, new Date(now));
    if (check.session && generation === this.#generation) {
      if (this.#entries.size >= this.policy.maxEntries) {
        const oldest = this.#entries.keys().next();
        if (!oldest.done) this.#entries.delete(oldest.value);
      }
      const until = Math.min(now + this.policy.ttlMs, check.row.expiresAt.getTime());
      this.#entries.set(key, { check, until });
    }
    return check;
  }

  /** Every token is checked again: something that decides who a token's caller is (or whether it is) changed. */
  forgetAll(): void {
    this.#generation++;
    this.#entries.clear();
  }
}
