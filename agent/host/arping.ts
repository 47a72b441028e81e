// Gratuitous ARP from inside a namespace (Debian's iputils-arping), as Neutron's L3 agent sends for addresses
// it adds to a gateway port: upstream routers keep ARP entries for hours, so a floating IP that moved to another
// router (another MAC) would stay unreachable until theirs expired.
import type { Logger } from "pino";
import { run } from "./exec";
import { netnsPath } from "./netns";

/**
 * arping processes at once. Each sends its ARP at once and then sleeps out its one-second interval (it takes
 * whole seconds only, and stopping it early under load could stop it before it sent): many can wait together,
 * but a router made from empty announces every floating IP it holds, so not all at once.
 */
const PARALLEL = 64;

/**
 * Sends announcements in the background, a few processes at a time, in the order asked. Each is one
 * unsolicited ARP (`-U`), from inside the namespace (nsenter: only the network namespace is entered, which
 * costs less than `ip netns exec`). While held (an apply runs), announcements wait: spawning dozens of processes
 * would slow the apply that asked for them, and they are background work.
 */
export class ArpAnnouncer {
  readonly #queue: { ns: string; dev: string; address: string }[] = [];
  #running = 0;
  #holds = 0;
  #idle: (() => void)[] = [];

  constructor(private readonly log: Logger) {}

  announce(ns: string, dev: string, address: string): void {
    this.#queue.push({ ns, dev, address });
    this.#next();
  }

  /** Keeps announcements queued until as many `release()` calls. */
  hold(): void {
    this.#holds++;
  }

  /** Lets the queue go once nothing holds it, after the current task (the apply's answer) has gone out. */
  release(): void {
    this.#holds = Math.max(0, this.#holds - 1);
    if (this.#holds === 0) setImmediate(() => this.#next());
  }

  /** Resolves once every announcement asked so far has been sent (or has failed). */
  drained(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #next(): void {
    while (this.#holds === 0 && this.#running < PARALLEL) {
      const item = this.#queue.shift();
      if (item === undefined) break;
      this.#running++;
      const args = [`--net=${netnsPath(item.ns)}`, "arping", "-U", "-c", "1", "-I", item.dev, item.address];
      run("nsenter", args, { allowFailure: true, timeoutMs: 5000 })
        .then(({ code, stderr }) => {
          // 0 or 1: sent (1 says that nobody answered, as nobody does to -U); anything else: it could not send.
          if (code !== 0 && code !== 1)
            this.log.warn({ ...item, stderr: stderr.trim() }, "gratuitous ARP failed");
        })
        .catch((error: unknown) => this.log.warn({ ...item, err: error }, "gratuitous ARP failed"))
        .finally(() => {
          this.#running--;
          this.#next();
          if (this.#running === 0 && this.#queue.length === 0)
            for (const resolve of this.#idle.splice(0)) resolve();
        });
    }
  }
}
