// Output the way the openstack CLI prints it: a Field/Value table for one resource, a column table for a
// list, or JSON (`-f json`) with the API's own field names for scripts. `-f value` prints bare values.
export type Format = "table" | "json" | "value";
export type Row = Record<string, unknown>;
export type Column = { header: string; value: (row: Row) => unknown };

const scalar = (value: unknown): string =>
  value === null || value === undefined
    ? ""
    : typeof value === "boolean"
      ? value
        ? "True"
        : "False"
      : String(value);

/**
 * Nested values read like the openstack CLI's: a list of objects one per line as key='value' pairs (fixed_ips),
 * a map of lists as `net=a, b` (a server's addresses), any other object as JSON (external_gateway_info).
 */
export function formatValue(value: unknown): string {
  if (Array.isArray(value)) {
    return value
      .map((item) =>
        item !== null && typeof item === "object"
          ? Object.entries(item as Row)
              .map(
                ([k, v]) => `${k}='${v !== null && typeof v === "object" ? JSON.stringify(v) : scalar(v)}'`,
              )
              .join(", ")
          : scalar(item),
      )
      .join("\n");
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Row);
    if (entries.every(([, v]) => Array.isArray(v) && v.every((x) => typeof x !== "object"))) {
      return entries.map(([k, v]) => `${k}=${(v as unknown[]).map(scalar).join(", ")}`).join("; ");
    }
    return JSON.stringify(value);
  }
  return scalar(value);
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...rows.flatMap((r) => (r[i] ?? "").split("\n").map((l) => l.length))),
  );
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`;
  const line = (cells: string[]) => {
    const split = cells.map((c) => c.split("\n"));
    const height = Math.max(1, ...split.map((s) => s.length));
    return Array.from(
      { length: height },
      (_, k) => `| ${widths.map((w, i) => (split[i]?.[k] ?? "").padEnd(w)).join(" | ")} |`,
    ).join("\n");
  };
  return [rule, line(headers), rule, ...rows.map(line), rule].join("\n");
}

export function printOne(row: Row, format: Format): void {
  if (format === "json") return void console.log(JSON.stringify(row, null, 2));
  const keys = Object.keys(row).sort();
  if (format === "value") return void console.log(keys.map((k) => formatValue(row[k])).join("\n"));
  console.log(
    table(
      ["Field", "Value"],
      keys.map((k) => [k, formatValue(row[k])]),
    ),
  );
}

export function printList(rows: Row[], columns: Column[], format: Format): void {
  if (format === "json") return void console.log(JSON.stringify(rows, null, 2));
  const cells = rows.map((r) => columns.map((c) => formatValue(c.value(r))));
  if (format === "value") return void console.log(cells.map((c) => c.join(" ")).join("\n"));
  console.log(
    table(
      columns.map((c) => c.header),
      cells,
    ),
  );
}

/** A column that shows one field of the API object. */
export const field = (header: string, key: string): Column => ({ header, value: (row) => row[key] });
