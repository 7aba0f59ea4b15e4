import { parse as parseCsv } from 'csv-parse/sync';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { passesLuhn } from '../../src/modules/ingest/pan-mask.js';
import { callApi, postEvent, type TestApp, appForSuite } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

function withLuhnDigit(prefix: string): string {
  for (let d = 0; d <= 9; d++) if (passesLuhn(prefix + d)) return prefix + d;
  throw new Error('unreachable');
}

type Spelling = 'plain' | 'json' | 'decimal' | 'hex';
const spellDigit: Record<Spelling, (c: string) => string> = {
  plain: (c) => c,
  json: (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  decimal: (c) => `&#${c.charCodeAt(0)};`,
  hex: (c) => `&#x${c.charCodeAt(0).toString(16)};`,
};

/** A PAN as it may be written: grouped by fours with a separator, every digit in one spelling. */
const spelled = (pan: string, separator: string, spelling: Spelling) =>
  pan
    .match(/.{1,4}/g)!
    .map((group) => [...group].map(spellDigit[spelling]).join(''))
    .join(separator);

/** What a reader could take from stored text: escapes and character references decoded (twice encoded too), separators dropped. */
function digitsSeen(text: string): string {
  let out = text;
  for (let i = 0; i < 3; i++) {
    out = out
      .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
      .replace(/&#[xX]([0-9a-fA-F]+);/g, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
      .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
      .replaceAll('&amp;', '&');
  }
  return out.replace(/[\s.-]/g, '');
}

const codeNames = ['cvv', 'cvc', 'cvv2', 'CVC2', 'security_code', 'securityCode', 'card_cvv', 'cid'] as const;

const sample = fc.record({
  pan: fc
    .integer({ min: 12, max: 19 })
    .chain((length) => fc.stringMatching(new RegExp(`^[1-9][0-9]{${length - 2}}$`)))
    .map(withLuhnDigit)
    // No issuer number starts with 0, and a 13-digit number in one piece starting with 1 is read as a millisecond timestamp (pan-mask.ts).
    .filter((pan) => !(pan.length === 13 && pan.startsWith('1'))),
  separator: fc.constantFrom('', ' ', '-', '.'),
  spelling: fc.constantFrom<Spelling>('plain', 'json', 'decimal', 'hex'),
  codeName: fc.constantFrom(...codeNames),
  code: fc.stringMatching(/^[0-9]{4}$/),
  discretionary: fc.stringMatching(/^[0-9]{8}$/),
  // Without a currency nothing normalizes: the raw event stays unprocessed (a dead letter later).
  withCurrency: fc.boolean(),
});
type Sample = typeof sample extends fc.Arbitrary<infer T> ? T : never;

let counter = 0;
/** The bodies of one sample, one per format; each names its security-code field so the test can find it again. */
function bodies(s: Sample, store: string) {
  const id = () => `card-${store}-${++counter}`;
  const code = s.code.slice(0, 3 + (counter % 2));
  const written = spelled(s.pan, s.separator, s.spelling);
  const track2 = `;${s.pan}=2912101${s.discretionary}?`;
  const currency = s.withCurrency ? 'EUR' : '';
  const asNumber =
    s.spelling === 'plain' && s.separator === '' && Number.isSafeInteger(Number(s.pan)) && !s.pan.startsWith('0');
  const json = () =>
    `{"id":"${id()}","amount":"12.50","currency":"${currency}","status":"paid","card":{"number":"${written}","${s.codeName}":"${code}","exp":"12/29"}` +
    `,"note":"paid with ${written} ok","track2":"${track2}"${asNumber ? `,"pan":${s.pan}` : ''}}`;
  const xmlPayment = () =>
    `<payment><id>${id()}</id><amount>12.50</amount><currency>${currency}</currency><status>paid</status>` +
    `<card number="${written}"><pan>${written}</pan><${s.codeName}>${code}</${s.codeName}></card><note>paid with ${written} ok</note><track2>${track2}</track2></payment>`;
  return [
    { format: 'json', contentType: 'application/json', body: json() },
    { format: 'json', contentType: 'application/x-ndjson', body: `${json()}\n${json()}\n` },
    { format: 'xml', contentType: 'application/xml', body: xmlPayment() },
    { format: 'xml', contentType: 'application/xml', body: `<payments>${xmlPayment()}${xmlPayment()}</payments>` },
    {
      format: 'csv',
      contentType: 'text/csv',
      body: `id,amount,currency,status,card.number,card.${s.codeName},note,track2\n${id()},12.50,${currency},paid,${written},${code},paid with ${written} ok,${track2}\n`,
    },
  ] as const;
}

/** The security code as stored, read back in the stored text's own format. */
function storedCode(format: string, payload: string, codeName: string): unknown {
  if (format === 'json') return (JSON.parse(payload) as { card: Record<string, unknown> }).card[codeName];
  if (format === 'xml') return new RegExp(`<${codeName}>([^<]*)</${codeName}>`).exec(payload)?.[1];
  const [header, row] = parseCsv(payload) as string[][];
  return row![header!.indexOf(`card.${codeName}`)];
}

/** Every text column of every table, as one string per row: what the database holds. */
async function everythingStored(t: TestApp): Promise<string[]> {
  const tables = await sql<{
    table_name: string;
  }>`select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(
    t.container.db,
  );
  const rows: string[] = [];
  for (const { table_name } of tables.rows) {
    const result = await sql.raw<Record<string, unknown>>(`select * from "${table_name}"`).execute(t.container.db);
    for (const row of result.rows)
      rows.push(`${table_name}: ${JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  }
  return rows;
}

describe.each(storeKinds())('no card data at rest (%s)', (store) => {
  const pans: string[] = [];

  const t = appForSuite(store);

  it('stores no PAN in any spelling, no security code and no track data, in any format', async () => {
    await fc.assert(
      fc.asyncProperty(sample, async (s) => {
        pans.push(s.pan);
        for (const request of bodies(s, store)) {
          const res = await postEvent(t, request.body, { contentType: request.contentType });
          expect([200, 201], res.body).toContain(res.statusCode);
          const answer = res.json() as { rawEvent?: { id: string }; items?: { rawEvent: { id: string } }[] };
          const ids = answer.items ? answer.items.map((i) => i.rawEvent.id) : [answer.rawEvent!.id];
          for (const id of ids) {
            const read = await callApi(t, 'GET', `/v1/raw-events/${id}`);
            expect(read.statusCode).toBe(200);
            const { payload, events } = read.json() as { payload: string; events: unknown[] };
            expect(digitsSeen(payload)).not.toContain(s.pan);
            expect(digitsSeen(JSON.stringify(events))).not.toContain(s.pan);
            expect(payload).not.toContain(`=2912101${s.discretionary}`);
            expect(storedCode(request.format, payload, s.codeName)).toBe('[redacted]');
            if (s.withCurrency) expect(events).toHaveLength(1);
          }
        }
      }),
      { numRuns: 15 },
    );
    // Then the database itself, every table, every row.
    const stored = await everythingStored(t);
    expect(stored.some((row) => row.startsWith('raw_events:'))).toBe(true);
    for (const row of stored) {
      const seen = digitsSeen(row);
      for (const pan of pans) expect(seen, row.slice(0, 200)).not.toContain(pan);
      expect(row).not.toMatch(/=2912101\d{8}/);
    }
  }, 240_000);

  it('keeps what only looks like card data: check results, short ids, timestamps and addresses', async () => {
    const payload = {
      id: `keep-${store}`,
      amount: '5.00',
      currency: 'EUR',
      status: 'paid',
      card: { cvc_check: 'pass', cvv_result: 'M', cid: 'cus_42', last4: '4242', bin: '424242' },
      created: 1732445000123,
      ip: '192.168.100.200',
    };
    const res = await postEvent(t, payload);
    expect(res.statusCode).toBe(201);
    const read = await callApi(t, 'GET', `/v1/raw-events/${res.json().rawEvent.id}`);
    expect(JSON.parse(read.json().payload)).toEqual(payload);
  });
});
