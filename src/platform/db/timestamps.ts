/** A timestamptz column read back: drivers hand back a Date, raw SQL results may carry the text form. */
export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** A timestamptz column as ISO-8601 text. */
export function isoTimestamp(value: Date | string): string {
  return toDate(value).toISOString();
}

/** A nullable timestamptz column read back. */
export function toDateOrNull(value: Date | string | null): Date | null {
  return value === null ? null : toDate(value);
}
