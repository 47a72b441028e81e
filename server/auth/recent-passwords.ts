// Passwords verified a short while ago: a repeated correct login skips scrypt, a wrong one never does.
//
// Why: clients such as the `openstack` CLI keep no token and log in by password on every command, so each command
// paid one scrypt at OWASP's cost (~0.4 s of a core). The hash itself stays as slow as before: the first check of a
// password always runs scrypt, and only a success is remembered, so guessing costs a scrypt per guess as ever.
// What is remembered is a keyed digest, HMAC-SHA256 under a random key made per process and never stored, of the
// user id, the stored hash string and the password: no password (nor anything a guess could be checked against
// offline) is kept, and a new password (a new hash string, new salt) matches no earlier entry.
import { createHmac, randomBytes } from "node:crypto";
import { verifyPassword } from "./password";

export type RecentPasswordsPolicy = {
  /** How long a successful verification is remembered, from the scrypt that proved it. */
  ttlMs: number;
  /** Entries kept at most: the least recently used are forgotten first. */
  maxEntries: number;
};

export const defaultRecentPasswords: RecentPasswordsPolicy = { ttlMs: 5 * 60_000, maxEntries: 1000 };

export class RecentPasswords {
  readonly #key = randomBytes(32);
  /** Digest -> expiry (ms), in order of last use (a Map keeps insertion order). */
  readonly #entries = new Map<string, number>();

  constructor(
    readonly policy: RecentPasswordsPolicy = defaultRecentPasswords,
    private readonly now: () => number = Date.now,
    private readonly verify: (password: string, stored: string) => Promise<boolean> = verifyPassword,
  ) {}

  /** How many verifications are remembered (bounded by `maxEntries`). */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether `password` is this user's, by `stored` (their hash): remembered, else by the verifier. */
  async check(userId: string, stored: string, password: string): Promise<boolean> {
    const digest = createHmac("sha256", this.#key)
      .update(`${userId}\0${stored}\0${password}`)
      .digest("base64url");
    const expires = this.#entries.get(digest);
    this.#entries.delete(digest);
    if (expires !== undefined && expires > this.now()) {
      this.#entries.set(digest, expires);
      return true;
    }
    const ok = await this.verify(password, stored);
    if (!ok) return false;
    this.#entries.set(digest, this.now() + this.policy.ttlMs);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.policy.maxEntries) break;
      this.#entries.delete(oldest);
    }
    return true;
  }

  /** Forget every verification: the next login of each user pays scrypt again. */
  clear(): void {
    this.#entries.clear();
  }
}

/** The server's own: one per process, as its key. */
export const recentPasswords = new RecentPasswords();
