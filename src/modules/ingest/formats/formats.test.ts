import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../platform/errors/app-error.js';
import { formatOf, parseAs, parseBody } from '../payload-parser.js';
import { MAX_COLUMNS, parseCsv } from './csv.format.js';
import { jsonErrorOffset } from './json.format.js';
import { assertXmlNesting, MAX_NESTING } from './nesting.js';
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
    expect(parseBody('{"a":1}', 'application/json')).toMatchObject({
      records: [{ a: 1 }],
      texts: ['{"a":1}'],
      multi: false,
    });
    expect(problemOf(() => parseBody('[{"a":1}]', 'application/json')).code).toBe('validation_failed');
    expect(parseBody('[ {"a": 1}, 2 ]', 'application/json', { jsonArrays: true })).toMatchObject({
      records: [{ a: 1 }, 2],
      texts: ['{"a": 1}', '2'],
      multi: true,
    });
  });

  it('stores each element of a JSON array as it was sent, whatever its strings and spacing hold', () => {
    const body =
      '[\n  {"note": "a, b ] } [", "q": "say \\"hi\\", \\\\"},\r\n\t[1, [2, {"x": ","}]] ,"s,t" , -1.5e3 ,null]';
    const parsed = parseBody(body, 'application/json', { jsonArrays: true });
    expect(parsed.texts).toEqual([
      '{"note": "a, b ] } [", "q": "say \\"hi\\", \\\\"}',
      '[1, [2, {"x": ","}]]',
      '"s,t"',
      '-1.5e3',
      'null',
    ]);
    expect(parseBody('[]', 'application/json', { jsonArrays: true }).texts).toEqual([]);
    expect(parseBody(' [ {"a":1} ] ', 'application/json', { jsonArrays: true }).texts).toEqual(['{"a":1}']);
  });

  it('cuts any JSON array into texts that parse back to its elements (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 12 }),
        fc.constantFrom('', ' ', '\n', '\t ', '\r\n  '),
        (values, space) => {
          // Reserved names are refused whole (tested above); the cut is what is under test here.
          fc.pre(!/"(__proto__|constructor|prototype)"/.test(JSON.stringify(values)));
          const body = `${space}[${space}${values.map((v) => JSON.stringify(v, null, space === '' ? undefined : 1)).join(`${space},${space}`)}${space}]${space}`;
          const parsed = parseBody(body, 'application/json', { jsonArrays: true });
          expect(parsed.texts.map((t) => JSON.parse(t) as unknown)).toEqual(parsed.records);
          expect(parsed.texts.every((t) => t === t.trim())).toBe(true);
        },
      ),
    );
  });

  it('reads every escape in keys and values as JSON does: refuses NUL and half pairs, keeps the rest (property)', () => {
    // Quotes, backslashes, `\u` written as text, NUL and surrogate halves: what the scan must tell apart.
    const piece = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 5 }),
      fc.constantFrom('"', '\\', '\\u', '\\u0000', '\u0000', '\ud800', '\udfff', '\ud83d\udcb3', 'é'),
    );
    const text = fc.array(piece, { maxLength: 5 }).map((pieces) => pieces.join(''));
    const storable = (s: string) => !s.includes('\u0000') && (s as string & { isWellFormed(): boolean }).isWellFormed();
    fc.assert(
      fc.property(fc.array(fc.array(fc.tuple(text, text), { maxLength: 4 }), { maxLength: 5 }), (items) => {
        fc.pre(items.flat().every(([key]) => !['__proto__', 'constructor', 'prototype'].includes(key)));
        const values = items.map((pairs) => Object.fromEntries(pairs));
        const body = JSON.stringify(values);
        // Judged on the objects built (a repeated key keeps only its last value), not on the pairs drawn.
        if (values.every((v) => Object.entries(v).flat().every(storable))) {
          const parsed = parseAs('json', body, { jsonArrays: true });
          expect(parsed.records).toEqual(values);
          expect(parsed.texts.map((t) => JSON.parse(t) as unknown)).toEqual(values);
        } else expect(problemOf(() => parseAs('json', body, { jsonArrays: true })).code).toBe('invalid_body');
      }),
    );
  });

  it('locates JSON syntax errors V8 reports without a position', () => {
    expect(jsonErrorOffset('{"a": ]}')).toBe(6);
    expect(jsonErrorOffset('[1,2,,]')).toBe(5);
    expect(jsonErrorOffset('{"a":1} x')).toBe(8);
    expect(problemOf(() => parseAs('json', '{\n"a": tru\n}')).extensions).toEqual({ line: 2, column: 9 });
  });

  it('treats a root with one repeated child, or a plural root, as an XML list', () => {
    expect(parseXml('<events><event><id>1</id></event><event><id>2</id></event></events>')).toMatchObject({
      records: [{ id: '1' }, { id: '2' }],
      texts: ['<event><id>1</id></event>', '<event><id>2</id></event>'],
      multi: true,
    });
    expect(parseXml('<payments><payment id="7"><amount>1</amount></payment></payments>')).toMatchObject({
      records: [{ '@_id': '7', amount: '1' }],
      multi: true,
    });
    const single = '<payment><amount>0012,50</amount><card><last4>4242</last4></card></payment>';
    expect(parseXml(single)).toEqual({
      records: [{ amount: '0012,50', card: { last4: '4242' } }],
      texts: [single],
      multi: false,
    });
  });

  it('nests dotted CSV headers and leaves empty cells out', () => {
    const parsed = parseCsv('\uFEFFid,card.last4,card.brand,note\n1,4242,visa,\n');
    expect(parsed.records).toEqual([{ id: '1', card: { last4: '4242', brand: 'visa' } }]);
    expect(parsed.texts).toEqual(['id,card.last4,card.brand,note\n1,4242,visa,']);
    expect(problemOf(() => parseCsv('id,\n1,2\n')).extensions).toMatchObject({ line: 1, column: 2 });
    expect(problemOf(() => parseCsv('id,amount\n"1,2\n')).extensions).toMatchObject({ format: 'csv', line: 2 });
  });

  it('refuses __proto__, constructor and prototype as keys in every format', () => {
    const cases: [Parameters<typeof parseAs>[0], string, string][] = [
      ['json', '{"a": {"__proto__": {"polluted": 1}}}', '__proto__'],
      ['json', '{"\\u005f_proto__": 1}', '__proto__'],
      ['json', '[{"constructor": {"prototype": 1}}]', 'constructor'],
      ['ndjson', '{"ok": 1}\n{"prototype": 2}\n', 'prototype'],
      ['xml', '<payment><__proto__><a>1</a></__proto__></payment>', '__proto__'],
      ['xml', '<payment><constructor>1</constructor></payment>', 'constructor'],
      ['xml', '<payment prototype="1"><a>1</a></payment>', 'prototype'],
      ['csv', 'id,card.__proto__.x\n1,2\n', '__proto__'],
      ['csv', 'id,constructor\n1,2\n', 'constructor'],
    ];
    for (const [format, body, key] of cases) {
      const problem = problemOf(() => parseAs(format, body, { jsonArrays: true }));
      expect(problem, body).toMatchObject({ code: 'reserved_key', status: 400, extensions: { format, key } });
    }
    // As values, the words are data like any other.
    expect(parseAs('json', '{"note": "__proto__ constructor"}').records).toEqual([{ note: '__proto__ constructor' }]);
  });

  it('caps CSV header depth and width as JSON and XML are capped', () => {
    const deep = `id,${Array.from({ length: MAX_NESTING + 1 }, (_, i) => `p${i}`).join('.')}\n1,2\n`;
    expect(problemOf(() => parseCsv(deep))).toMatchObject({
      code: 'invalid_body',
      extensions: { maxDepth: MAX_NESTING, column: 2 },
    });
    expect(problemOf(() => parseCsv(`${'a.'.repeat(5000)}b\n1\n`)).code).toBe('invalid_body');
    expect(
      parseCsv(`id,${Array.from({ length: MAX_NESTING }, (_, i) => `p${i}`).join('.')}\n1,2\n`).records,
    ).toHaveLength(1);
    const wide = (n: number) => `${Array.from({ length: n }, (_, i) => `c${i}`).join(',')}\n${'1,'.repeat(n - 1)}1\n`;
    expect(problemOf(() => parseCsv(wide(MAX_COLUMNS + 1)))).toMatchObject({
      code: 'invalid_body',
      extensions: { maxColumns: MAX_COLUMNS },
    });
    expect(parseCsv(wide(MAX_COLUMNS)).records).toHaveLength(1);
  });

  it('keeps the line breaks inside a quoted CSV cell and drops those around the row', () => {
    const parsed = parseCsv('id,note\r\n1,"a\n\n\nb"\r\n\r\n');
    expect(parsed.records).toEqual([{ id: '1', note: 'a\n\n\nb' }]);
    expect(parsed.texts).toEqual(['id,note\n1,"a\n\n\nb"']);
  });

  it('counts XML depth past comments, CDATA, declarations and quoted attributes', () => {
    const nested = (n: number, inner = 'x') => `${'<a k="&gt;/>">'.repeat(n)}${inner}${'</a>'.repeat(n)}`;
    expect(() =>
      assertXmlNesting(`<?xml version="1.0"?><!-- <b><b><b> -->${nested(MAX_NESTING, '<![CDATA[<c><c>]]><e/>')}`),
    ).not.toThrow();
    expect(problemOf(() => assertXmlNesting(nested(MAX_NESTING + 1)))).toMatchObject({
      code: 'invalid_body',
      extensions: { maxDepth: MAX_NESTING },
    });
    // Unbalanced noise is left to the validator, which answers with a line and column.
    expect(problemOf(() => parseAs('xml', '<'.repeat(4096)))).toMatchObject({
      code: 'invalid_body',
      extensions: { format: 'xml', line: 1 },
    });
  });

  it('reads character references in XML as the characters they stand for', () => {
    expect(parseXml('<p><n>&#52;&#x32;&amp;</n></p>').records).toEqual([{ n: '42&' }]);
  });
});
