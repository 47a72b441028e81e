"use client";
import { useCallback, useState } from "react";
import type { z } from "zod";
import { usePendingActions, type Watch } from "../trpc/pending";
import { apiErrors, type FieldRules, type FormErrors, zodErrors } from "./errors";

/**
 * A form's validation: `parse` checks the input with the API's own zod schema before sending (so the browser
 * and the server never disagree); `fail` shows the API's answer next to the field at fault.
 */
function useSchemaForm<S extends z.ZodType>(schema: S, rules: FieldRules = []) {
  const [errors, setErrors] = useState<FormErrors>({ fields: {} });
  const parse = useCallback(
    (input: unknown): z.output<S> | undefined => {
      const result = schema.safeParse(input);
      if (result.success) {
        setErrors({ fields: {} });
        return result.data;
      }
      setErrors(zodErrors(result.error));
      return undefined;
    },
    [schema],
  );
  const fail = useCallback((error: unknown) => setErrors(apiErrors(error, rules)), [rules]);
  return { errors, parse, fail, setErrors };
}

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
  watch: (result: T) => Watch,
) {
  const { errors, parse, fail } = useSchemaForm(schema, rules);
  const { track } = usePendingActions();
  const submit = (raw: unknown) => {
    const input = parse(raw);
    if (input === undefined) return;
    mutation.mutate(input, {
      onSuccess: (result) => {
        track(watch(result));
        close();
      },
      onError: fail,
    });
  };
  return { errors: errors.fields, submit, shell: { error: errors.form, busy: mutation.isPending, close } };
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
