"use client";
// The live view of the hosts: one `inspect.stream` subscription (admins only) folded into the latest snapshot
// per host, each host's stream status, the drift list, and when each section and each NAT rule last changed
// (so that what just changed can be highlighted for a few seconds).
import { useSubscription } from "@trpc/tanstack-react-query";
import { useCallback, useEffect, useState } from "react";
import type { HostSections, HostSnapshot } from "@/lib/host-snapshot";
import { useTRPC } from "../trpc/provider";
import type { RouterOutputs } from "../trpc/types";

export type DriftItem = RouterOutputs["drift"]["list"][number];
export type HostStreamStatus = Extract<InspectEvent, { type: "status" }>["status"];
type InspectEvent = RouterOutputs["inspect"]["stream"] extends AsyncIterable<infer E> ? E : never;

/** How long a change stays highlighted. */
export const HIGHLIGHT_MS = 4_000;

export type InspectState = {
  snapshots: Record<string, HostSnapshot>;
  statuses: Record<string, HostStreamStatus>;
  drift: DriftItem[];
  /** Section key (per host) -> when its content last changed, and which NAT rules appeared then. */
  changed: Record<string, { at: number; rules: string[] }>;
  connected: boolean;
};

const empty: InspectState = { snapshots: {}, statuses: {}, drift: [], changed: {}, connected: false };

function natRules(sections: HostSections, key: string): string[] {
  const section = sections[key as keyof HostSections];
  return section?.kind === "nat" ? section.rules.map((r) => r.rule) : [];
}

function fold(state: InspectState, event: InspectEvent): InspectState {
  switch (event.type) {
    case "status": {
      const key = event.status.host ?? event.status.url;
      return { ...state, statuses: { ...state.statuses, [key]: event.status } };
    }
    case "full":
      return { ...state, snapshots: { ...state.snapshots, [event.host]: event.snapshot } };
    case "delta": {
      const current = state.snapshots[event.host];
      if (current === undefined) return state;
      const sections: HostSections = { ...current.sections, ...event.event.changed };
      for (const key of event.event.removed) delete sections[key];
      const changed = { ...state.changed };
      const now = Date.now();
      for (const key of Object.keys(event.event.changed)) {
        const kind = sections[key as keyof HostSections]?.kind;
        if (kind === "health" || kind === "revision") continue;
        const before = natRules(current.sections, key);
        const after = natRules(sections, key);
        const seen = new Set(before);
        // Counters move with every packet: a nat section whose rules are the same is not worth a highlight.
        const same = before.length === after.length && before.every((r, i) => r === after[i]);
        if (kind === "nat" && same && current.sections[key as keyof HostSections] !== undefined) continue;
        changed[`${event.host}|${key}`] = { at: now, rules: after.filter((r) => !seen.has(r)) };
      }
      return {
        ...state,
        changed,
        snapshots: {
          ...state.snapshots,
          [event.host]: { ...current, seq: event.event.seq, taken_at: event.event.taken_at, sections },
        },
      };
    }
    case "drift":
      return { ...state, drift: event.items };
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** Subscribes while mounted; `enabled: false` for callers that may not see hosts (tenants). */
export function useInspect(options: { host?: string; enabled?: boolean } = {}): InspectState {
  const trpc = useTRPC();
  const [state, setState] = useState<InspectState>(empty);
  const onData = useCallback(
    (event: InspectEvent) => setState((s) => fold({ ...s, connected: true }, event)),
    [],
  );
  const subscription = useSubscription(
    trpc.inspect.stream.subscriptionOptions(options.host ? { host: options.host } : undefined, {
      enabled: options.enabled ?? true,
      onData,
    }),
  );
  // A reconnect starts over with full snapshots: forget what the stream said before.
  const status = subscription.status;
  useEffect(() => {
    if (status === "connecting") setState((s) => ({ ...s, connected: false }));
  }, [status]);
  return state;
}

/** Re-renders when a highlight expires, so that it fades without another event. */
export function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** The section of a namespace whose name ends with `suffix` (the agent's prefix is unknown to the browser). */
export function findNamespace(snapshot: HostSnapshot | undefined, suffix: string): string | null {
  if (snapshot === undefined) return null;
  for (const key of Object.keys(snapshot.sections)) {
    const match = /^netns\/(.+)\/(addr|routes|nat)$/.exec(key);
    if (match?.[1]?.endsWith(suffix)) return match[1];
  }
  return null;
}
