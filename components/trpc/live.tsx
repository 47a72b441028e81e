"use client";
// Server events -> fresh queries. The server emits {kind, id} on every change (from this browser, another one,
// or the CLI); we refetch what is on screen. Bursts (one CLI command touches a network, its ports and a router)
// are coalesced into one refetch.
import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from "react";
import { useTRPC } from "./provider";

const COALESCE_MS = 120;

export type LiveStatus = "connecting" | "live" | "offline";
const LiveContext = createContext<LiveStatus>("connecting");
const useLiveStatus = () => useContext(LiveContext);

/** `enabled`: only with a login (anonymous visitors would be refused, and the link would keep retrying). */
export function LiveEvents({ children, enabled = true }: { children: ReactNode; enabled?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const subscription = useSubscription(
    trpc.events.subscriptionOptions(undefined, {
      enabled,
      onData: () => {
        if (timer.current !== null) return;
        timer.current = setTimeout(() => {
          timer.current = null;
          void queryClient.invalidateQueries();
        }, COALESCE_MS);
      },
    }),
  );
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  // After a reconnect we may have missed events: refetch once (not on the first connect: nothing was missed).
  const wasLive = useRef(false);
  const [everLive, setEverLive] = useState(false);
  useEffect(() => {
    const live = subscription.status === "pending";
    if (live && !wasLive.current && everLive) void queryClient.invalidateQueries();
    if (live) setEverLive(true);
    wasLive.current = live;
  }, [subscription.status, queryClient, everLive]);

  // Once it has been live, a stream that retries means the server went away: say so, not "connecting".
  const status: LiveStatus =
    subscription.status === "pending"
      ? "live"
      : subscription.status === "error" || everLive
        ? "offline"
        : "connecting";
  return <LiveContext.Provider value={status}>{children}</LiveContext.Provider>;
}

export function LiveIndicator() {
  const status = useLiveStatus();
  const color =
    status === "live"
      ? "var(--color-state-active)"
      : status === "offline"
        ? "var(--color-state-error)"
        : "var(--color-state-pending)";
  return (
    <span
      className="inline-flex items-center gap-1 text-xs text-[var(--muted)]"
      data-testid="live-status"
      data-status={status}
      role="status"
      title={status === "offline" ? "The server does not answer; changes show again once it does" : undefined}
    >
      <span aria-hidden className="size-2 rounded-full" style={{ background: color }} />
      {status === "offline" ? "offline · reconnecting" : status}
    </span>
  );
}
