// The daemons of a namespace (dnsmasq, haproxy, keepalived) as the plan wants them against what the host runs. Pure.
import type { Action } from "./actions";
import type {
  DaemonProgram,
  DesiredDaemon,
  DesiredNamespace,
  ObservedDaemon,
  ObservedNamespace,
} from "./pictures";

/**
 * What re-reads its files on SIGHUP and keeps running: dnsmasq (its hosts and options; leases are kept),
 * keepalived (its VIPs and routes; the MASTER stays MASTER, where a restart would hand the router over). haproxy
 * is restarted instead (its configuration names only the router or network, which never changes).
 */
const RELOADS_ON_HUP: Record<DaemonProgram, boolean> = { dnsmasq: true, haproxy: false, keepalived: true };

/**
 * What each daemon needs: started when it does not run; restarted when its command line changed (a subnet came
 * or went); files rewritten and reloaded (or restarted) when only they changed (a port, a route, a DNS server),
 * so that dnsmasq keeps running and answering. A daemon of ours no longer wanted is stopped, its files removed.
 */
export function diffDaemons(
  want: readonly DesiredDaemon[],
  seen: readonly ObservedDaemon[],
  ns: string,
  resource: string,
): Action[] {
  const actions: Action[] = [];
  for (const daemon of want) {
    const { program, pidFile } = daemon;
    const running = seen.find((s) => s.program === program && s.pid !== null);
    const files: Action = { kind: "daemon-files", ns, dir: daemon.dir, files: daemon.files, resource };
    const start: Action = { kind: "daemon-start", ns, program, args: daemon.args, pidFile, resource };
    const stop: Action = { kind: "daemon-stop", ns, program, pidFile, purge: null, resource };
    if (running === undefined) {
      actions.push(files, start);
      continue;
    }
    const stale = Object.entries(daemon.files).some(([path, text]) => running.files[path] !== text);
    if (
      !sameList(running.args, daemon.args) ||
      (stale && !RELOADS_ON_HUP[program]) ||
      linesRemoved(running.files, daemon.files, daemon.restartOnRemoval)
    )
      actions.push(stop, files, start);
    else if (stale) actions.push(files, { kind: "daemon-reload", ns, program, pidFile, resource });
  }
  for (const daemon of seen) {
    if (want.some((w) => w.program === daemon.program)) continue;
    actions.push({
      kind: "daemon-stop",
      ns,
      program: daemon.program,
      pidFile: daemon.pidFile,
      purge: daemon.dir,
      resource,
    });
  }
  return actions;
}

/** A namespace that goes: its daemons stop (else they would keep it alive) and their files go. */
export function stopDaemons(seen: ObservedNamespace | undefined, ns: string, resource: string): Action[] {
  return (seen?.daemons ?? []).map((d) => ({
    kind: "daemon-stop",
    ns,
    program: d.program,
    pidFile: d.pidFile,
    purge: d.dir,
    resource,
  }));
}

/** The daemons a namespace about to be made wants, stopped first wherever they may still run. */
export function strayDaemons(ns: DesiredNamespace, resource: string): Action[] {
  return (ns.daemons ?? []).map((d) => ({
    kind: "daemon-stop",
    ns: ns.name,
    program: d.program,
    pidFile: d.pidFile,
    purge: null,
    resource,
  }));
}

/** Whether a line of `path` as the host has it is missing from the wanted file. */
function linesRemoved(
  have: Record<string, string | null>,
  want: Record<string, string>,
  path: string | undefined,
): boolean {
  if (path === undefined) return false;
  const wanted = new Set((want[path] ?? "").split("\n"));
  return (have[path] ?? "").split("\n").some((line) => line !== "" && !wanted.has(line));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
