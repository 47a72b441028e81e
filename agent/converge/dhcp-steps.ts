// The DHCP steps of an apply (execute.ts calls them in its order): each network's dnsmasq stopped, its files
// written, started or reloaded, in that order under the namespace's lock; then the leases of the probes on DHCP
// subnets, asked once the servers answer and set as the lease says.

import { reloadDnsmasq, startDnsmasq, stopDnsmasq, writeDhcpFiles } from "../host/dnsmasq";
import { mapLimit } from "../host/exec";
import { batch, type NamespaceLinks } from "../host/ip";
import { requestLease } from "../host/udhcpc";
import type { Action, DhcpAction } from "../plan/actions";
import type { KeyedLock } from "./lock";

type Fail = (resource: string, message: string) => void;

/** DHCP servers handled at once (a start waits for dnsmasq to fork and bind). */
const PARALLEL = 4;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Each namespace's DHCP actions in order, under its lock; a failed step skips the rest of its namespace. */
export async function runDhcp(actions: DhcpAction[], locks: KeyedLock, fail: Fail): Promise<void> {
  const byNs = new Map<string, DhcpAction[]>();
  for (const a of actions) byNs.set(a.ns, [...(byNs.get(a.ns) ?? []), a]);
  await mapLimit([...byNs], PARALLEL, ([ns, list]) =>
    locks.with(`dnsmasq:${ns}`, async () => {
      for (const a of list) {
        try {
          await dhcpStep(a);
        } catch (e) {
          fail(a.resource, `${a.ns}: ${message(e)}`);
          return;
        }
      }
    }),
  );
}

function dhcpStep(a: DhcpAction): Promise<void> {
  switch (a.kind) {
    case "dnsmasq-stop":
      return stopDnsmasq(a.pidFile, a.purge);
    case "dhcp-files":
      return writeDhcpFiles(a.dir, a.files);
    case "dnsmasq-start":
      return startDnsmasq(a.ns, a.args);
    case "dnsmasq-reload":
      return reloadDnsmasq(a.pidFile);
    default: {
      const unreachable: never = a;
      throw new Error(`Unknown DHCP action ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * Each probe's lease (udhcpc), then its address and routes as the lease hands them out, in one `ip -batch`.
 * `readBack` loses the namespace: what its batch read before the lease is not what it holds after.
 */
export async function takeLeases(
  actions: Extract<Action, { kind: "dhcp-lease" }>[],
  locks: KeyedLock,
  readBack: Map<string, NamespaceLinks>,
  fail: Fail,
): Promise<void> {
  await mapLimit(actions, PARALLEL, async (a) => {
    readBack.delete(a.ns);
    try {
      const lease = await requestLease(a.ns, a.dev);
      const lines = [
        `addr replace ${lease.address} dev ${a.dev}`,
        ...lease.routes.map((r) => `route replace ${r.destination} via ${r.via} proto static`),
      ].map((line) => ({ line, resource: a.resource }));
      const { failures } = await locks.with(`ip:${a.ns}`, () => batch(a.ns, lines));
      for (const f of failures) fail(f.resource, `${a.ns}: ${f.line}: ${f.message}`);
    } catch (e) {
      fail(a.resource, `${a.ns}: ${message(e)}`);
    }
  });
}
