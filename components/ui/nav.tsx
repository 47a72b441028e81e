"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState } from "react";
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
  { href: "/trace", label: "Trace" },
  { href: "/admin", label: "Admin", admin: true },
  { href: "/audit", label: "Audit", admin: true },
] as const satisfies readonly { href: string; label: string; admin?: boolean }[];

export function Nav() {
  const pathname = usePathname();
  const viewer = useViewer();
  // Below the md breakpoint the links and the account controls fold behind a Menu button (a phone is 390 px).
  const [menu, setMenu] = useState<{ open: boolean; at: string }>({ open: false, at: pathname });
  // Following a link closes the menu: it was opened on another page.
  const open = menu.open && menu.at === pathname;
  const folded = open ? "flex" : "hidden";
  // Hosts and accounts are the operators' pages; tenants would only be refused there.
  const shown = viewer === null ? [] : links.filter((l) => !("admin" in l) || viewer.role === "admin");
  return (
    <header className="flex min-h-12 shrink-0 flex-wrap items-center gap-x-6 gap-y-2 border-b border-[var(--border)] bg-[var(--panel)] px-4 py-2 md:flex-nowrap md:py-0">
      <Link href="/" className="font-semibold tracking-tight">
        net<span className="text-[var(--color-kind-network)]">lens</span>
      </Link>
      {/* Outside the folded menu: a phone sees it too. */}
      {viewer ? <LiveIndicator /> : null}
      <button
        type="button"
        className="ml-auto rounded-md border border-[var(--border)] px-2 py-1 text-sm md:hidden"
        aria-expanded={open}
        aria-controls="main-menu"
        onClick={() => setMenu({ open: !open, at: pathname })}
        data-testid="menu-toggle"
      >
        {open ? "✕ Close" : "☰ Menu"}
      </button>
      <div
        id="main-menu"
        className={`${folded} w-full flex-col gap-2 md:flex md:w-auto md:flex-1 md:flex-row md:items-center md:gap-4`}
      >
        <nav aria-label="Main" className="flex flex-col gap-1 md:flex-row">
          {shown.map((l) => {
            const active = l.href === "/" ? pathname === "/" : pathname.startsWith(l.href);
            return (
              <Link
                key={l.href}
                href={l.href}
                aria-current={active ? "page" : undefined}
                className={`rounded-md px-3 py-1.5 text-sm whitespace-nowrap ${
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
        <div className="flex flex-wrap items-center gap-3 text-sm md:ml-auto md:flex-nowrap">
          {viewer ? (
            <>
              <span data-testid="whoami" data-role={viewer.role} className="text-xs text-[var(--muted)]">
                <Labelled label="User" value={viewer.user.name} /> ·{" "}
                <Labelled label="Project" value={viewer.project.name} /> ·{" "}
                <Labelled label="Role" value={viewer.role} />
              </span>
              <LogoutForm>
                <button
                  type="submit"
                  className="cursor-pointer whitespace-nowrap text-[var(--color-kind-external)] underline"
                  data-testid="logout"
                >
                  Log out
                </button>
              </LogoutForm>
            </>
          ) : null}
          <ThemeToggle />
        </div>
      </div>
    </header>
  );
}

/** "User admin": the label muted, the value plain, so "admin · admin · admin" says which is which. */
function Labelled({ label, value }: { label: string; value: string }) {
  return (
    <span className="whitespace-nowrap">
      {label} <span className="font-medium text-[var(--fg)]">{value}</span>
    </span>
  );
}
