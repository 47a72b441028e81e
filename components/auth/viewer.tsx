"use client";
// Who is logged in, for every component: the server layout passes the viewer it read from the cookie (no flash
// of admin controls), and `auth.whoami` keeps it current. Members are read-only tenants: every control that
// changes the model is wrapped in <AdminOnly>, and pages that are not theirs render <Refused>.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { createContext, type ReactNode, useContext, useEffect } from "react";
import { useTRPC } from "../trpc/provider";
import type { RouterOutputs } from "../trpc/types";

export type Viewer = NonNullable<RouterOutputs["auth"]["whoami"]>;

const ViewerContext = createContext<Viewer | null>(null);

export function ViewerProvider({ initial, children }: { initial: Viewer | null; children: ReactNode }) {
  const trpc = useTRPC();
  const whoami = useQuery({ ...trpc.auth.whoami.queryOptions(undefined), initialData: initial });
  return <ViewerContext.Provider value={whoami.data ?? null}>{children}</ViewerContext.Provider>;
}

export const useViewer = () => useContext(ViewerContext);
export const useIsAdmin = () => useViewer()?.role === "admin";

/** Controls that change the model: admins only (the API refuses members anyway; this keeps the UI honest). */
export function AdminOnly({ children }: { children: ReactNode }) {
  return useIsAdmin() ? children : null;
}

/** Pages that need a login send anonymous visitors to /login and come back afterwards. */
export function LoginGate({ children }: { children: ReactNode }) {
  const viewer = useViewer();
  const pathname = usePathname();
  const router = useRouter();
  const open = pathname === "/login" || pathname === "/logout";
  useEffect(() => {
    if (!viewer && !open) router.replace(`/login?next=${encodeURIComponent(pathname)}`);
  }, [viewer, open, pathname, router]);
  return viewer || open ? children : null;
}

/** What a member sees on an admin's page. */
export function Refused({ what }: { what: string }) {
  return (
    <div role="alert" data-testid="refused" className="mx-auto mt-16 max-w-md text-center">
      <h1 className="text-lg font-semibold">Not for your role</h1>
      <p className="mt-2 text-sm text-[var(--muted)]">
        {what} are for admins. Your account has a read-only view of its projects.
      </p>
      <Link href="/" className="mt-4 inline-block text-sm text-[var(--color-kind-external)] underline">
        Back to the topology
      </Link>
    </div>
  );
}
