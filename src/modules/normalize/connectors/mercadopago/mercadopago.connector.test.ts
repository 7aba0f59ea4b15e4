import { createHmac } from 'node:crypto';
import { expectSingleEvent, expectTotal, readJsonFixture, testNormalizeContext } from '../connector.testing.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureReasons } from '../../canonical.js';
import type { VerifyInput } from '../../connector.js';
import { noOutbound, OutboundClient } from '../../../../platform/net/outbound-client.js';
import { mercadoPagoConnector } from './mercadopago.connector.js';
import { mercadoPagoManifest, mercadoPagoTsMillis } from './mercadopago.signature.js';
import { mercadoPagoNonFailureDetails } from './mercadopago.codes.js';
import { chargeback, chargebackNotification, notification, payment } from './__fixtures__/mercadopago-payments.js';

const ctx = testNormalizeContext;

/** Every status_detail of FORMATS §4.2: documented ones and the hedged in-the-wild ones. */
const documentedDetails = `accredited pending_contingency pending_review_manual cc_rejected_bad_filled_card_number
cc_rejected_bad_filled_date cc_rejected_bad_filled_other cc_rejected_bad_filled_security_code cc_rejected_blacklist
cc_rejected_call_for_authorize cc_rejected_card_disabled cc_rejected_card_error cc_rejected_duplicated_payment
cc_rejected_high_risk cc_rejected_insufficient_amount cc_rejected_invalid_installments cc_rejected_max_attempts
cc_rejected_other_reason pending_waiting_payment pending_waiting_transfer partially_refunded refunded by_collector
by_payer expired cc_rejected_3ds_challenge rejected_by_regulations`.split(/\s+/);

describe('mercadopago connector: detection and ids', () => {
  it('claims notifications and payment resources, nothing else', () => {
    expect(mercadoPagoConnector.detect(notification('123'))).toBeGreaterThan(0.9);
    expect(mercadoPagoConnector.detect(payment())).toBeGreaterThan(0.8);
    expect(
      mercadoPagoConnector.detect({ id: 'evt_1', object: 'event', type: 'charge.succeeded', data: { object: {} } }),
    ).toBe(0);
    expect(mercadoPagoConnector.detect({ id: 'WH-1', event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: {} })).toBe(0);
    expect(mercadoPagoConnector.detect({ transaction_amount: '12.34', currency_id: 'BRL', status: 'approved' })).toBe(
      0,
    );
  });

  it('a notification dedupes on its own id; a resource on id:status:date_last_updated', () => {
    const n = notification('123');
    expect(mercadoPagoConnector.eventId(n)).toBe(String(n.id));
    const p = payment({ id: 555, status: 'approved', date_last_updated: '2024-11-24T10:00:02.000-03:00' });
    expect(mercadoPagoConnector.eventId(p)).toBe('555:approved:2024-11-24T10:00:02.000-03:00');
    expect(
      mercadoPagoConnector.eventId(
        payment({ id: 555, status: 'refunded', date_last_updated: '2024-11-25T09:00:00.000-03:00' }),
      ),
    ).not.toBe(mercadoPagoConnector.eventId(p));
  });
});

