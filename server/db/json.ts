// Rows read as one JSON value. PGlite's cost is per row and per field it returns (a list of 1,000 ports took
// ~30 ms as rows, ~8 ms as one JSON array of the same rows), so long lists aggregate in SQL and map back here with
// drizzle's own column mappers: the same row types and values (dates as Date) as a plain select. Each row is an
// array of the table's columns in drizzle's order, not an object: no key per field to build and carry.
import {
  type AnyColumn,
  getTableColumns,
  type InferSelectModel,
  type SQL,
  sql,
  type Table,
} from "drizzle-orm";

/** The SQL for all of `table`'s rows that the query selects as one JSON array (null for none), in `order`. */
export function jsonRows(table: Table, order: AnyColumn): SQL<unknown[][] | null> {
  const columns = sql.join(Object.values(getTableColumns(table)), sql`, `);
  return sql<unknown[][] | null>`json_agg(json_build_array(${columns}) order by ${order})`;
}

/** The rows that `jsonRows` read. */
export function rowsFromJson<T extends Table>(table: T, rows: unknown[][] | null): InferSelectModel<T>[] {
  const columns = Object.entries(getTableColumns(table));
  return (rows ?? []).map((values) => {
    const row: Record<string, unknown> = {};
    for (const [i, [key, column]] of columns.entries()) {
      const value = values[i];
      row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return row as InferSelectModel<T>;
  });
}
