// Rows read as one JSON value, mapped back to drizzle rows (json.ts writes a list as JSON text instead, for
// lists sent on as they are). PGlite's cost is per row and per field it returns (a list of 1,000 ports took
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

/** Names of `table`'s columns (as drizzle names them): those a list reads, when its view needs fewer than all. */
export type ColumnKey<T extends Table> = keyof InferSelectModel<T> & string;

/**
 * The SQL for all of `table`'s rows that the query selects as one JSON array (null for none), in `order`, with
 * the columns `keys` (all by default): each column less is a field less to build, carry and parse per row.
 */
export function jsonRows<T extends Table>(
  table: T,
  order: AnyColumn,
  keys: readonly ColumnKey<T>[] = columnKeys(table),
): SQL<unknown[][] | null> {
  const columns: Record<string, AnyColumn> = getTableColumns(table);
  const list = sql.join(
    keys.flatMap((key) => columns[key] ?? []),
    sql`, `,
  );
  return sql<unknown[][] | null>`json_agg(json_build_array(${list}) order by ${order})`;
}

/** The rows that `jsonRows` read, with the same `keys`. */
export function rowsFromJson<T extends Table, K extends ColumnKey<T>>(
  table: T,
  rows: unknown[][] | null,
  keys: readonly K[] = columnKeys(table) as K[],
): Pick<InferSelectModel<T>, K>[] {
  const all: Record<string, AnyColumn> = getTableColumns(table);
  const columns = keys.map((key) => [key, all[key]] as const);
  return (rows ?? []).map((values) => {
    const row: Record<string, unknown> = {};
    for (const [i, [key, column]] of columns.entries()) {
      const value = values[i];
      row[key] = value === null || value === undefined || !column ? null : column.mapFromDriverValue(value);
    }
    return row as Pick<InferSelectModel<T>, K>;
  });
}

const columnKeys = <T extends Table>(table: T) => Object.keys(getTableColumns(table)) as ColumnKey<T>[];
