import { CompiledQuery } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from './client.js';
import { jsonRowsText, packJsonRows, type ColumnSpec } from './json-rows.js';

const columns: ColumnSpec = { id: 'integer', body: 'packed text', note: 'text', at: 'timestamptz' };

describe('JSON rows with packed text columns', () => {
  let handle: DatabaseHandle<unknown> | null = null;
  afterEach(async () => {
    await handle?.close();
    handle = null;
  });

  it('carries packed text beside the JSON, byte-exact for any text, null as null', async () => {
    handle = await openDatabase({ dataDir: 'memory://', poolSize: 1 });
    const rows = [
      { id: 1, body: 'Zoë — 東京 💳 𝄞', note: 'a "quoted" note', at: new Date('2026-12-06T10:00:00.123Z') },
      { id: 2, body: '', note: null, at: new Date('2026-12-06T10:00:00.123Z') },
      { id: 3, body: null, note: 'x', at: new Date(Number.NaN) },
      { id: 4, body: '{"k": "\\u00e9\\n"}\n\ttrailing ', note: '', at: new Date('2026-12-06T10:00:01Z') },
    ];
    const { json, bytes } = packJsonRows(columns, rows);
    // The packed text is not in the JSON at all: the server reads it from the bytes.
    expect(json).not.toContain('東京');
    expect(bytes.toString('utf8')).toBe(`${rows[0]!.body}${rows[3]!.body}`);
    const result = await handle.db.executeQuery<{
      id: number;
      body: string | null;
      note: string | null;
      at: Date | null;
    }>(CompiledQuery.raw(`${jsonRowsText(columns, '$1', '$2')} ORDER BY 1`, [json, bytes]));
    expect(result.rows.map((r) => ({ ...r, at: r.at === null ? null : new Date(r.at).toISOString() }))).toEqual([
      { id: 1, body: rows[0]!.body, note: 'a "quoted" note', at: '2026-12-06T10:00:00.123Z' },
      { id: 2, body: '', note: null, at: '2026-12-06T10:00:00.123Z' },
      { id: 3, body: null, note: 'x', at: null },
      { id: 4, body: rows[3]!.body, note: '', at: '2026-12-06T10:00:01.000Z' },
    ]);
  });

  it('refuses a packed column without a bytes parameter to read it from', () => {
    expect(() => jsonRowsText(columns, '$1')).toThrow(/packed/);
  });
});