describe('mercadopago connector: payments', () => {
  it('normalizes an approved BRL payment exactly', () => {
    const p = payment({ id: 777001 });
    const e = expectSingleEvent(mercadoPagoConnector.normalize(p, ctx));
    expect(e).toMatchObject({
      providerEventId: '777001:approved:2024-11-24T10:00:02.000-03:00',
      providerPaymentId: '777001',
      type: 'sale',
      status: 'approved',
      failureReason: null,
      providerCode: 'accredited',
      amountMinor: 1234,
      currency: 'BRL',
      merchant: { id: '810882299', name: null, country: null },
      customerKey: 'ck_email_comprador@cliente.example',
      emailDomain: 'cliente.example',
      card: { brand: 'visa', bin: '423564', last4: '5682', country: null, funding: 'credit' },
      normalizationMethod: 'rules',
      confidence: 1,
    });
    expect(e.occurredAt.toISOString()).toBe('2024-11-24T13:00:02.000Z');
    expect(e.metadata).toMatchObject({
      providerMetadata: { order_number: 'order_1042' },
      paymentMethodId: 'visa',
      installments: 1,
    });
  });

  it('normalizes a rejected CLP payment from a JSON fixture (0-decimal currency)', () => {
    const payload = readJsonFixture(new URL('./__fixtures__/payment.rejected.json', import.meta.url));
    const e = expectSingleEvent(mercadoPagoConnector.normalize(payload, ctx));
    expect(e).toMatchObject({
      providerPaymentId: '20240001001',
      type: 'sale',
      status: 'declined',
      failureReason: 'insufficient_funds',
      declineType: 'soft',
      recommendedAction: 'retry_later',
      providerCode: 'cc_rejected_insufficient_amount',
      amountMinor: 1500,
      currency: 'CLP',
      card: { brand: 'mastercard', bin: '520000', last4: '0009', funding: 'debit' },
    });
  });

  it.each([
    [12.34, 'BRL', 1234],
    [1500, 'CLP', 1500],
    [0.1, 'ARS', 10],
    [0.29, 'MXN', 29],
    [1.005, 'PEN', 101],
    [19999.99, 'COP', 1999999],
    [100, 'UYU', 10000],
  ])('transaction_amount %d %s is %i minor units', (amount, currency, expected) => {
    const e = expectSingleEvent(
      mercadoPagoConnector.normalize(payment({ transaction_amount: amount, currency_id: currency }), ctx),
    );
    expect(e.amountMinor).toBe(expected);
    expect(e.currency).toBe(currency);
  });

  it.each([
    ['pending', 'pending_waiting_payment', 'sale', 'pending'],
    ['approved', 'accredited', 'sale', 'approved'],
    ['authorized', 'pending_capture', 'authorization', 'approved'],
    ['in_process', 'pending_contingency', 'sale', 'pending'],
    ['in_mediation', null, 'dispute', 'chargeback'],
    ['rejected', 'cc_rejected_other_reason', 'sale', 'declined'],
    ['cancelled', 'expired', 'void', 'canceled'],
    ['refunded', 'refunded', 'refund', 'refunded'],
    ['charged_back', 'settled', 'dispute', 'chargeback'],
  ])('status %s (%s) is %s/%s', (status, detail, type, expected) => {
    const e = expectSingleEvent(mercadoPagoConnector.normalize(payment({ status, status_detail: detail }), ctx));
    expect(e).toMatchObject({ type, status: expected, providerCode: detail });
    expect(e.failureReason === null).toBe(expected !== 'declined');
  });

  it('a chargeback is a dispute of each payment it names, with its reason; one naming none is ignored', () => {
    const outcome = mercadoPagoConnector.normalize(chargeback([111111111, 222222222], { amount: '108.43' }), ctx);
    expect(outcome.kind).toBe('events');
    const events = outcome.kind === 'events' ? outcome.events : [];
    expect(events.map((e) => [e.providerPaymentId, e.type, e.status, e.providerCode, e.amountMinor])).toEqual([
      ['111111111', 'dispute', 'chargeback', 'general', 10843],
      ['222222222', 'dispute', 'chargeback', 'general', 10843],
    ]);
    expect(new Set(events.map((e) => e.providerEventId)).size).toBe(2);
    expect(mercadoPagoConnector.normalize(chargeback([]), ctx)).toMatchObject({ kind: 'ignored' });
    expect(mercadoPagoConnector.normalize(chargebackNotification(1, 2), ctx)).toMatchObject({ kind: 'ignored' });
  });

  it('a refund carries the refunded amount; a partial refund is partially_refunded', () => {
    const full = expectSingleEvent(
      mercadoPagoConnector.normalize(
        payment({ status: 'refunded', status_detail: 'refunded', transaction_amount_refunded: 12.34 }),
        ctx,
      ),
    );
    expect(full).toMatchObject({ type: 'refund', status: 'refunded', amountMinor: 1234 });
    const partial = expectSingleEvent(
      mercadoPagoConnector.normalize(
        payment({ status: 'approved', status_detail: 'partially_refunded', transaction_amount_refunded: 5.5 }),
        ctx,
      ),
    );
    expect(partial).toMatchObject({ type: 'refund', status: 'partially_refunded', amountMinor: 550 });
  });

  it('an unmapped rejection detail is unknown and reported, never guessed', () => {
    const e = expectSingleEvent(
      mercadoPagoConnector.normalize(payment({ status: 'rejected', status_detail: 'cc_rejected_new_2027' }), ctx),
    );
    expect(e).toMatchObject({ failureReason: 'unknown', unmappedCode: 'cc_rejected_new_2027' });
  });

  it('keys the customer by payer id when there is no email; Pix has no card', () => {
    const e = expectSingleEvent(
      mercadoPagoConnector.normalize(
        payment({ payer: { id: '42' }, payment_method_id: 'pix', payment_type_id: 'bank_transfer', card: {} }),
        ctx,
      ),
    );
    expect(e).toMatchObject({ customerKey: 'ck_id_42', emailDomain: null, card: null });
  });

  it('an unknown status is ignored; a non-payment notification is ignored', () => {
    expect(mercadoPagoConnector.normalize(payment({ status: 'teleported' }), ctx)).toEqual({
      kind: 'ignored',
      reason: expect.stringContaining('teleported'),
    });
    expect(
      mercadoPagoConnector.normalize(notification('9', { type: 'merchant_order', action: undefined }), ctx).kind,
    ).toBe('ignored');
  });

  it('normalize, eventId and detect never throw on arbitrary JSON, bare or shaped like a payment', () => {
    const shaped = fc.record({
      id: fc.oneof(fc.integer(), fc.string()),
      status: fc.constantFrom(
        'pending',
        'approved',
        'authorized',
        'in_process',
        'in_mediation',
        'rejected',
        'cancelled',
        'refunded',
        'charged_back',
        'x',
      ),
      status_detail: fc.oneof(fc.string(), fc.constant(null)),
      transaction_amount: fc.double(),
      transaction_amount_refunded: fc.jsonValue(),
      currency_id: fc.constantFrom('BRL', 'CLP', 'ARS'),
      payment_method_id: fc.string(),
      card: fc.jsonValue(),
      payer: fc.jsonValue(),
      date_last_updated: fc.jsonValue(),
      metadata: fc.jsonValue(),
    });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), shaped), (payload) => expectTotal(mercadoPagoConnector, payload)),
      { numRuns: 300 },
    );
  });
});

