// Ending the server process cleanly on SIGTERM (systemd, docker stop, `npm run up` stopping) and SIGINT (Ctrl-C):
// what holds the database lets go of it before the process ends, so that PGlite shuts down as PostgreSQL does
// (nothing to recover on the next start) and releases its data directory to the next process.
import { constants } from "node:os";
import type { Logger } from "pino";
import { logger } from "./logger";

/** A shutdown that hangs (an agent that never answers the last push) still ends. */
const SHUTDOWN_LIMIT_MS = 10_000;

export function closeOnSignals(close: () => Promise<void>, log: Logger = logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    // The shell's convention: killed by signal n, exit status 128 + n.
    const status = 128 + (constants.signals[signal] ?? 0);
    log.info({ signal }, "netlens server stopping");
    setTimeout(() => {
      log.warn({ limitMs: SHUTDOWN_LIMIT_MS }, "shutdown did not finish in time; exiting anyway");
      process.exit(status);
    }, SHUTDOWN_LIMIT_MS).unref();
    close().then(
      () => process.exit(status),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(status);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
