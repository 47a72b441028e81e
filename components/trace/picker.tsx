"use client";
// A source or destination: free text (a name, an id or any address) with suggestions from the topology.
import { useId, useMemo, useState } from "react";
import { type EndpointOption, searchEndpoints } from "./endpoints";

const kindLabel: Record<EndpointOption["kind"], string> = {
  instance: "instance",
  floating_ip: "floating IP",
  router: "router",
  outside: "outside",
  metadata: "service",
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
  const listId = `${id}-list`;
  const [open, setOpen] = useState(false);
  // The option the arrow keys are on (-1: none; typing resets it), as aria-activedescendant says.
  const [active, setActive] = useState(-1);
  const matches = useMemo(() => searchEndpoints(options, value), [options, value]);
  const shown = open && matches.length > 0;
  const choose = (o: EndpointOption) => {
    onChange(o.value);
    onChoose?.();
    setOpen(false);
    setActive(-1);
  };
  const optionId = (i: number) => `${id}-option-${i}`;
  return (
    <div className="relative flex flex-col text-xs text-[var(--muted)]">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        data-testid={testId}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={shown}
        // Only while the list is there: an id that points at nothing is an invalid reference.
        aria-controls={shown ? listId : undefined}
        aria-activedescendant={shown && active >= 0 ? optionId(active) : undefined}
        autoComplete="off"
        value={value}
        placeholder="name or address…"
        onChange={(e) => {
          onChange(e.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onFocus={() => {
          setOpen(true);
          onFocus();
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          const move = e.key === "ArrowDown" ? 1 : e.key === "ArrowUp" ? -1 : 0;
          if (move !== 0) {
            e.preventDefault();
            setOpen(true);
            if (matches.length > 0) setActive((a) => (a + move + matches.length) % matches.length);
            return;
          }
          const chosen = shown ? matches[active] : undefined;
          if (e.key === "Enter" && chosen) {
            // The option, not the form: Enter on a highlighted suggestion picks it.
            e.preventDefault();
            choose(chosen);
            return;
          }
          if (e.key === "Escape" || e.key === "Enter") setOpen(false);
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
      {shown ? (
        <div
          id={listId}
          role="listbox"
          aria-label={`${label} suggestions`}
          data-testid={`${testId}-options`}
          className="absolute top-full left-0 z-20 mt-1 max-h-72 w-80 overflow-auto rounded-md border border-[var(--border)] bg-[var(--panel)] py-1 shadow-lg"
        >
          {matches.map((o, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the keys are the field's (ArrowDown/Up, Enter): a combobox
            <div
              key={`${o.kind}:${o.value}`}
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              data-testid="endpoint-option"
              data-value={o.value}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => choose(o)}
              // Focus stays in the field (aria-activedescendant); -1 only makes the option focusable by script.
              tabIndex={-1}
              className={`cursor-pointer px-2 py-1 text-left hover:bg-[var(--hover)] ${
                i === active
                  ? "bg-[var(--hover)] outline-2 -outline-offset-2 outline-[var(--color-kind-external)]"
                  : ""
              }`}
            >
              <span className="font-mono text-sm text-[var(--fg)]">{o.label}</span>{" "}
              <span className="text-[var(--muted)]">
                · {kindLabel[o.kind]} · {o.detail}
              </span>
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}
