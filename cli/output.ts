// Output the way the openstack CLI prints it: a Field/Value table for one resource, a column table for a
// list, or JSON (`-f json`) with the API's own field names for scripts. `-f value` prints bare values.
export type Format = "table" | "json" | "value";
export type Row = Record<string, unknown>;
export type Column = { header: string; value: (row: Row) => unknown };

/**
 * Control characters (C0, DEL, C1) and the bidirectional overrides that reorder what a terminal shows. A name
 * stored before the API refused them, or text from a host, must not recolour, move or rewrite an admin's
 * terminal: they are printed as escapes.
 */
const unsafe = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;
const escaped = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
};

/** One value as a terminal may show it: every control character escaped, newlines included. */
const safe = (text: string) => text.replace(unsafe, escaped);

/** Text of several lines (a rendered snapshot, a trace, an error) as a terminal may show it. */
export const terminalText = (text: string) => text.split("\n").map(safe).join("\n");

/**
 * JSON for a terminal and for scripts alike. JSON.stringify escapes C0 but leaves DEL, C1 and the overrides raw;
 * written as \u escapes they are the same JSON value (outside strings JSON has none of them to escape).
 */
const jsonUnsafe = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const jsonText = (value: unknown, indent?: number) =>
  JSON.stringify(value, null, indent).replace(
    jsonUnsafe,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

export function printJson(value: unknown): void {
  console.log(jsonText(value, 2));
}

const scalar = (value: unknown): string =>
  value === null || value === undefined
    ? ""
    : typeof value === "boolean"
      ? value
        ? "True"
        : "False"
      : safe(String(value));

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
                ([k, v]) => `${safe(k)}='${v !== null && typeof v === "object" ? jsonText(v) : scalar(v)}'`,
              )
              .join(", ")
          : scalar(item),
      )
      .join("\n");
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Row);
    if (entries.every(([, v]) => Array.isArray(v) && v.every((x) => typeof x !== "object"))) {
      return entries.map(([k, v]) => `${safe(k)}=${(v as unknown[]).map(scalar).join(", ")}`).join("; ");
    }
    return jsonText(value);
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
  if (format === "json") return void printJson(row);
  const keys = Object.keys(row).sort();
  if (format === "value") return void console.log(keys.map((k) => formatValue(row[k])).join("\n"));
  console.log(
    table(
      ["Field", "Value"],
      keys.map((k) => [safe(k), formatValue(row[k])]),
    ),
  );
}

/**
 * The columns `-c` names, in the order given, as cliff picks them: from the listing's own columns (`--long`
 * adds some), so a name it does not show is an error that lists the ones it does.
 */
export function selectColumns(columns: Column[], names: readonly string[]): Column[] {
  const unknown = names.filter((name) => !columns.some((c) => c.header === name));
  if (unknown.length > 0) {
    const quoted = (list: readonly string[]) => list.map((n) => `'${safe(n)}'`).join(", ");
    throw new Error(
      `No recognized column names in [${quoted(unknown)}]. Recognized columns are (${quoted(columns.map((c) => c.header))}).`,
    );
  }
  return names.flatMap((name) => columns.filter((c) => c.header === name));
}

/**
 * `picked`: the columns were chosen with `-c`; JSON then holds just those, keyed by their headers as the
 * openstack CLI prints them. Without, JSON is the API's whole objects.
 */
export function printList(rows: Row[], columns: Column[], format: Format, picked = false): void {
  if (format === "json" && picked)
    return void printJson(rows.map((r) => Object.fromEntries(columns.map((c) => [c.header, c.value(r)]))));
  if (format === "json") return void printJson(rows);
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