describe('mercadopago connector: status_detail table', () => {
  it('knows every documented status_detail: a canonical reason for failures, none for successes', () => {
    for (const detail of documentedDetails) {
      const mapping = mercadoPagoConnector.codes[detail];
      expect(mapping !== undefined || mercadoPagoNonFailureDetails.has(detail), detail).toBe(true);
      expect(mapping !== undefined && mercadoPagoNonFailureDetails.has(detail), detail).toBe(false);
      if (mapping) {
        expect(failureReasons).toContain(mapping.reason);
        expect(mapping.reason, detail).not.toBe('unknown');
      }
    }
  });

  it.each([
    ['cc_rejected_bad_filled_security_code', 'incorrect_cvc', 'soft', 'ask_customer_to_check_details'],
    ['cc_rejected_call_for_authorize', 'do_not_honor', 'soft', 'contact_issuer'],
    ['cc_rejected_high_risk', 'blocked_by_risk_rules', 'hard', 'ask_customer_for_new_card'],
    ['cc_rejected_duplicated_payment', 'duplicate_transaction', 'hard', 'do_not_retry'],
    ['cc_rejected_3ds_challenge', 'authentication_failed', 'soft', 'retry_with_authentication'],
    ['rejected_by_regulations', 'restricted_card', 'hard', 'do_not_retry'],
  ])('%s → %s (%s, %s)', (detail, reason, declineType, action) => {
    const e = expectSingleEvent(
      mercadoPagoConnector.normalize(payment({ status: 'rejected', status_detail: detail }), ctx),
    );
    expect(e).toMatchObject({ failureReason: reason, declineType, recommendedAction: action });
  });
});

