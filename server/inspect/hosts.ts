// host.list with what the snapshot stream knows: whether the agent is online now (its stream is up), when it
// was last heard from, and why not. The dispatcher's own view (last push, heartbeat) stays the fallback.
import type { HostView } from "../domain/hosts";
import type { Inspection } from "./service";

export type HostWithStream = HostView & { stream_error: string | null; drifted: number };

export function withStreamStatus(
  inspection: Inspection | null,
  hosts: HostView[],
  now = new Date(),
): HostWithStream[] {
  return hosts.map((host) => {
    const relay = inspection?.relayByUrl(host.url);
    if (!inspection || !relay) return { ...host, stream_error: null, drifted: 0 };
    const status = relay.status();
    const seen = [host.last_seen, status.last_seen].filter((t) => t !== null).sort();
    return {
      ...host,
      host: host.host ?? status.host,
      online: status.online,
      // While the stream is up the agent is heard from continuously.
      last_seen: status.online ? now.toISOString() : (seen.at(-1) ?? null),
      stream_error: status.last_error,
      drifted: inspection.drift().filter((d) => d.host === (host.host ?? status.host)).length,
    };
  });
}
