import { AppError } from '../../../platform/errors/app-error.js';
import { clipped, type RecordList } from './json.format.js';

/**
 * One JSON value per line; blank lines are skipped. A bad line rejects the whole body with its
 * line number, so a client never has to guess which of its events were taken.
 */
export function parseNdjson(text: string): RecordList {
  const records: unknown[] = [];
  const texts: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line));
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'not valid JSON';
      throw new AppError('invalid_body', `NDJSON line ${i + 1} is not valid JSON: ${clipped(reason)}`, {
        line: i + 1,
        format: 'ndjson',
      });
    }
    texts.push(line);
  }
  if (records.length === 0)
    throw new AppError('invalid_body', 'The NDJSON body holds no records', { format: 'ndjson' });
  return { records, texts, multi: true };
}
