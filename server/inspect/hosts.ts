// host.list with what the snapshot stream adds: why the stream is broken, and how much drifted. Whether the
// agent is online is the one rule of liveness (server/domain/hosts.ts agentAlive), not the stream's state: the
// scheduler and HA states judge by that rule, and the list must not say otherwise.
import type { HostView } from "../domain/hosts";
import type { Inspection } from "./service";

export type HostWithStream = HostView & { stream_error: string | null; drifted: number };

export function withStreamStatus(inspection: Inspection | null, hosts: HostView[]): HostWithStream[] {
  return hosts.map((host) => {
    const relay = inspection?.relayByUrl(host.url);
    if (!inspection || !relay) return { ...host, stream_error: null, drifted: 0 };
    const status = relay.status();
    return {
      ...host,
      host: host.host ?? status.host,
      stream_error: status.last_error,
      drifted: inspection.drift().filter((d) => d.host === (host.host ?? status.host)).length,
    };
  });
}
