import { z } from 'zod';
import { decodeCursor, type KeysetCursor } from '../db/keyset-cursor.js';
import { fieldError } from '../errors/app-error.js';
import type { IdPrefix } from '../ids.js';

/** `from` inclusive, `to` exclusive, ISO 8601 with an offset. */
export const timeRangeQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export function toTimeRange(query: { from?: string | undefined; to?: string | undefined }): {
  from: Date | undefined;
  to: Date | undefined;
} {
  return { from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined };
}

/** A list route's paging parameters: pass a page's `nextCursor` back as `cursor`. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

/** A list route's answer: a page of items and the cursor to the next one (null on the last). */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

/** The `cursor` query parameter: absent → first page; not one of ours → 422. */
export function cursorParam(value: string | undefined, idPrefix: IdPrefix): KeysetCursor | null {
  if (value === undefined) return null;
  const cursor = decodeCursor(value, idPrefix);
  if (!cursor) throw fieldError('querystring.cursor', 'not a cursor this API returned');
  return cursor;
}
