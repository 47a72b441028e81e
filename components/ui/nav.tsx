"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { LogoutForm } from "../auth/logout";
import { useViewer } from "../auth/viewer";
import { LiveIndicator } from "../trpc/live";
import { ThemeToggle } from "./theme";

const links = [
  { href: "/", label: "Topology" },
  { href: "/networks", label: "Networks" },
  { href: "/routers", label: "Routers" },
  { href: "/floating-ips", label: "Floating IPs" },
  { href: "/security-groups", label: "Security groups" },
  { href: "/instances", label: "Instances" },
  { href: "/hosts", label: "Hosts", admin: true },
  { href: "/trace", label: "Trace", admin: true },
  { href: "/admin", label: "Admin", admin: true },
  { href: "/audit", label: "Audit", admin: true },
] as const satisfies readonly { href: string; label: string; admin?: boolean }[];

export function Nav() {
  const pathname = usePathname();
  const viewer = useViewer();
  // Hosts and accounts are the operators' pages; tenants would only be refused there.
  const shown = viewer === null ? [] : links.filter((l) => !("admin" in l) || viewer.role === "admin");
  return (
    <header className="flex h-12 shrink-0 items-center gap-6 border-b border-[var(--border)] bg-[var(--panel)] px-4">
      <Link href="/" className="font-semibold tracking-tight">
        net<span className="text-[var(--color-kind-network)]">lens</span>
      </Link>
      <nav aria-label="Main" className="flex gap-1">
        {shown.map((l) => {
          const active = l.href === "/" ? pathname === "/" : pathname.startsWith(l.href);
          return (
            <Link
              key={l.href}
              href={l.href}
              aria-current={active ? "page" : undefined}
              className={`rounded-md px-3 py-1.5 text-sm ${
                active
                  ? "bg-[var(--color-kind-network)]/15 font-medium text-[var(--color-kind-network)]"
                  : "text-[var(--muted)] hover:text-[var(--fg)]"
              }`}
            >
              {l.label}
            </Link>
          );
        })}
      </nav>
      <div className="ml-auto flex items-center gap-3 text-sm">
        {viewer ? (
          <>
            <LiveIndicator />
            <span data-testid="whoami" data-role={viewer.role} className="text-[var(--muted)]">
              <span className="font-medium text-[var(--fg)]">{viewer.user.name}</span> · {viewer.project.name}{" "}
              · {viewer.role}
            </span>
            <LogoutForm>
              <button
                type="submit"
                className="cursor-pointer text-[var(--color-kind-external)] underline"
                data-testid="logout"
              >
                Log out
              </button>
            </LogoutForm>
          </>
        ) : null}
        <ThemeToggle />
      </div>
    </header>
  );
}
