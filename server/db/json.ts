// Rows read as one JSON value. PGlite's cost is per row and per field it returns (a list of 1,000 ports took
// ~30 ms as rows, ~10 ms as one JSON array of the same rows), so the long lists aggregate in SQL and map back
// here with drizzle's own column mappers: the same row types and values (dates as Date) as a plain select.
import { getTableColumns, type InferSelectModel, type Table } from "drizzle-orm";

/** The row of `table` that `to_json(<row>)` made. */
export function rowFromJson<T extends Table>(table: T, json: Record<string, unknown>): InferSelectModel<T> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = json[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<T>;
}
