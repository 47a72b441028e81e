// The agent's inspection stream (`snapshot` answers a HostSnapshot, `snapshots` streams these events). The
// sections themselves are shared with the dashboard: lib/host-snapshot.ts.
import type { HostSections, HostSnapshot, SnapshotSectionKey } from "../../lib/host-snapshot";

/** The first event of a `snapshots` subscription (and the first after a resume the agent cannot serve). */
export type SnapshotFullEvent = HostSnapshot & { type: "full" };

/** Every later event: only the sections whose hash changed since the previous event, and those that went away. */
export type SnapshotDeltaEvent = {
  type: "delta";
  seq: number;
  taken_at: string;
  changed: HostSections;
  removed: SnapshotSectionKey[];
};

/**
 * What `snapshots` yields, each wrapped by tRPC's `tracked(id, event)`: the client sees `{ id, data }`, and
 * after a reconnect sends the last id back (`lastEventId`), so that the agent answers with a delta from there.
 */
export type SnapshotEvent = SnapshotFullEvent | SnapshotDeltaEvent;
