// What an audit entry changed, field by field, from the resource as it was before and after.

export type FieldChange = { field: string; before: unknown; after: unknown };

/** Bookkeeping every change moves: listing it would hide what the change was about. */
const BOOKKEEPING = new Set(["updated_at"]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** The top-level fields whose value differs; a create or a delete is every field of the one side it has. */
export function changedFields(before: unknown, after: unknown): FieldChange[] {
  const was = isObject(before) ? before : {};
  const is = isObject(after) ? after : {};
  const fields = [...new Set([...Object.keys(was), ...Object.keys(is)])];
  return fields
    .filter((field) => !BOOKKEEPING.has(field))
    .filter((field) => JSON.stringify(was[field]) !== JSON.stringify(is[field]))
    .map((field) => ({ field, before: was[field], after: is[field] }));
}

/** A value in one short line: JSON for structures, cut at `max` characters. */
export function brief(value: unknown, max = 48): string {
  const text = value === undefined ? "—" : typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
