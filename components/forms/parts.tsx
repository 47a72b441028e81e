"use client";
// The pieces every resource form is built from: the form frame with its footer, and the fields that several forms
// ask for in the same words (project, network, multi-line text).
import { useQuery } from "@tanstack/react-query";
import { type ComponentProps, type ReactNode, useEffect, useRef } from "react";
import { useTRPC } from "../trpc/provider";
import { Button, Field, Select } from "../ui/controls";
import type { Choice } from "./choices";

type FooterProps = {
  error?: string | undefined;
  busy: boolean;
  submit: string;
  close: () => void;
  danger?: boolean;
  /** The action is certain to be refused (the form says why): the button says so by being off. */
  disabled?: boolean;
};

/** The bottom of every form: the API's error when no field owns it, Cancel, and the submit button. */
function FormFooter({ error, busy, submit, close, danger = false, disabled = false }: FooterProps) {
  return (
    <div className="mt-2 flex flex-col gap-2">
      {error ? (
        <p
          role="alert"
          data-testid="form-error"
          className="rounded-md bg-[var(--color-state-error)]/10 px-2 py-1.5 text-sm text-[var(--color-state-error)]"
        >
          {error}
        </p>
      ) : null}
      <div className="flex justify-end gap-2">
        <Button onClick={close}>Cancel</Button>
        <Button
          type="submit"
          variant={danger ? "danger" : "primary"}
          busy={busy}
          disabled={disabled}
          data-testid="submit"
        >
          {submit}
        </Button>
      </div>
    </div>
  );
}

function FormGrid({
  onSubmit,
  onFieldBlur,
  failures,
  children,
}: {
  onSubmit: (form: FormData) => void;
  onFieldBlur?: ((form: FormData, field: string) => void) | undefined;
  failures: number;
  children: ReactNode;
}) {
  const ref = useRef<HTMLFormElement>(null);
  // After each refusal (the schema's or the API's), focus goes to the first field at fault.
  useEffect(() => {
    if (failures === 0) return;
    ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [failures]);
  return (
    <form
      ref={ref}
      noValidate
      className="flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(new FormData(e.currentTarget));
      }}
      onBlur={(e) => {
        // Leaving a field checks it (and the fields visited before) with the same schema as the submit.
        const name = (e.target as Partial<HTMLInputElement>).name;
        if (onFieldBlur && name) onFieldBlur(new FormData(e.currentTarget), name);
      }}
    >
      {children}
    </form>
  );
}

/** A whole form: its fields, then the footer (the error no field owns, Cancel, submit). */
export function FormShell({
  onSubmit,
  onFieldBlur,
  failures = 0,
  children,
  ...footer
}: FooterProps & {
  onSubmit: (form: FormData) => void;
  onFieldBlur?: (form: FormData, field: string) => void;
  /** How many times the form was refused: each one moves focus to the first field at fault. */
  failures?: number;
  children: ReactNode;
}) {
  return (
    <FormGrid onSubmit={onSubmit} onFieldBlur={onFieldBlur} failures={failures}>
      {children}
      <FormFooter {...footer} />
    </FormGrid>
  );
}

/** Edit forms open before the resource has loaded: they need its current values as defaults. */
export function FormLoading() {
  return <p className="text-sm text-[var(--muted)]">Loading…</p>;
}

/** Routes, pools: one entry a line, in monospace so addresses line up. */
export function MonoTextArea(props: ComponentProps<"textarea">) {
  return (
    <textarea
      {...props}
      className="rounded-md border border-[var(--border)] bg-[var(--bg)] px-2 py-1 font-mono text-sm"
    />
  );
}

/** The project a new resource belongs to; empty means the caller's own project (the API's default). */
export function ProjectSelect({ error, hint }: { error?: string | undefined; hint?: string }) {
  const trpc = useTRPC();
  const projects = useQuery(trpc.project.list.queryOptions());
  return (
    <Field label="Project" name="project_id" error={error} {...(hint ? { hint } : {})}>
      {(p) => (
        <Select {...p} defaultValue="">
          <option value="">(my project)</option>
          {projects.data?.map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
}

/** Any network, external ones marked: instances and subnets may go on either. */
export function NetworkSelect({ defaultValue, error }: { defaultValue: string; error?: string | undefined }) {
  const trpc = useTRPC();
  const networks = useQuery(trpc.network.list.queryOptions(undefined));
  // A network chosen on the graph may be newer than the list held (it refetches when asked): it stays chosen,
  // named by its id until the list has it.
  const unlisted = defaultValue !== "" && !networks.data?.some((n) => n.id === defaultValue);
  return (
    <Field label="Network" name="network_id" error={error}>
      {(p) => (
        <Select {...p} key={networks.data?.length ?? 0} defaultValue={defaultValue}>
          <option value="" disabled>
            Choose a network
          </option>
          {unlisted ? <option value={defaultValue}>{defaultValue}</option> : null}
          {networks.data?.map((n) => (
            <option key={n.id} value={n.id}>
              {n.name || n.id}
              {n["router:external"] ? " (external)" : ""}
            </option>
          ))}
        </Select>
      )}
    </Field>
  );
}

export const str = (form: FormData, key: string) => String(form.get(key) ?? "").trim();
/** Empty text = "not given" (the schema's optional), which is how Neutron treats an omitted attribute. */
export const opt = (form: FormData, key: string) => str(form, key) || undefined;
export const checked = (form: FormData, key: string) => form.get(key) === "on";

/** A picker's choices: one bound to be refused stays listed, disabled, with the reason after its name. */
export function ChoiceOptions({ choices }: { choices: readonly Choice[] }) {
  return choices.map((c) => (
    <option key={c.id} value={c.id} disabled={c.reason !== null}>
      {c.reason === null ? c.label : `${c.label} — ${c.reason}`}
    </option>
  ));
}
