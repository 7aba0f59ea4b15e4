import { sql, type RawBuilder } from 'kysely';
import { PREPARED_STATEMENT_MARKER } from './prepared-statements.js';

/**
 * `packed text`: a text column whose values travel as UTF-8 in one bytea parameter beside the JSON
 * rows (packJsonRows), each row naming its bytes. A payload kilobytes long would otherwise be escaped
 * into the JSON by the API and parsed out of it by the server: for raw events that was most of the
 * insert's cost on both sides. A Buffer parameter is bound in binary, copied as is.
 */
export type SqlColumnType =
  'text' | 'packed text' | 'integer' | 'bigint' | 'real' | 'double precision' | 'boolean' | 'timestamptz' | 'jsonb';

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
export function jsonRowsText(columns: ColumnSpec, rowsParameter: string, bytesParameter?: string): string {
  const names = Object.keys(columns);
  // With a bytes parameter the rows are packJsonRows': keyed by column position, nulls left out.
  const key = (n: string, i: number) => (bytesParameter ? valueKey(i) : n);
  const select = names.map((n, i) => {
    if (columns[n] === 'jsonb') return `x.${quote(key(n, i))}::jsonb AS ${quote(n)}`;
    if (columns[n] !== 'packed text') return `x.${quote(key(n, i))} AS ${quote(n)}`;
    if (!bytesParameter) throw new Error(`column ${n} is packed: name the bytes parameter`);
    return `convert_from(substring(${bytesParameter}::bytea FROM x.${quote(atKey(i))} FOR x.${quote(lengthKey(i))}), 'UTF8') AS ${quote(n)}`;
  });
  const definitions = names.flatMap((n, i) => {
    const type = columns[n]!;
    if (type === 'packed text') return [`${quote(atKey(i))} integer`, `${quote(lengthKey(i))} integer`];
    return [`${quote(key(n, i))} ${type === 'jsonb' ? 'text' : type}`];
  });
  return `SELECT ${select.join(', ')} FROM json_to_recordset(${rowsParameter}::json) AS x(${definitions.join(', ')})`;
}

/** packJsonRows' keys: a column's value, and a packed column's first byte and length, by column position. */
const valueKey = (i: number) => `v${i}`;
const atKey = (i: number) => `a${i}`;
const lengthKey = (i: number) => `l${i}`;

/**
 * A Date as the ISO text JSON.stringify would give it. Serializing Date objects takes V8's slow path
 * (toJSON); the rows of one batch mostly share their millisecond, so the last one's text is kept.
 */
let lastTime = Number.NaN;
let lastIso = '';
function iso(date: Date): string | null {
  const time = date.getTime();
  if (!Number.isFinite(time)) return null;
  if (time !== lastTime) {
    lastTime = time;
    lastIso = date.toISOString();
  }
  return lastIso;
}

/**
 * The parameters of jsonRowsText with packed columns: the rows as JSON, each packed value replaced by
 * its place in `bytes`, and the packed values' UTF-8 one after another.
 */
export function packJsonRows(
  columns: ColumnSpec,
  rows: readonly Record<string, unknown>[],
): { json: string; bytes: Buffer } {
  const fields = Object.keys(columns).map((name, i) => ({
    name,
    packed: columns[name] === 'packed text',
    value: valueKey(i),
    at: atKey(i),
    length: lengthKey(i),
  }));
  // Measured exactly (a native count) rather than bounded: the buffer is copied whole to the
  // embedded database's thread, slack included.
  const packed = fields.filter((field) => field.packed);
  let total = 0;
  for (const row of rows)
    for (const field of packed) {
      const value = row[field.name];
      if (typeof value === 'string') total += Buffer.byteLength(value);
    }
  const bytes = Buffer.allocUnsafe(total);
  let offset = 0;
  const out = rows.map((row) => {
    // Short keys, and no key for a null (json_to_recordset reads a missing key as NULL): a third of
    // the JSON of a raw event row was its column names.
    const copy: Record<string, unknown> = {};
    for (const field of fields) {
      const value = row[field.name];
      if (value === null || value === undefined) continue;
      if (!field.packed) copy[field.value] = value instanceof Date ? iso(value) : value;
      else if (typeof value === 'string') {
        const written = bytes.write(value, offset);
        copy[field.at] = offset + 1;
        copy[field.length] = written;
        offset += written;
      }
    }
    return copy;
  });
  return { json: JSON.stringify(out), bytes };
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
