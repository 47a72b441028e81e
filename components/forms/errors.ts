// Errors for forms: the client-side zod result and the API's answer, both turned into "message per field".
// The server's errorFormatter puts zod's flattened field errors in error.data.zodError.fieldErrors; domain
// errors (Neutron's wording) arrive in error.message, and `rules` says which field each one is about.
import { z } from "zod";

export type FormErrors = { fields: Record<string, string>; form?: string };

export function zodErrors(error: z.ZodError): FormErrors {
  const flat = z.flattenError(error);
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(flat.fieldErrors as Record<string, string[] | undefined>)) {
    if (v?.[0]) fields[k] = v[0];
  }
  return { fields, ...(flat.formErrors[0] ? { form: flat.formErrors[0] } : {}) };
}

/** [pattern, field]: the first pattern that matches a domain error's message names the field at fault. */
export type FieldRules = readonly (readonly [RegExp, string])[];

export function apiErrors(error: unknown, rules: FieldRules = []): FormErrors {
  const message = error instanceof Error ? error.message : String(error);
  const data = (
    error as { data?: { zodError?: { fieldErrors?: Record<string, string[] | undefined> } | null } }
  )?.data;
  const fieldErrors = data?.zodError?.fieldErrors;
  if (fieldErrors && Object.keys(fieldErrors).length > 0) {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(fieldErrors)) if (v?.[0]) fields[k] = v[0];
    return { fields };
  }
  for (const [pattern, field] of rules) {
    if (pattern.test(message)) return { fields: { [field]: message } };
  }
  return { fields: {}, form: message };
}
