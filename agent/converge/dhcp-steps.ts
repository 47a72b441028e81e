// The DHCP client step of an apply (execute.ts calls it once the DHCP servers run): the leases of the probes on
// DHCP subnets, asked and set as the lease says.

import { mapLimit } from "../host/exec";
import { batch, type NamespaceLinks } from "../host/ip";
import { requestLease } from "../host/udhcpc";
import type { Action } from "../plan/actions";
import type { KeyedLock } from "./lock";

type Fail = (resource: string, message: string) => void;

/** Leases asked at once. */
const PARALLEL = 4;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

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