describe('mercadopago connector: resolve', () => {
  let server: Server;
  let base: string;
  // The listener is on loopback, so this client is the one an operator gets with OUTBOUND_ALLOW_PRIVATE and OUTBOUND_ALLOW_HTTP.
  const http = new OutboundClient({ allowHttp: true, allowPrivate: true });
  const requests: Array<{ url: string; auth: string | undefined }> = [];
  const stored = payment({ id: 123456789012, status: 'approved', transaction_amount: 250.5, currency_id: 'MXN' });
  const case1 = chargeback([123456789012], { id: '777' });
  // An 18-digit chargeback id, as the API sends it: only its string form is exact.
  const case2 = chargeback([123456789013], { id: '233000061680860001' });

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push({ url: req.url ?? '', auth: req.headers.authorization });
      if (req.headers.authorization !== 'Bearer APP_USR-test-token')
        return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"invalid token"}');
      if (req.url === '/v1/payments/123456789012')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stored));
      if (req.url === '/v1/payments/555')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stored));
      if (req.url === '/v1/chargebacks/777' || req.url === '/v1/chargebacks/555')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(case1));
      if (req.url === '/v1/chargebacks/123456789013')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(case2));
      if (req.url === '/v1/payments/301')
        return void res.writeHead(301, { location: '/v1/payments/123456789012' }).end();
      if (req.url === '/v1/payments/999') return; // never answers: the caller's timeout must fire
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Payment not found","status":404}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await http.close();
  });

  const resolveCtx = (settings: Record<string, unknown> = {}) => ({
    settings: { apiBaseUrl: base, accessToken: 'APP_USR-test-token', ...settings },
    http,
  });

  it('fetches the notified payment with the access token and normalizes it', async () => {
    const resolved = await mercadoPagoConnector.resolve!(notification('123456789012'), resolveCtx());
    expect(requests.at(-1)).toEqual({ url: '/v1/payments/123456789012', auth: 'Bearer APP_USR-test-token' });
    const e = expectSingleEvent(mercadoPagoConnector.normalize(resolved, ctx));
    expect(e).toMatchObject({
      providerPaymentId: '123456789012',
      amountMinor: 25050,
      currency: 'MXN',
      status: 'approved',
    });
  });

  it('fetches the chargeback a chargeback notification names; it becomes a dispute of its payment with the reason', async () => {
    const resolved = await mercadoPagoConnector.resolve!(chargebackNotification(777, 123456789012), resolveCtx());
    expect(requests.at(-1)).toEqual({ url: '/v1/chargebacks/777', auth: 'Bearer APP_USR-test-token' });
    expect(mercadoPagoConnector.detect(resolved)).toBeGreaterThan(0.8);
    const e = expectSingleEvent(mercadoPagoConnector.normalize(resolved, ctx));
    expect(e).toMatchObject({
      type: 'dispute',
      status: 'chargeback',
      providerPaymentId: '123456789012',
      providerCode: 'general',
      amountMinor: 1234,
      currency: 'BRL',
      metadata: { chargebackId: '777', documentationStatus: 'pending' },
    });
  });

  it('an 18-digit chargeback id (a JSON number past 2^53) is fetched by its payment id instead', async () => {
    const n = JSON.parse(
      JSON.stringify(chargebackNotification('__ID__', 123456789013)).replace('"__ID__"', '233000061680860001'),
    ) as Record<string, unknown>;
    const resolved = await mercadoPagoConnector.resolve!(n, resolveCtx());
    expect(requests.at(-1)!.url).toBe('/v1/chargebacks/123456789013');
    expect(expectSingleEvent(mercadoPagoConnector.normalize(resolved, ctx))).toMatchObject({
      providerPaymentId: '123456789013',
      metadata: { chargebackId: '233000061680860001' },
    });
  });

  it('an answer that is not the notified chargeback is not taken', async () => {
    await expect(mercadoPagoConnector.resolve!(chargebackNotification(555, 1), resolveCtx())).rejects.toThrow(
      /^Mercado Pago GET \/v1\/chargebacks\/555 did not return that chargeback$/,
    );
  });

  it('a 404 throws a clear error without the remote body, so the event stays unprocessed', async () => {
    await expect(mercadoPagoConnector.resolve!(notification('404404'), resolveCtx())).rejects.toThrow(
      /^Mercado Pago GET \/v1\/payments\/404404 answered HTTP 404$/,
    );
  });

  it('a wrong token throws with the HTTP status', async () => {
    await expect(
      mercadoPagoConnector.resolve!(notification('123456789012'), resolveCtx({ accessToken: 'nope' })),
    ).rejects.toThrow(/HTTP 401/);
  });

  it('a redirect is not followed, and an answer for another payment is not taken', async () => {
    const before = requests.length;
    await expect(mercadoPagoConnector.resolve!(notification('301'), resolveCtx())).rejects.toThrow(/answered HTTP 301/);
    expect(requests).toHaveLength(before + 1);
    await expect(mercadoPagoConnector.resolve!(notification('555'), resolveCtx())).rejects.toThrow(
      /did not return that payment/,
    );
  });

  it('a silent API times out with a clear error', async () => {
    await expect(mercadoPagoConnector.resolve!(notification('999'), resolveCtx({ timeoutMs: 200 }))).rejects.toThrow(
      /timed out/,
    );
  });

  it('missing settings and a malformed data.id throw before any request', async () => {
    const before = requests.length;
    await expect(mercadoPagoConnector.resolve!(notification('1'), { settings: {}, http })).rejects.toThrow(
      /accessToken/,
    );
    await expect(mercadoPagoConnector.resolve!(notification('../users/me'), resolveCtx())).rejects.toThrow(
      /invalid data.id/,
    );
    expect(requests).toHaveLength(before);
  });

  it('under the default policy the loopback API is refused before any connection, and the token never leaves', async () => {
    const strict = new OutboundClient({ allowHttp: true, allowPrivate: false });
    const before = requests.length;
    try {
      await expect(
        mercadoPagoConnector.resolve!(notification('123456789012'), { ...resolveCtx(), http: strict }),
      ).rejects.toThrow(/refused/);
    } finally {
      await strict.close();
    }
    expect(requests).toHaveLength(before);
  });

  it('a payment resource and a non-payment notification pass through untouched', async () => {
    const before = requests.length;
    const p = payment();
    expect(await mercadoPagoConnector.resolve!(p, resolveCtx())).toBe(p);
    const n = notification('5', { type: 'merchant_order' });
    expect(await mercadoPagoConnector.resolve!(n, resolveCtx())).toBe(n);
    expect(requests).toHaveLength(before);
  });
});

