"use client";
// A modal on the native <dialog>: focus trapping, Escape to close and the backdrop come from the browser.
import { type ReactNode, useEffect, useRef } from "react";

export function Dialog({
  open,
  onClose,
  title,
  children,
  testId,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      onClose={onClose}
      aria-label={title}
      data-testid={testId}
      className="m-auto w-[32rem] max-w-[95vw] rounded-lg border border-[var(--border)] bg-[var(--panel)] p-0 text-[var(--fg)] shadow-2xl backdrop:bg-black/50"
    >
      {open ? (
        <div className="flex max-h-[85vh] flex-col">
          <div className="flex items-center justify-between border-b border-[var(--border)] px-4 py-3">
            <h2 className="font-semibold">{title}</h2>
            <button
              type="button"
              onClick={onClose}
              aria-label="Close"
              className="rounded px-2 text-[var(--muted)] hover:text-[var(--fg)]"
            >
              ✕
            </button>
          </div>
          <div className="overflow-y-auto p-4">{children}</div>
        </div>
      ) : null}
    </dialog>
  );
}
