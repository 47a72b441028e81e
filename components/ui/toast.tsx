"use client";
import { createContext, type ReactNode, useCallback, useContext, useMemo, useRef, useState } from "react";

export type ToastKind = "success" | "error" | "info";
type Toast = { id: number; kind: ToastKind; text: string };

const ToastContext = createContext<(kind: ToastKind, text: string) => void>(() => {});

export function useToast() {
  return useContext(ToastContext);
}

const kindStyle: Record<ToastKind, string> = {
  success: "border-[var(--color-state-active)]",
  error: "border-[var(--color-state-error)]",
  info: "border-[var(--color-kind-external)]",
};

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const push = useCallback((kind: ToastKind, text: string) => {
    const id = next.current++;
    setToasts((t) => [...t.slice(-4), { id, kind, text }]);
    // Errors stay longer: people need time to read what went wrong.
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === "error" ? 10_000 : 4_000);
  }, []);
  const value = useMemo(() => push, [push]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      {/* role=status: screen readers announce toasts without stealing focus. */}
      <div
        className="pointer-events-none fixed bottom-4 left-1/2 z-50 flex w-96 -translate-x-1/2 flex-col gap-2"
        role="status"
      >
        {toasts.map((t) => (
          <div
            key={t.id}
            data-testid="toast"
            data-kind={t.kind}
            className={`pointer-events-auto rounded-md border-l-4 bg-[var(--panel)] px-3 py-2 text-sm shadow-lg ring-1 ring-[var(--border)] ${kindStyle[t.kind]}`}
          >
            {t.text}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
