"use client";
// "Every action shows progress until the host agent applied it": a mutation returns the resource PENDING; we
// watch it (server events refresh it; a 1 s poll is the fallback) until it is ACTIVE, DOWN or ERROR, then toast.
import { useQuery } from "@tanstack/react-query";
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { Spinner } from "../ui/controls";
import { useToast } from "../ui/toast";
import { useTRPC } from "./provider";

export type WatchKind = "network" | "router" | "server" | "floatingIp" | "port";
export type Watch = { kind: WatchKind; id: string; label: string; action: string };

/** The watch of a resource shown by its name, or its ID when it has none. */
export const watchNamed =
  (kind: WatchKind, action: string) =>
  (r: { id: string; name: string }): Watch => ({ kind, id: r.id, label: r.name || r.id, action });
type Entry = Watch & { key: number; since: number };

const TIMEOUT_MS = 60_000;

const PendingContext = createContext<{ track: (w: Watch) => void; entries: Entry[] }>({
  track: () => {},
  entries: [],
});

/** `track(...)` after a mutation; `entries` are the resources still being applied. */
export const usePendingActions = () => useContext(PendingContext);

function useShow(kind: WatchKind, id: string) {
  const trpc = useTRPC();
  const poll = { refetchInterval: 1000, staleTime: 0, retry: false } as const;
  // One hook per kind, all called (hooks must not be conditional); only the matching one is enabled.
  const network = useQuery({
    ...trpc.network.show.queryOptions({ id }),
    ...poll,
    enabled: kind === "network",
  });
  const router = useQuery({ ...trpc.router.show.queryOptions({ id }), ...poll, enabled: kind === "router" });
  const server = useQuery({ ...trpc.server.show.queryOptions({ id }), ...poll, enabled: kind === "server" });
  const fip = useQuery({
    ...trpc.floatingIp.show.queryOptions({ id }),
    ...poll,
    enabled: kind === "floatingIp",
  });
  const port = useQuery({ ...trpc.port.show.queryOptions({ id }), ...poll, enabled: kind === "port" });
  const q = { network, router, server, floatingIp: fip, port }[kind];
  const data = q.data as { status: string; status_message?: string | null } | undefined;
  return { status: data?.status, message: data?.status_message ?? null, error: q.error };
}

function WatchOne({ entry, done }: { entry: Entry; done: (key: number) => void }) {
  const { status, message, error } = useShow(entry.kind, entry.id);
  const toast = useToast();
  const finished = useRef(false);
  // A tick, so that the time-out fires even when nothing else re-renders this watch.
  const [, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (finished.current) return;
    const settle = (kind: "success" | "error" | "info", text: string) => {
      finished.current = true;
      toast(kind, text);
      done(entry.key);
    };
    if (status === "ERROR")
      settle("error", `${entry.action} ${entry.label}: ERROR${message ? ` — ${message}` : ""}`);
    else if (status !== undefined && status !== "PENDING" && status !== "BUILD") {
      settle("success", `${entry.action} ${entry.label}: ${status}`);
    } else if (error) settle("info", `${entry.action} ${entry.label}: done (${error.message})`);
    else if (Date.now() - entry.since > TIMEOUT_MS)
      settle("error", `${entry.action} ${entry.label}: still PENDING after 60 s`);
  });
  return (
    <li className="flex items-center gap-2" data-testid="pending-action" data-id={entry.id}>
      <Spinner />
      <span>
        {entry.action} <b>{entry.label}</b> — {status ?? "PENDING"}
      </span>
    </li>
  );
}

export function PendingProvider({ children }: { children: ReactNode }) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const next = useRef(1);
  const track = useCallback((w: Watch) => {
    const key = next.current++;
    // A newer action on the same resource replaces the older watch: only the latest outcome matters.
    setEntries((e) => [...e.filter((x) => x.id !== w.id), { ...w, key, since: Date.now() }]);
  }, []);
  const done = useCallback((key: number) => setEntries((e) => e.filter((x) => x.key !== key)), []);
  const value = useMemo(() => ({ track, entries }), [track, entries]);
  return (
    <PendingContext.Provider value={value}>
      {children}
      {entries.length > 0 ? (
        <ul
          aria-live="polite"
          aria-label="Actions in progress"
          className="fixed bottom-4 left-4 z-40 flex flex-col gap-1 rounded-md bg-[var(--panel)] px-3 py-2 text-sm shadow-lg ring-1 ring-[var(--border)]"
        >
          {entries.map((e) => (
            <WatchOne key={e.key} entry={e} done={done} />
          ))}
        </ul>
      ) : null}
    </PendingContext.Provider>
  );
}
