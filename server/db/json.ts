// Lists written as JSON text by the database itself. PGlite's cost is per row and per field it returns (a list of
// 1,000 ports took ~30 ms as rows, ~8 ms as one JSON value, which JS must still parse, map and stringify again),
// so a long list is one text value: each row an object concatenated from constant keys and encoded values (~2x
// cheaper in PGlite than json_build_object, which escapes every key of every row), ready to send as it is.
import { type SQL, sql } from "drizzle-orm";

/**
 * How a value becomes JSON: `string` escapes text (to_json); `bare` is text quoted as it is, for values no
 * character of which ever needs escaping (UUIDs, MAC and IP addresses, our own status words: ~7% of a port list's
 * time is escaping); `plain` is a boolean or a number, `json` a json/jsonb value, both JSON as PostgreSQL prints
 * them; `time` a timestamp with time zone as JavaScript's toISOString() writes it (UTC, milliseconds, Z).
 */
export type JsonEncoding = "string" | "bare" | "plain" | "json" | "time";

/** One field of an object: its key and its value's SQL, or a value already JSON text (`raw`). */
export type JsonField = readonly [key: string, value: SQL, encoding: JsonEncoding | "raw"];

function encoded(value: SQL, encoding: JsonEncoding | "raw"): SQL {
  switch (encoding) {
    case "string":
      return sql`to_json((${value})::text)::text`;
    case "bare":
      return sql`'"' || ${value}::text || '"'`;
    case "plain":
    case "json":
    case "raw":
      return sql`${value}::text`;
    case "time":
      return sql`'"' || to_char(${value} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'`;
  }
}

/** A SQL string literal of `text` (our own constant keys: never a caller's input). */
const literal = (text: string) => sql.raw(`'${text.replaceAll("'", "''")}'`);

/** The JSON text of one object per row, with `fields` in their order (a SQL NULL value is JSON null). */
export function jsonObjectText(fields: readonly JsonField[]): SQL<string> {
  const parts = fields.map(
    ([key, value, encoding], i) =>
      sql`${literal(`${i === 0 ? "{" : ","}${JSON.stringify(key)}:`)} || coalesce(${encoded(value, encoding)}, 'null')`,
  );
  return sql<string>`(${sql.join(parts, sql` || `)} || '}')`;
}

/** The JSON text of an array of `item` (JSON text) over the rows the query groups, in `order`; [] for none. */
export function jsonArrayText(item: SQL, order?: SQL): SQL<string> {
  const ordered = order === undefined ? sql`` : sql` order by ${order}`;
  return sql<string>`'[' || coalesce(string_agg(${item}, ','${ordered}), '') || ']'`;
}
