import { decodeCursor, type KeysetCursor } from '../db/keyset-cursor.js';
import { AppError } from '../errors/app-error.js';
import type { IdPrefix } from '../ids.js';

/** The `cursor` query parameter of a list route: absent → first page; not one of ours → 422. */
export function cursorParam(value: string | undefined, idPrefix: IdPrefix): KeysetCursor | null {
  if (value === undefined) return null;
  const cursor = decodeCursor(value, idPrefix);
  if (!cursor) {
    throw new AppError('validation_failed', 'querystring.cursor: not a cursor this API returned', {
      errors: [{ field: 'querystring.cursor', message: 'not a cursor this API returned' }],
    });
  }
  return cursor;
}
