import { sql, type RawBuilder } from 'kysely';
import { PREPARED_STATEMENT_MARKER } from './prepared-statements.js';

export type SqlColumnType =
  'text' | 'integer' | 'bigint' | 'real' | 'double precision' | 'boolean' | 'timestamptz' | 'jsonb';

/** A table's columns as written in bulk, in insert order, with their SQL types. */
export type ColumnSpec = Readonly<Record<string, SqlColumnType>>;

/**
 * `SELECT <columns> FROM json_to_recordset($1)`: any number of rows bound as one JSON text parameter.
 * Multi-row VALUES binds one parameter per value, so the query builder, the driver and the server all
 * pay per value (a 256-event batch was ~9,000 parameters); one native JSON.stringify and one server-side
 * parse is several times cheaper, and the statement text no longer depends on the row count. jsonb
 * columns arrive as JSON text (as the repositories write them) and are cast on the way in. Rows are
 * produced in array order, which lock-ordering callers rely on.
 */
export function jsonRows(columns: ColumnSpec, rows: readonly object[]): RawBuilder<unknown> {
  const names = Object.keys(columns);
  const select = names.map((name) =>
    columns[name] === 'jsonb' ? sql`${sql.ref(`x.${name}`)}::jsonb` : sql.ref(`x.${name}`),
  );
  const definitions = names.map(
    (name) => sql`${sql.ref(name)} ${sql.raw(columns[name] === 'jsonb' ? 'text' : columns[name]!)}`,
  );
  return sql`SELECT ${sql.join(select)} FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(${sql.join(definitions)})`;
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * jsonRows as fixed text, built once (no query builder per call): `rowsParameter` is where the JSON
 * rows go, e.g. `$1`.
 */
export function jsonRowsText(columns: ColumnSpec, rowsParameter: string): string {
  const names = Object.keys(columns);
  const select = names.map((n) => (columns[n] === 'jsonb' ? `x.${quote(n)}::jsonb` : `x.${quote(n)}`));
  const definitions = names.map((n) => `${quote(n)} ${columns[n] === 'jsonb' ? 'text' : columns[n]!}`);
  return `SELECT ${select.join(', ')} FROM json_to_recordset(${rowsParameter}::json) AS x(${definitions.join(', ')})`;
}

/** A list of column names, quoted, for fixed statement text. */
export function columnList(columns: ColumnSpec): string {
  return Object.keys(columns).map(quote).join(', ');
}

/**
 * `INSERT INTO <table> (<columns>) SELECT … FROM json_to_recordset($1) <tail>` (tail: ON CONFLICT,
 * RETURNING; it must not vary with the rows): one statement text per call site, prepared once per
 * connection on PostgreSQL.
 */
export function insertJsonRows(
  table: string,
  columns: ColumnSpec,
  rows: readonly object[],
  tail: RawBuilder<unknown> = sql``,
): RawBuilder<unknown> {
  const names = Object.keys(columns).map((name) => sql.ref(name));
  return sql`${sql.raw(PREPARED_STATEMENT_MARKER)} INSERT INTO ${sql.table(table)} (${sql.join(names)}) ${jsonRows(columns, rows)} ${tail}`;
}
