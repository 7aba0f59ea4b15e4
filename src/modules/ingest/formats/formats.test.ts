import { describe, expect, it } from 'vitest';
import { AppError } from '../../../platform/errors/app-error.js';
import { formatOf, parseAs, parseBody } from '../payload-parser.js';
import { parseCsv } from './csv.format.js';
import { jsonErrorOffset } from './json.format.js';
import { parseXml } from './xml.format.js';

function problemOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('payload formats', () => {
  it('maps content types to formats and refuses the rest with 415', () => {
    expect(formatOf(undefined)).toBe('json');
    expect(formatOf('application/vnd.api+json; charset=utf-8')).toBe('json');
    expect(formatOf('application/x-ndjson')).toBe('ndjson');
    expect(formatOf('text/csv; header=present')).toBe('csv');
    expect(formatOf('text/xml')).toBe('xml');
    expect(formatOf('application/soap+xml')).toBe('xml');
    expect(problemOf(() => formatOf('multipart/form-data')).status).toBe(415);
  });

  it('keeps a single JSON object single and splits arrays only when asked', () => {
    expect(parseBody('{"a":1}', 'application/json')).toMatchObject({ records: [{ a: 1 }], texts: ['{"a":1}'], multi: false });
    expect(problemOf(() => parseBody('[{"a":1}]', 'application/json')).code).toBe('validation_failed');
    expect(parseBody('[ {"a": 1}, 2 ]', 'application/json', { jsonArrays: true })).toMatchObject({ records: [{ a: 1 }, 2], texts: ['{"a":1}', '2'], multi: true });
  });

  it('locates JSON syntax errors V8 reports without a position', () => {
    expect(jsonErrorOffset('{"a": ]}')).toBe(6);
    expect(jsonErrorOffset('[1,2,,]')).toBe(5);
    expect(jsonErrorOffset('{"a":1} x')).toBe(8);
    expect(problemOf(() => parseAs('json', '{\n"a": tru\n}')).extensions).toEqual({ line: 2, column: 9 });
  });

  it('treats a root with one repeated child, or a plural root, as an XML list', () => {
    expect(parseXml('<events><event><id>1</id></event><event><id>2</id></event></events>')).toMatchObject({ records: [{ id: '1' }, { id: '2' }], texts: ['<event><id>1</id></event>', '<event><id>2</id></event>'], multi: true });
    expect(parseXml('<payments><payment id="7"><amount>1</amount></payment></payments>')).toMatchObject({ records: [{ '@_id': '7', amount: '1' }], multi: true });
    const single = '<payment><amount>0012,50</amount><card><last4>4242</last4></card></payment>';
    expect(parseXml(single)).toEqual({ records: [{ amount: '0012,50', card: { last4: '4242' } }], texts: [single], multi: false });
  });

  it('nests dotted CSV headers and leaves empty cells out', () => {
    const parsed = parseCsv('\uFEFFid,card.last4,card.brand,note\n1,4242,visa,\n');
    expect(parsed.records).toEqual([{ id: '1', card: { last4: '4242', brand: 'visa' } }]);
    expect(parsed.texts).toEqual(['id,card.last4,card.brand,note\n1,4242,visa,']);
    expect(problemOf(() => parseCsv('id,\n1,2\n')).extensions).toMatchObject({ line: 1, column: 2 });
    expect(problemOf(() => parseCsv('id,amount\n"1,2\n')).extensions).toMatchObject({ format: 'csv', line: 2 });
  });
});
