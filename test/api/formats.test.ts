import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { postEvent, appForSuite } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

const xmlPayment = (id: string, amount: string, status: string) =>
  `<payment><transaction_id>${id}</transaction_id><monto>${amount}</monto><moneda>EUR</moneda><estado>${status}</estado><fecha>24/11/2026 13:05</fecha><email>ana@correo.example</email></payment>`;

describe.each(storeKinds())('body formats on /v1/events (%s)', (store) => {
  const post = (payload: string, contentType: string, query = '') => postEvent(t, payload, { contentType, query });

  const t = appForSuite(store);

  it('stores one XML document as one event, normalized by the heuristics', async () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xmlPayment(`tx-xml-${store}`, '1.234,50', 'aprobado')}`;
    const res = await post(body, 'application/xml; charset=utf-8');
    expect(res.statusCode).toBe(201);
    const { rawEvent, events } = res.json();
    expect(rawEvent).toMatchObject({ status: 'normalized', provider: 'unknown' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      normalizationMethod: 'heuristic',
      amountMinor: 123450,
      currency: 'EUR',
      status: 'approved',
      type: 'sale',
      providerPaymentId: `tx-xml-${store}`,
      emailDomain: 'correo.example',
      occurredAt: '2026-11-24T13:05:00.000Z',
    });
    expect(events[0].confidence).toBeGreaterThanOrEqual(0.6);
    const raw = await t.container.rawEvents.findById(t.tenantId, rawEvent.id);
    expect(raw?.payload).toBe(body);
    expect(raw?.contentType).toBe('application/xml; charset=utf-8');
  });

  it('answers an XML list item by item, each stored as its own XML text', async () => {
    const body = `<payments>${xmlPayment(`a-${store}`, '10,00', 'aprovado')}${xmlPayment(`b-${store}`, '5.5', 'recusado')}</payments>`;
    const res = await post(body, 'text/xml');
    expect(res.statusCode).toBe(200);
    const { items, summary } = res.json();
    expect(summary).toEqual({ stored: 2, queued: 0, duplicates: 0, failed: 0 });
    expect(items.map((i: { index: number; status: number }) => [i.index, i.status])).toEqual([
      [0, 201],
      [1, 201],
    ]);
    expect(items[1].events[0]).toMatchObject({ status: 'declined', failureReason: 'unknown', amountMinor: 550 });
    const raw = await t.container.rawEvents.findById(t.tenantId, items[0].rawEvent.id);
    expect(raw?.payload).toMatch(/^<payment><transaction_id>a-/);
    expect(raw?.payload).not.toContain(`b-${store}`);
    expect(raw?.contentType).toBe('application/xml');
  });

  it('stores each CSV row as its own raw event (header + row), masking card numbers', async () => {
    const body = [
      'id,amount,currency,status,created_at,card_number,customer.email',
      `csv1-${store},"1,234.56",USD,approved,2026-11-24T10:00:00Z,4111 1111 1111 1111,x@shop.example`,
      '',
      `csv2-${store},99,BRL,pendente,1732445000,,y@shop.example`,
    ].join('\r\n');
    const res = await post(body, 'text/csv');
    expect(res.statusCode).toBe(200);
    const { items, summary } = res.json();
    expect(summary.stored).toBe(2);
    expect(items[0].events[0]).toMatchObject({
      amountMinor: 123456,
      currency: 'USD',
      status: 'approved',
      card: { bin: '411111', last4: '1111' },
      emailDomain: 'shop.example',
    });
    expect(items[1].events[0]).toMatchObject({
      amountMinor: 9900,
      currency: 'BRL',
      status: 'pending',
      occurredAt: '2024-11-24T10:43:20.000Z',
    });
    const raw = await t.container.rawEvents.findById(t.tenantId, items[0].rawEvent.id);
    expect(raw?.payload).toBe(
      `id,amount,currency,status,created_at,card_number,customer.email\ncsv1-${store},"1,234.56",USD,approved,2026-11-24T10:00:00Z,411111******1111,x@shop.example`,
    );
    expect(raw?.contentType).toBe('text/csv');
  });

  it('takes NDJSON line by line with the single-event idempotency rules', async () => {
    const a = stripeEvent('charge.succeeded', charge());
    const b = stripeEvent('charge.succeeded', charge());
    const body = `${JSON.stringify(a)}\n\n${JSON.stringify(b)}\n{"hello":"world","n":"${store}"}\n`;
    const first = await post(body, 'application/x-ndjson');
    expect(first.statusCode).toBe(200);
    expect(first.json().items.map((i: { status: number }) => i.status)).toEqual([201, 201, 201]);
    expect(first.json().items[0].rawEvent).toMatchObject({
      provider: 'stripe',
      providerEventId: a.id,
      status: 'normalized',
    });
    expect(first.json().items[2].rawEvent).toMatchObject({
      status: 'unprocessed',
      error: expect.stringContaining('heuristic confidence'),
    });
    const again = await post(body, 'application/x-ndjson');
    expect(again.json().summary).toEqual({ stored: 0, queued: 0, duplicates: 3, failed: 0 });
    expect(again.json().items[1].rawEvent.id).toBe(first.json().items[1].rawEvent.id);
    // A single event sent alone afterwards is the same event.
    const single = await post(JSON.stringify(a), 'application/json');
    expect(single.statusCode).toBe(200);
    expect(single.json().rawEvent.id).toBe(first.json().items[0].rawEvent.id);
  });

  it('answers precise 400s naming the line at fault, and 415 for other types', async () => {
    const xml = await post('<payment>\n  <amount>1</amount>\n  <oops>\n</payment>', 'application/xml');
    expect(xml.statusCode).toBe(400);
    expect(xml.json()).toMatchObject({ code: 'invalid_body', line: 4, detail: expect.stringContaining('line 4') });
    const doctype = await post('<!DOCTYPE x [<!ENTITY a "b">]><x><a>&a;</a></x>', 'application/xml');
    expect(doctype.json()).toMatchObject({ status: 400, code: 'invalid_body' });
    const csv = await post('id,amount\n1,2\n3,4,5\n', 'text/csv');
    expect(csv.statusCode).toBe(400);
    expect(csv.json()).toMatchObject({ code: 'invalid_body', line: 3 });
    const headerOnly = await post('id,amount\n', 'text/csv');
    expect(headerOnly.json()).toMatchObject({ status: 400, code: 'invalid_body' });
    const ndjson = await post('{"a":1}\n{"a":\n', 'application/x-ndjson');
    expect(ndjson.statusCode).toBe(400);
    expect(ndjson.json()).toMatchObject({ code: 'invalid_body', line: 2 });
    const json = await post('{\n  "id": 1,\n  "x": ]\n}', 'application/json');
    expect(json.statusCode).toBe(400);
    expect(json.json()).toMatchObject({ code: 'invalid_json', line: 3 });
    const other = await post('a=1', 'application/x-www-form-urlencoded');
    expect(other.json()).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    const before = await t.container.rawEvents.countForTenant(t.tenantId);
    await post('{"a":1}\n{"a":2}\nnope\n', 'application/x-ndjson');
    expect(await t.container.rawEvents.countForTenant(t.tenantId)).toBe(before);
  });

  it('normalizes Spanish and Portuguese payloads by field names and values', async () => {
    const res = await post(
      JSON.stringify({
        pedido: {
          id_transacao: `pt-${store}`,
          valor: 'R$ 1.050,75',
          situacao: 'Recusado',
          motivo: 'Saldo insuficiente',
          data: '05/03/2026',
          cartao: { bandeira: 'visa', ultimos4: '4242' },
        },
      }),
      'application/json',
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().events[0]).toMatchObject({
      normalizationMethod: 'heuristic',
      amountMinor: 105075,
      currency: 'BRL',
      status: 'declined',
      failureReason: 'insufficient_funds',
      providerMessage: 'Saldo insuficiente',
      card: { brand: 'visa', last4: '4242' },
      occurredAt: '2026-03-05T00:00:00.000Z',
    });
  });
});

describe('fuzzing /v1/events and /v1/events/batch (pglite)', () => {
  const t = appForSuite('pglite');

  const types = ['application/json', 'application/xml', 'text/csv', 'application/x-ndjson', 'text/plain', ''];
  const xmlish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '<',
          '>',
          '</',
          '/>',
          '<a>',
          '</a>',
          '<b x="1">',
          '&amp;',
          '<?xml version="1.0"?>',
          '<![CDATA[',
          ']]>',
          '12,50',
          'EUR',
        ),
        fc.string(),
      ),
      { maxLength: 12 },
    )
    .map((p) => p.join(''));
  const csvish = fc
    .array(
      fc
        .array(fc.oneof(fc.string(), fc.constantFrom('"', '""', 'amount', '1,5', 'USD', 'aprobado')), { maxLength: 5 })
        .map((r) => r.join(',')),
      { maxLength: 6 },
    )
    .map((rows) => rows.join(fc.sample(fc.constantFrom('\n', '\r\n'), 1)[0]));
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.json().map((j) => Buffer.from(j)),
    // Any code point in strings: NUL and surrogate escapes among them, as JSON.stringify writes them.
    fc.json({ stringUnit: 'binary' }).map((j) => Buffer.from(j)),
    fc.array(fc.json(), { maxLength: 4 }).map((lines) => Buffer.from(lines.join('\n'))),
    fc.array(fc.jsonValue(), { maxLength: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
    xmlish.map((s) => Buffer.from(s)),
    csvish.map((s) => Buffer.from(s)),
  );

  it('refuses absurdly deep nesting with a 400 instead of overflowing the stack', async () => {
    const depth = 50_000;
    const object = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const cases: [string, string, string][] = [
      ['/v1/events', object, 'application/json'],
      ['/v1/events/batch', `[${object}]`, 'application/json'],
      ['/v1/events/batch', `${'['.repeat(depth)}${']'.repeat(depth)}`, 'application/json'],
      ['/v1/events', `${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}`, 'application/xml'],
    ];
    for (const [url, payload, contentType] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': contentType },
        payload,
      });
      expect(res.json()).toMatchObject({ status: 400, code: 'invalid_body', maxDepth: 64 });
    }
  });

  it('refuses text no database column can hold (NUL, half a surrogate pair) with a 400 saying where, storing nothing', async () => {
    const event = JSON.stringify({ id: 'evt_hostile', type: 'charge.succeeded', data: { object: { id: 'ch_X' } } });
    const inValue = (escape: string) => event.replace('ch_X', `ch_${escape}`);
    const cases: [string, string, string, number, number][] = [
      ['/v1/events', inValue('\\u0000'), 'application/json', 1, 74],
      ['/v1/events', event.replace('"type"', '"ty\\u0000pe"'), 'application/json', 1, 24],
      ['/v1/events', inValue('\\ud800x'), 'application/json', 1, 74],
      ['/v1/events', inValue('\\uDC00'), 'application/json', 1, 74],
      ['/v1/events', inValue('\\ud800\\ud800'), 'application/json', 1, 74],
      ['/v1/events/batch', `[${event},\n${inValue('\\u0000')}]`, 'application/json', 2, 74],
      ['/v1/events/batch', `${event}\n${inValue('\\u0000')}`, 'application/x-ndjson', 2, 74],
      ['/v1/events', 'id,amount,currency\nx1,10\u0000,USD\n', 'text/csv', 2, 6],
      ['/v1/events', '<event><id>x\u00002</id></event>', 'application/xml', 1, 13],
    ];
    const before = await t.container.db
      .selectFrom('raw_events')
      .select((e) => e.fn.countAll().as('n'))
      .executeTakeFirst();
    for (const [url, payload, contentType, line, column] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': contentType },
        payload,
      });
      expect(res.json(), `${contentType} ${JSON.stringify(payload)}`).toMatchObject({
        status: 400,
        code: 'invalid_body',
        line,
        column,
      });
    }
    const after = await t.container.db
      .selectFrom('raw_events')
      .select((e) => e.fn.countAll().as('n'))
      .executeTakeFirst();
    expect(Number(after?.n)).toBe(Number(before?.n));
    // What they can hold passes: a surrogate pair, and an escaped backslash before "u0000".
    for (const escape of ['\\ud83d\\ude00', '\\\\u0000']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
        payload: inValue(escape).replace('evt_hostile', `evt_ok_${escape.length}`),
      });
      expect(res.statusCode, escape).toBeLessThan(300);
    }
  });

  it('answers a stored event, an unprocessed record or a 4xx problem, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.constantFrom(...types),
        fc.constantFrom('/v1/events', '/v1/events/batch'),
        async (payload, contentType, url) => {
          const res = await t.app.inject({
            method: 'POST',
            url,
            headers: { authorization: `Bearer ${t.apiKey}`, ...(contentType ? { 'content-type': contentType } : {}) },
            payload,
          });
          expect(res.statusCode).toBeLessThan(500);
          const json = res.json();
          if (res.statusCode >= 400) {
            expect(json).toMatchObject({ status: res.statusCode, code: expect.any(String) });
          } else if (json.items) {
            for (const item of json.items)
              expect(item.status === 200 || item.status === 201 || (item.status >= 400 && item.status < 500)).toBe(
                true,
              );
          } else {
            expect(['normalized', 'unprocessed', 'ignored']).toContain(json.rawEvent.status);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