describe('mercadopago connector: signature', () => {
  const secret = 'my_webhook_secret_from_your_integrations';
  const requestId = 'bb56a2f1-6aae-46ac-982e-9dcd3581d08e';
  /** The doc vector's ts (milliseconds): 2025-03-11T13:05:21Z. */
  const signedAt = new Date(1741698321000);
  const body = Buffer.from(JSON.stringify(notification('123456789012')));
  const sign = (manifest: string, key = secret) => createHmac('sha256', key).update(manifest).digest('hex');
  const verify = (
    headers: Record<string, string | undefined>,
    query: Record<string, string | undefined> = { 'data.id': '123456789012', type: 'payment' },
    {
      key = secret,
      rawBody = body,
      now = signedAt,
      settings = {},
    }: { key?: string; rawBody?: Buffer; now?: Date; settings?: Record<string, unknown> } = {},
  ) =>
    mercadoPagoConnector.verify!({
      rawBody,
      headers,
      query,
      secret: key,
      settings,
      now,
      http: noOutbound,
    } satisfies VerifyInput);
  const accepted = (freshUntilMs: number) => ({
    ok: true,
    delivery: { id: requestId, freshUntil: new Date(freshUntilMs) },
  });

  it('a chargeback notification with an 18-digit data.id verifies against the signed id, and only that one', () => {
    const ts = String(signedAt.getTime());
    const raw = Buffer.from(
      JSON.stringify(chargebackNotification('__ID__', 123456789013)).replace('"__ID__"', '233000061680860001'),
    );
    const signed = (id: string) => ({
      'x-signature': `ts=${ts},v1=${sign(mercadoPagoManifest(id, requestId, ts))}`,
      'x-request-id': requestId,
    });
    const query = (id: string) => ({ 'data.id': id, type: 'topic_chargebacks_wh' });
    expect(verify(signed('233000061680860001'), query('233000061680860001'), { rawBody: raw })).toMatchObject({
      ok: true,
    });
    expect(verify(signed('233000061680869999'), query('233000061680869999'), { rawBody: raw })).toMatchObject({
      ok: false,
      reason: 'the body is not the notification for the signed data.id',
    });
  });

  it('builds the manifest exactly, dropping absent parts and lower-casing alphanumeric ids', () => {
    expect(mercadoPagoManifest('123456789012', requestId, '1741698321000')).toBe(
      `id:123456789012;request-id:${requestId};ts:1741698321000;`,
    );
    expect(mercadoPagoManifest('ORD01ABC', null, '1704908010')).toBe('id:ord01abc;ts:1704908010;');
    expect(mercadoPagoManifest(null, requestId, '1')).toBe(`request-id:${requestId};ts:1;`);
  });

  it('reads ts as milliseconds, and a 10-digit ts (the older doc example) as seconds', () => {
    expect(mercadoPagoTsMillis('1741698321000')).toBe(1741698321000);
    expect(mercadoPagoTsMillis('1741698321')).toBe(1741698321000);
    expect(mercadoPagoTsMillis('17416983x1')).toBeNaN();
  });

  it('matches the independently computed vector of the Mercado Pago doc algorithm, and names the delivery', async () => {
    const v1 = '24bb546b3113c1e4062b73ebd220aa5e1a883d8f02d1eb1839071bfd18c51dfe';
    expect(await verify({ 'x-signature': `ts=1741698321000,v1=${v1}`, 'x-request-id': requestId })).toEqual(
      accepted(1741698321000 + 300_000),
    );
  });

  it('accepts a valid x-signature (spaces tolerated) and a lower-cased alphanumeric id with a ts in seconds', async () => {
    const v1 = sign(`id:123456789012;request-id:${requestId};ts:1741698321000;`);
    expect((await verify({ 'x-signature': ` ts = 1741698321000 , v1 = ${v1} `, 'x-request-id': requestId })).ok).toBe(
      true,
    );
    const alnum = sign(`id:abc123def;request-id:${requestId};ts:1741698321;`);
    const rawBody = Buffer.from(JSON.stringify(notification('ABC123DEF')));
    expect(
      await verify(
        { 'x-signature': `ts=1741698321,v1=${alnum}`, 'x-request-id': requestId },
        { 'data.id': 'ABC123DEF' },
        { rawBody },
      ),
    ).toEqual(accepted(1741698321000 + 300_000));
  });

  it('rejects a wrong secret, another data.id, another request id, a changed ts and a missing header', async () => {
    const v1 = sign(`id:123456789012;request-id:${requestId};ts:1741698321000;`);
    const headers = { 'x-signature': `ts=1741698321000,v1=${v1}`, 'x-request-id': requestId };
    expect((await verify(headers, undefined, { key: 'other-secret' })).ok).toBe(false);
    expect((await verify(headers, { 'data.id': '123456789013' })).ok).toBe(false);
    expect((await verify({ ...headers, 'x-request-id': 'another' })).ok).toBe(false);
    expect((await verify({ ...headers, 'x-signature': `ts=1741698321001,v1=${v1}` })).ok).toBe(false);
    expect((await verify({ 'x-request-id': requestId })).ok).toBe(false);
    expect((await verify({ 'x-signature': `v1=${v1}` })).ok).toBe(false);
  });

  it('rejects a signature without data.id or x-request-id, which would name no payment or could be replayed unseen', async () => {
    const noRequestId = sign('id:123456789012;ts:1741698321000;');
    expect(await verify({ 'x-signature': `ts=1741698321000,v1=${noRequestId}` })).toEqual({
      ok: false,
      reason: expect.stringContaining('x-request-id'),
    });
    const noDataId = sign(`request-id:${requestId};ts:1741698321000;`);
    expect(await verify({ 'x-signature': `ts=1741698321000,v1=${noDataId}`, 'x-request-id': requestId }, {})).toEqual({
      ok: false,
      reason: expect.stringContaining('data.id'),
    });
  });

  it("rejects a ts outside the tolerance either way, and honours the endpoint's signatureToleranceSeconds", async () => {
    const headers = {
      'x-signature': `ts=1741698321000,v1=${sign(`id:123456789012;request-id:${requestId};ts:1741698321000;`)}`,
      'x-request-id': requestId,
    };
    const at = (seconds: number) => new Date(signedAt.getTime() + seconds * 1000);
    expect((await verify(headers, undefined, { now: at(300) })).ok).toBe(true);
    expect(await verify(headers, undefined, { now: at(301) })).toEqual({
      ok: false,
      reason: expect.stringContaining('older than the 300 s tolerance'),
    });
    expect(await verify(headers, undefined, { now: at(-301) })).toEqual({
      ok: false,
      reason: expect.stringContaining('in the future'),
    });
    expect(await verify(headers, undefined, { now: at(3600), settings: { signatureToleranceSeconds: 7200 } })).toEqual(
      accepted(signedAt.getTime() + 7_200_000),
    );
  });

  it('rejects a body that is not the notification of the signed data.id: the signature does not cover the body', async () => {
    const headers = {
      'x-signature': `ts=1741698321000,v1=${sign(`id:123456789012;request-id:${requestId};ts:1741698321000;`)}`,
      'x-request-id': requestId,
    };
    const forgedResource = Buffer.from(
      JSON.stringify(payment({ id: 123456789012, status: 'refunded', transaction_amount: 98765.43 })),
    );
    expect(await verify(headers, undefined, { rawBody: forgedResource })).toEqual({
      ok: false,
      reason: expect.stringContaining('signed data.id'),
    });
    expect(
      (await verify(headers, undefined, { rawBody: Buffer.from(JSON.stringify(notification('999001'))) })).ok,
    ).toBe(false);
    expect((await verify(headers, undefined, { rawBody: Buffer.from('not json') })).ok).toBe(false);
  });
});
