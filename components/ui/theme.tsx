"use client";
import { useSyncExternalStore } from "react";

const KEY = "netlens-theme";

/**
 * Runs before the first paint (inlined in <head>), so a dark-theme user never sees a white flash.
 * Reads the saved choice, else the OS preference.
 */
export const themeScript = `try{var t=localStorage.getItem("${KEY}");if(t!=="light"&&t!=="dark"){t=matchMedia("(prefers-color-scheme: dark)").matches?"dark":"light"}document.documentElement.classList.toggle("dark",t==="dark")}catch(e){}`;

export type Theme = "light" | "dark";

const listeners = new Set<() => void>();

function current(): Theme {
  return document.documentElement.classList.contains("dark") ? "dark" : "light";
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setTheme(theme: Theme): void {
  document.documentElement.classList.toggle("dark", theme === "dark");
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    // Private windows may refuse storage; the theme still applies to this page.
  }
  for (const l of listeners) l();
}

/** The current theme; "light" while rendering on the server. */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, current, () => "light");
}

export function ThemeToggle() {
  const theme = useTheme();
  const next: Theme = theme === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      onClick={() => setTheme(next)}
      className="rounded-md border border-[var(--border)] px-2 py-1 text-sm whitespace-nowrap hover:bg-[var(--hover)]"
      aria-label={`Switch to ${next} theme`}
      data-testid="theme-toggle"
    >
      {theme === "dark" ? "☀ Light" : "☾ Dark"}
    </button>
  );
}
