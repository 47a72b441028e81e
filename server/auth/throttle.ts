// Failed-login rate limiting, in memory (one server process). Three windows: per user and client address (a
// guesser at one place), per user across addresses (a guesser with many), and per address across users (one
// place trying many names, which would otherwise also flood this table). An attempt counts before its password
// is checked: checking is slow on purpose, and counting only afterwards let parallel guesses through together.
export type ThrottlePolicy = {
  windowMs: number;
  /** Failures allowed per user and client address within the window. */
  perAddress: number;
  /** Failures allowed per user from all addresses within the window. */
  perUser: number;
  /** Failures allowed per client address for all users within the window. */
  perSource: number;
  /** Keys kept at most (users, addresses and pairs): the least recently failing are forgotten first. */
  maxKeys: number;
};

export const defaultThrottle: ThrottlePolicy = {
  windowMs: 15 * 60_000,
  perAddress: 5,
  perUser: 50,
  perSource: 100,
  maxKeys: 10_000,
};

type Window = { key: string; limit: number };

export class LoginThrottle {
  /** Per key the times of its latest failures (at most its limit), in order of their last failure. */
  readonly #failures = new Map<string, number[]>();

  constructor(
    readonly policy: ThrottlePolicy = defaultThrottle,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many keys are held (bounded by `maxKeys`). */
  get size(): number {
    return this.#failures.size;
  }

  #windows(user: string, address: string): Window[] {
    const u = user.toLowerCase();
    return [
      { key: JSON.stringify(["pair", u, address]), limit: this.policy.perAddress },
      { key: JSON.stringify(["user", u]), limit: this.policy.perUser },
      { key: JSON.stringify(["source", address]), limit: this.policy.perSource },
    ];
  }

  #recent(key: string): number[] {
    const since = this.now() - this.policy.windowMs;
    return (this.#failures.get(key) ?? []).filter((t) => t > since);
  }

  /**
   * Counts a login attempt as failed until `succeeded` says otherwise, or answers the milliseconds until this
   * user may try again from this address (the attempt is then refused and not counted).
   */
  begin(user: string, address: string): number {
    const windows = this.#windows(user, address);
    const now = this.now();
    let wait = 0;
    for (const { key, limit } of windows) {
      const times = this.#recent(key);
      const oldest = times[times.length - limit];
      if (times.length >= limit && oldest !== undefined) {
        wait = Math.max(wait, oldest + this.policy.windowMs - now);
      }
    }
    if (wait > 0) return wait;
    for (const { key, limit } of windows) this.#store(key, [...this.#recent(key), now].slice(-limit));
    return 0;
  }

  /** The password was right: not a failure, and this address's earlier failures for the user are forgiven. */
  succeeded(user: string, address: string): void {
    const [pair, ...others] = this.#windows(user, address);
    if (pair) this.#failures.delete(pair.key);
    for (const { key } of others) {
      const times = this.#recent(key);
      times.pop();
      if (times.length === 0) this.#failures.delete(key);
      else this.#failures.set(key, times);
    }
  }

  /** Stores as the most recent key; beyond `maxKeys`, drops the stale first, then the least recent. */
  #store(key: string, times: number[]): void {
    this.#failures.delete(key);
    this.#failures.set(key, times);
    const since = this.now() - this.policy.windowMs;
    for (const [oldest, list] of this.#failures) {
      if (this.#failures.size <= this.policy.maxKeys && (list.at(-1) ?? 0) > since) break;
      this.#failures.delete(oldest);
    }
  }
}
