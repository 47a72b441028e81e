// Small form and button primitives, so every form looks and behaves the same (labels tied to inputs, errors
// announced next to their field).
import { type ComponentProps, type ReactNode, useId } from "react";

type Variant = "primary" | "secondary" | "danger" | "ghost";
const variants: Record<Variant, string> = {
  primary: "bg-[var(--fill-primary)] text-white hover:brightness-110",
  secondary: "border border-[var(--border)] bg-[var(--panel)] hover:bg-[var(--hover)]",
  danger: "bg-[var(--fill-danger)] text-white hover:brightness-110",
  ghost: "text-[var(--muted)] hover:text-[var(--fg)] hover:bg-[var(--hover)]",
};

export function Button({
  variant = "secondary",
  className = "",
  busy = false,
  children,
  ...props
}: ComponentProps<"button"> & { variant?: Variant; busy?: boolean }) {
  return (
    <button
      type="button"
      {...props}
      disabled={props.disabled || busy}
      aria-busy={busy || undefined}
      className={`inline-flex items-center justify-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-[var(--color-kind-external)] disabled:opacity-50 ${variants[variant]} ${className}`}
    >
      {busy ? <Spinner /> : null}
      {children}
    </button>
  );
}

export function Spinner() {
  return (
    <span
      aria-hidden
      className="inline-block size-3 animate-spin rounded-full border-2 border-current border-t-transparent"
    />
  );
}

const inputClass =
  "w-full rounded-md border border-[var(--border)] bg-[var(--bg)] px-2 py-1.5 text-sm font-mono focus:outline-2 focus:outline-[var(--color-kind-external)] aria-invalid:border-[var(--color-state-error)]";

/** A labelled field; `error` is shown under it and tied to the input through aria-describedby. */
export function Field({
  label,
  name,
  error,
  hint,
  children,
}: {
  label: string;
  name: string;
  error?: string | undefined;
  hint?: string;
  children: (props: {
    id: string;
    name: string;
    "aria-invalid": boolean;
    "aria-describedby"?: string;
  }) => ReactNode;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="flex flex-col gap-1" data-field={name}>
      <label htmlFor={id} className="text-xs font-medium text-[var(--muted)]">
        {label}
      </label>
      {children({
        id,
        name,
        "aria-invalid": error !== undefined,
        ...(error !== undefined ? { "aria-describedby": errorId } : {}),
      })}
      {error !== undefined ? (
        <p id={errorId} className="text-xs text-[var(--color-state-error)]" data-testid={`error-${name}`}>
          {error}
        </p>
      ) : hint ? (
        <p className="text-xs text-[var(--muted)]">{hint}</p>
      ) : null}
    </div>
  );
}

export function TextInput(props: ComponentProps<"input">) {
  return <input type="text" autoComplete="off" spellCheck={false} {...props} className={inputClass} />;
}

export function Select(props: ComponentProps<"select">) {
  return <select {...props} className={inputClass} />;
}

export function Checkbox({ label, ...props }: ComponentProps<"input"> & { label: string }) {
  return (
    <label className="flex items-center gap-2 text-sm">
      <input type="checkbox" {...props} className="size-4 accent-[var(--color-kind-network)]" />
      {label}
    </label>
  );
}
