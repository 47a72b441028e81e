"use client";
import { useCallback, useRef, useState } from "react";
import type { z } from "zod";
import { usePendingActions, type Watch } from "../trpc/pending";
import { apiErrors, type FieldRules, type FormErrors, zodErrors } from "./errors";

/** Per field, what a form says when it is left empty: the form's own words ("Choose a network"). */
export type Required = Readonly<Record<string, string>>;

const isEmpty = (v: unknown) => v === undefined || (typeof v === "string" && v.trim() === "");

/**
 * A form's validation: `parse` checks the input with the API's own zod schema before sending (so the browser
 * and the server never disagree); `check` does the same as a field is left, showing only the fields already
 * visited; `fail` shows the API's answer next to the field at fault. `required` fields (which the API may let be
 * empty, as Neutron lets a name) are asked for in the form's words. `failures` counts refusals, so that the
 * form can move focus to the first field at fault each time.
 */
function useSchemaForm<S extends z.ZodType>(schema: S, rules: FieldRules = [], required: Required = {}) {
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const [failures, setFailures] = useState(0);
  const visited = useRef(new Set<string>());
  const validate = useCallback(
    (input: unknown): { data?: z.output<S>; errors: FormErrors } => {
      const result = schema.safeParse(input);
      const found = result.success ? { fields: {} } : zodErrors(result.error);
      const raw = (input ?? {}) as Record<string, unknown>;
      for (const [field, message] of Object.entries(required)) {
        if (isEmpty(raw[field])) found.fields[field] = message;
      }
      const clean = Object.keys(found.fields).length === 0 && found.form === undefined;
      return result.success && clean ? { data: result.data, errors: found } : { errors: found };
    },
    [schema, required],
  );
  const parse = useCallback(
    (input: unknown): z.output<S> | undefined => {
      const { data, errors } = validate(input);
      setErrors(errors);
      if (data === undefined) setFailures((n) => n + 1);
      return data;
    },
    [validate],
  );
  const check = useCallback(
    (input: unknown, field: string) => {
      visited.current.add(field);
      const found = validate(input).errors.fields;
      setErrors((previous) => {
        const fields = { ...previous.fields };
        for (const f of visited.current) {
          const message = found[f];
          if (message === undefined) delete fields[f];
          else fields[f] = message;
        }
        return { ...previous, fields };
      });
    },
    [validate],
  );
  const fail = useCallback(
    (error: unknown) => {
      setErrors(apiErrors(error, rules));
      setFailures((n) => n + 1);
    },
    [rules],
  );
  return { errors, parse, check, fail, failures };
}

const NOTHING_REQUIRED: Required = {};

/** The part of a tRPC mutation (react-query) a resource form uses. */
type Mutation<I, T> = {
  isPending: boolean;
  mutate(input: I, options: { onSuccess: (result: T) => void; onError: (error: unknown) => void }): void;
};

/**
 * A form that creates or changes one resource: `submit` checks the input with the API's schema and sends it; the
 * answer's resource is watched (the agent applies the change later; the pending list shows it until then) and the
 * dialog closes, or the refusal shows under the field it names. `shell` is what FormShell needs.
 */
export function useResourceForm<S extends z.ZodType, T>(
  schema: S,
  rules: FieldRules,
  mutation: Mutation<z.output<S>, T>,
  close: () => void,
  /** The resource the agent applies next, or null when the change has nothing on the host to wait for. */
  watch: (result: T) => Watch | null,
  required: Required = NOTHING_REQUIRED,
) {
  const { errors, parse, check, fail, failures } = useSchemaForm(schema, rules, required);
  const { track } = usePendingActions();
  const submit = (raw: unknown) => {
    const input = parse(raw);
    if (input === undefined) return;
    mutation.mutate(input, {
      onSuccess: (result) => {
        const watched = watch(result);
        if (watched) track(watched);
        close();
      },
      onError: fail,
    });
  };
  return {
    errors: errors.fields,
    submit,
    check,
    shell: { error: errors.form, busy: mutation.isPending, close, failures },
  };
}

/** "a, b c" -> ["a", "b", "c"]. */
export const list = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** One pool per line, "start-end" (also "start,end" or "start end"). */
export function parsePools(text: string): { start: string; end: string }[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => {
      const [start = "", end = ""] = l.split(/\s*(?:-|,|\s)\s*/);
      return { start, end };
    });
}

/** One route per line, "destination via nexthop" (also "destination,nexthop"). */
export function parseRoutes(text: string): { destination: string; nexthop: string }[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => {
      const [destination = "", nexthop = ""] = l.split(/\s+via\s+|\s*,\s*|\s+/);
      return { destination, nexthop };
    });
}

export const formatPools = (pools: readonly { start: string; end: string }[]) =>
  pools.map((p) => `${p.start}-${p.end}`).join("\n");
export const formatRoutes = (routes: readonly { destination: string; nexthop: string }[]) =>
  routes.map((r) => `${r.destination} via ${r.nexthop}`).join("\n");
