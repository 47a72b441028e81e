// Failed-login rate limiting, in memory (one server process): a window per user+address, and a looser one per
// user across addresses, since X-Forwarded-For can be forged by a client that talks to `next start` directly.
export type ThrottlePolicy = {
  windowMs: number;
  /** Failures allowed per user and client address within the window. */
  perAddress: number;
  /** Failures allowed per user from all addresses within the window. */
  perUser: number;
};

export const defaultThrottle: ThrottlePolicy = { windowMs: 15 * 60_000, perAddress: 5, perUser: 50 };

export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();

  constructor(
    readonly policy: ThrottlePolicy = defaultThrottle,
    private readonly now: () => number = Date.now,
  ) {}

  #recent(key: string): number[] {
    const since = this.now() - this.policy.windowMs;
    const times = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, times);
    return times;
  }

  /** Milliseconds until this user may try again from this address; 0 = now. */
  retryAfter(user: string, address: string): number {
    const wait = (times: number[], limit: number) => {
      const oldest = times[times.length - limit];
      return times.length >= limit && oldest !== undefined ? oldest + this.policy.windowMs - this.now() : 0;
    };
    const u = user.toLowerCase();
    return Math.max(
      wait(this.#recent(`${u}\n${address}`), this.policy.perAddress),
      wait(this.#recent(u), this.policy.perUser),
      0,
    );
  }

  failed(user: string, address: string): void {
    const u = user.toLowerCase();
    for (const key of [`${u}\n${address}`, u]) this.#failures.set(key, [...this.#recent(key), this.now()]);
  }

  /** A correct password from this address clears that address's count (not the per-user one). */
  succeeded(user: string, address: string): void {
    this.#failures.delete(`${user.toLowerCase()}\n${address}`);
  }
}
