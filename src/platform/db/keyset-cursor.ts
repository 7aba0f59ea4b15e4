import { sql, type RawBuilder } from 'kysely';
import type { IdPrefix } from '../ids.js';

/**
 * A page boundary for newest-first keyset pagination: the last row's time and id. The next page is
 * the rows whose (time, id) sort before it, so pages stay stable while new rows arrive.
 */
export interface KeysetCursor {
  at: string;
  id: string;
}

function encodeCursor(cursor: KeysetCursor): string {
  return Buffer.from(`${cursor.at}|${cursor.id}`).toString('base64url');
}

/** Our ids: a three-letter prefix and a lower-case ULID (see ids.ts). */
const ID = /^[a-z]{3}_[0-9a-z]{26}$/;

/** Null unless the value is a cursor we returned for rows with this id prefix. */
export function decodeCursor(value: string, idPrefix: IdPrefix): KeysetCursor | null {
  const [at, id, extra] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  if (
    !at ||
    !id ||
    extra !== undefined ||
    Number.isNaN(Date.parse(at)) ||
    !id.startsWith(`${idPrefix}_`) ||
    !ID.test(id)
  )
    return null;
  return { at, id };
}

/** The rows after the cursor in newest-first order: `(time, id) < (cursor.at, cursor.id)`. */
export function afterCursor(timeColumn: string, idColumn: string, cursor: KeysetCursor): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) < (${new Date(cursor.at)}::timestamptz, ${cursor.id})`;
}

/**
 * A page from `limit + 1` rows read newest first: the first `limit`, mapped, and the cursor to the
 * rest when there is more (the extra row only says that there is).
 */
export function keysetPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  boundary: (last: T) => KeysetCursor,
): { data: T[]; nextCursor: string | null } {
  const data = rows.slice(0, limit).map(map);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last ? encodeCursor(boundary(last)) : null };
}
