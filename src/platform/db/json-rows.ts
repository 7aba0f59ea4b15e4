import { sql, type RawBuilder } from 'kysely';
import { PREPARED_STATEMENT_MARKER } from './prepared-statements.js';

export type SqlColumnType =
  'text' | 'integer' | 'bigint' | 'real' | 'double precision' | 'boolean' | 'timestamptz' | 'jsonb';

/** A table's columns as written in bulk, in insert order, with their SQL types. */
export type ColumnSpec = Readonly<Record<string, SqlColumnType>>;

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A list of column names, quoted, for fixed statement text. */
export function columnList(columns: ColumnSpec): string {
  return Object.keys(columns).map(quote).join(', ');
}

/**
 * `SELECT <columns> FROM json_to_recordset(<rowsParameter>)` as fixed text (e.g. `$1`): any number of
 * rows bound as one JSON text parameter. Multi-row VALUES binds one parameter per value, so the query
 * builder, the driver and the server all pay per value (a 256-event batch was ~9,000 parameters); one
 * native JSON.stringify and one server-side parse is several times cheaper, and the statement text no
 * longer depends on the row count. jsonb columns arrive as JSON text (as the repositories write them)
 * and are cast on the way in. Rows are produced in array order, which lock-ordering callers rely on.
 */
export function jsonRowsText(columns: ColumnSpec, rowsParameter: string): string {
  const names = Object.keys(columns);
  const select = names.map((n) => (columns[n] === 'jsonb' ? `x.${quote(n)}::jsonb` : `x.${quote(n)}`));
  const definitions = names.map((n) => `${quote(n)} ${columns[n] === 'jsonb' ? 'text' : columns[n]!}`);
  return `SELECT ${select.join(', ')} FROM json_to_recordset(${rowsParameter}::json) AS x(${definitions.join(', ')})`;
}

/** `INSERT INTO <table> (<columns>) SELECT … FROM json_to_recordset(<rowsParameter>)` as fixed text. */
export function insertRowsText(table: string, columns: ColumnSpec, rowsParameter: string): string {
  return `INSERT INTO ${quote(table)} (${columnList(columns)}) ${jsonRowsText(columns, rowsParameter)}`;
}

/** Marks where the rows go in text that a query builder then binds; no column or table name holds it. */
const ROWS_HERE = '\u0000rows\u0000';

/** insertRowsText around its rows parameter, split once per column set and table. */
const splitTexts = new WeakMap<ColumnSpec, Map<string, readonly [string, string]>>();

function aroundRows(columns: ColumnSpec, table: string): readonly [string, string] {
  let byTable = splitTexts.get(columns);
  if (!byTable) splitTexts.set(columns, (byTable = new Map()));
  let parts = byTable.get(table);
  if (!parts) {
    const [before, after] = insertRowsText(table, columns, ROWS_HERE).split(ROWS_HERE) as [string, string];
    byTable.set(table, (parts = [before, after]));
  }
  return parts;
}

/**
 * insertRowsText with the rows bound and a tail (ON CONFLICT, RETURNING; it must not vary with the
 * rows): one statement text per call site, prepared once per connection on PostgreSQL.
 */
export function insertJsonRows(
  table: string,
  columns: ColumnSpec,
  rows: readonly object[],
  tail: RawBuilder<unknown> = sql``,
): RawBuilder<unknown> {
  const [before, after] = aroundRows(columns, table);
  return sql`${sql.raw(`${PREPARED_STATEMENT_MARKER} ${before}`)}${JSON.stringify(rows)}${sql.raw(after)} ${tail}`;
}
