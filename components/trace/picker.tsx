"use client";
// A source or destination: free text (a name, an id or any address) with suggestions from the topology.
import { useId, useMemo, useState } from "react";
import { type EndpointOption, searchEndpoints } from "./endpoints";

const kindLabel: Record<EndpointOption["kind"], string> = {
  instance: "instance",
  floating_ip: "floating IP",
  router: "router",
  outside: "outside",
};

export function EndpointPicker({
  label,
  testId,
  value,
  options,
  picking,
  onFocus,
  onChange,
  onChoose,
}: {
  label: string;
  testId: string;
  value: string;
  options: readonly EndpointOption[];
  /** A click on the graph sets this end: the field says so. */
  picking: boolean;
  onFocus: () => void;
  onChange: (value: string) => void;
  /** A suggestion was chosen (after onChange). */
  onChoose?: () => void;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const matches = useMemo(() => searchEndpoints(options, value), [options, value]);
  return (
    <div className="relative flex flex-col text-xs text-[var(--muted)]">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        data-testid={testId}
        aria-autocomplete="list"
        aria-controls={`${id}-list`}
        autoComplete="off"
        value={value}
        placeholder="name or address…"
        onChange={(e) => {
          onChange(e.target.value);
          setOpen(true);
        }}
        onFocus={() => {
          setOpen(true);
          onFocus();
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === "Escape") setOpen(false);
          if (e.key === "Enter") setOpen(false);
        }}
        data-picking={picking}
        title={
          picking
            ? `${label}: type, or click an instance, router, external network or floating IP on the graph`
            : undefined
        }
        className={`w-56 rounded-md border bg-[var(--bg)] px-2 py-1.5 font-mono text-sm text-[var(--fg)] ${
          picking
            ? "border-[var(--color-kind-external)] ring-2 ring-[var(--color-kind-external)]/30"
            : "border-[var(--border)]"
        }`}
      />
      {open && matches.length > 0 ? (
        <ul
          id={`${id}-list`}
          data-testid={`${testId}-options`}
          className="absolute top-full left-0 z-20 mt-1 max-h-72 w-80 overflow-auto rounded-md border border-[var(--border)] bg-[var(--panel)] py-1 shadow-lg"
        >
          {matches.map((o) => (
            <li key={`${o.kind}:${o.value}`}>
              <button
                type="button"
                tabIndex={-1}
                data-testid="endpoint-option"
                data-value={o.value}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => {
                  onChange(o.value);
                  onChoose?.();
                  setOpen(false);
                }}
                className="w-full cursor-pointer px-2 py-1 text-left hover:bg-[var(--hover)]"
              >
                <span className="font-mono text-sm text-[var(--fg)]">{o.label}</span>{" "}
                <span className="text-[var(--muted)]">
                  · {kindLabel[o.kind]} · {o.detail}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
