import { CsvError, parse } from 'csv-parse/sync';
import { AppError } from '../../../platform/errors/app-error.js';
import { clipped, type RecordList } from './json.format.js';
import { assertKeyAllowed, MAX_NESTING } from './nesting.js';

/** Wider than any payment export; every column is a key of every row's record. */
export const MAX_COLUMNS = 1000;

const isBreak = (c: number) => c === 10 || c === 13;

/** The row text without the line breaks around it (a loop: a regex anchored at the end backtracks on every inner break). */
function trimBreaks(raw: string): string {
  let start = 0;
  let end = raw.length;
  while (start < end && isBreak(raw.charCodeAt(start))) start++;
  while (end > start && isBreak(raw.charCodeAt(end - 1))) end--;
  return raw.slice(start, end);
}

/** A header's path: `card.last4` → ["card", "last4"], refused when deeper than JSON and XML may nest or naming a reserved key. */
function headerPath(header: string, column: number): string[] {
  const parts = header.split('.').filter((p) => p !== '');
  if (parts.length > MAX_NESTING) {
    throw new AppError('invalid_body', `CSV header column ${column} nests deeper than ${MAX_NESTING} levels`, {
      format: 'csv',
      line: 1,
      column,
      maxDepth: MAX_NESTING,
    });
  }
  for (const part of parts) assertKeyAllowed(part, 'csv');
  return parts;
}

/** `card.last4` as a column header becomes `{ card: { last4 } }`, so CSV rows nest like JSON. */
function setPath(target: Record<string, unknown>, parts: readonly string[], value: string): void {
  if (parts.length === 0) return;
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = Object.hasOwn(node, part) ? node[part] : undefined;
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) node = next as Record<string, unknown>;
    else {
      const created: Record<string, unknown> = {};
      node[part] = created;
      node = created;
    }
  }
  node[parts[parts.length - 1]!] = value;
}

/**
 * A header row, then one event per row. Each row is stored as its own CSV text (header line plus
 * the row) so a stored raw event can be read and replayed on its own. Empty cells are left out.
 */
export function parseCsv(text: string): RecordList {
  let rows: { record: string[]; raw: string; info: { lines: number } }[];
  try {
    rows = parse(text, {
      raw: true,
      info: true,
      bom: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n'],
    }) as unknown as typeof rows;
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      const row = (error as CsvError & { records?: number }).records;
      throw new AppError('invalid_body', `CSV ${line ? `line ${line}` : 'body'}: ${clipped(error.message)}`, {
        format: 'csv',
        ...(line ? { line } : {}),
        ...(row !== undefined ? { row } : {}),
      });
    }
    throw error;
  }
  const [header, ...data] = rows;
  if (!header)
    throw new AppError('invalid_body', 'The CSV body is empty; expected a header row and one row per event', {
      format: 'csv',
    });
  if (header.record.length > MAX_COLUMNS) {
    throw new AppError(
      'invalid_body',
      `The CSV header has ${header.record.length} columns; at most ${MAX_COLUMNS} are accepted`,
      { format: 'csv', line: 1, maxColumns: MAX_COLUMNS },
    );
  }
  const columns = header.record.map((c) => c.trim());
  const blank = columns.findIndex((c) => c === '');
  if (blank >= 0)
    throw new AppError('invalid_body', `CSV header column ${blank + 1} has no name`, {
      format: 'csv',
      line: 1,
      column: blank + 1,
    });
  const paths = columns.map((c, i) => headerPath(c, i + 1));
  if (data.length === 0)
    throw new AppError('invalid_body', 'The CSV body has a header row but no data rows', { format: 'csv', line: 1 });
  const headerText = trimBreaks(header.raw);
  const records = data.map((row) => {
    const out: Record<string, unknown> = {};
    row.record.forEach((cell, i) => {
      if (cell.trim() !== '') setPath(out, paths[i]!, cell.trim());
    });
    return out;
  });
  return { records, texts: data.map((row) => `${headerText}\n${trimBreaks(row.raw)}`), multi: true };
}
