// The daemon steps of an apply (execute.ts calls them in its order): each namespace's daemons (dnsmasq, haproxy,
// keepalived) stopped, their files written, started or reloaded, in that order under the namespace's lock.
import { reloadDaemon, startDaemon, stopDaemon, writeDaemonFiles } from "../host/daemon";
import { mapLimit } from "../host/exec";
import type { DaemonAction } from "../plan/actions";
import type { KeyedLock } from "./lock";

type Fail = (resource: string, message: string) => void;

/** Namespaces handled at once (a start waits for its daemon to fork and bind). */
const PARALLEL = 4;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Each namespace's daemon actions in order, under its lock; a failed step skips the rest of its namespace. */
export async function runDaemons(actions: DaemonAction[], locks: KeyedLock, fail: Fail): Promise<void> {
  const byNs = new Map<string, DaemonAction[]>();
  for (const a of actions) byNs.set(a.ns, [...(byNs.get(a.ns) ?? []), a]);
  await mapLimit([...byNs], PARALLEL, ([ns, list]) =>
    locks.with(`daemons:${ns}`, async () => {
      for (const a of list) {
        try {
          await daemonStep(a);
        } catch (e) {
          fail(a.resource, `${a.ns}: ${message(e)}`);
          return;
        }
      }
    }),
  );
}

function daemonStep(a: DaemonAction): Promise<void> {
  switch (a.kind) {
    case "daemon-stop":
      return stopDaemon(a.program, a.pidFile, a.purge);
    case "daemon-files":
      return writeDaemonFiles(a.dir, a.files);
    case "daemon-start":
      return startDaemon(a.ns, a.program, a.args, a.pidFile);
    case "daemon-reload":
      return reloadDaemon(a.program, a.pidFile);
    default: {
      const unreachable: never = a;
      throw new Error(`Unknown daemon action ${JSON.stringify(unreachable)}`);
    }
  }
}
