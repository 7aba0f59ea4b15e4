import { CompiledQuery, type Kysely } from 'kysely';
import { insertRowsText, type ColumnSpec } from './json-rows.js';
import { PREPARED_STATEMENT_MARKER } from './prepared-statements.js';

/** Where a write's JSON rows parameter goes in its text. */
const ROWS = '{rows}';

/**
 * One write of a combined statement: `INSERT INTO <table> (<columns>) SELECT … FROM
 * json_to_recordset(<rows>) <tail>`, its text fixed when the module loads. A tail ending in
 * `RETURNING <text expression> AS r` hands that value back (see runCombinedWrites).
 */
export interface CombinedWrite {
  /** Unique among the writes of one statement; keys what the write returned. */
  readonly name: string;
  readonly text: string;
  readonly returns: boolean;
}

/** A write and this call's rows for it (none is fine: the write stays in, so the statement text does not change). */
export interface WriteRows {
  readonly write: CombinedWrite;
  readonly rows: readonly object[];
}

/** The write's text, built once: the query builder is not in the per-request path. */
export function combinedWrite(
  name: string,
  table: string,
  columns: ColumnSpec,
  tail = '',
  returns = false,
): CombinedWrite {
  const text = `${insertRowsText(table, columns, ROWS)} ${tail}`;
  return { name, text, returns };
}

const statements = new Map<string, string>();

function statementOf(writes: readonly CombinedWrite[]): string {
  const key = writes.map((w) => w.name).join('\u0000');
  let text = statements.get(key);
  if (text === undefined) {
    const ctes = writes.map((w, i) => `w${i} AS (${w.text.replace(ROWS, `$${i + 1}`)})`);
    const selects = writes.flatMap((w, i) => (w.returns ? [`SELECT ${i} AS w, r FROM w${i}`] : []));
    const main =
      selects.length > 0 ? selects.join(' UNION ALL ') : 'SELECT NULL::integer AS w, NULL::text AS r WHERE false';
    text = `${PREPARED_STATEMENT_MARKER} WITH ${ctes.join(', ')} ${main}`;
    statements.set(key, text);
  }
  return text;
}

/**
 * Runs many modules' writes as ONE statement (data-modifying CTEs): one round trip, one parse of
 * the protocol, one prepared plan instead of one per write. Each write sees the database as the
 * statement started, not its siblings' rows; PostgreSQL checks foreign keys at the end of the
 * statement, so a child may be inserted beside its parent. Returns what each returning write
 * returned, by write name.
 */
export async function runCombinedWrites<DB>(
  trx: Kysely<DB>,
  parts: readonly WriteRows[],
): Promise<Map<string, string[]>> {
  const returned = new Map<string, string[]>();
  if (parts.length === 0) return returned;
  const text = statementOf(parts.map((p) => p.write));
  const result = await trx.executeQuery<{ w: number; r: string }>(
    CompiledQuery.raw(
      text,
      parts.map((p) => JSON.stringify(p.rows)),
    ),
  );
  for (const part of parts) if (part.write.returns) returned.set(part.write.name, []);
  for (const row of result.rows) returned.get(parts[row.w]!.write.name)!.push(row.r);
  return returned;
}
