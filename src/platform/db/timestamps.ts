/** A timestamptz column as ISO-8601 text: drivers hand back a Date, raw SQL results may carry the text form. */
export function isoTimestamp(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
