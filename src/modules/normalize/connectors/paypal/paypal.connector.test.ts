import { execFile } from 'node:child_process';
import { expectSingleEvent, expectTotal, readJsonFixture, testNormalizeContext } from '../connector.testing.js';
import { createSign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureReasons } from '../../canonical.js';
import type { VerifyInput } from '../../connector.js';
import { OutboundClient } from '../../../../platform/net/outbound-client.js';
import { paypalConnector } from './paypal.connector.js';
import { paypalSignedMessage } from './paypal.signature.js';
import {
  authorization,
  capture,
  declinedCapture,
  dispute,
  order,
  paypalEvent,
  refund,
} from './__fixtures__/paypal-events.js';

const ctx = testNormalizeContext;

/** Processor response codes named in FORMATS §3.2 and the capture status_details.reason vocabulary. */
const documentedCodes =
  `0000 00N7 0100 0390 0500 0580 1330 1380 5100 5110 5120 5130 5140 5150 5180 5200 5400 5700 9100 9500
9510 9520 9540 BUYER_COMPLAINT CHARGEBACK ECHECK INTERNATIONAL_WITHDRAWAL OTHER PENDING_REVIEW
RECEIVING_PREFERENCE_MANDATES_MANUAL_ACTION REFUNDED TRANSACTION_APPROVED_AWAITING_FUNDING UNILATERAL VERIFICATION_REQUIRED`.split(
    /\s+/,
  );

describe('paypal connector: detection and ids', () => {
  it('claims PayPal webhook envelopes and nothing else', () => {
    expect(paypalConnector.detect(paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', capture()))).toBeGreaterThan(0.9);
    expect(
      paypalConnector.detect({ id: 'evt_1', object: 'event', type: 'charge.succeeded', data: { object: {} } }),
    ).toBe(0);
    expect(paypalConnector.detect({ id: 1, type: 'payment', data: { id: '1' } })).toBe(0);
    expect(paypalConnector.detect('WH-1')).toBe(0);
  });

  it('uses the WH- event id for dedupe', () => {
    const event = paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', capture());
    expect(paypalConnector.eventId(event)).toBe(event.id);
  });
});

describe('paypal connector: captures', () => {
  it('normalizes a capture from a JSON fixture exactly (JPY has no decimals)', () => {
    const payload = readJsonFixture(new URL('./__fixtures__/payment.capture.completed.json', import.meta.url));
    const e = expectSingleEvent(paypalConnector.normalize(payload, ctx));
    expect(e).toMatchObject({
      providerEventId: 'WH-4PL00000FIXTURE1-8AB12345CD678901E',
      providerPaymentId: '1PLAUTH0FIXTURE',
      type: 'capture',
      status: 'approved',
      failureReason: null,
      amountMinor: 1500,
      currency: 'JPY',
      merchant: { id: 'JPMERCHANT01', name: null, country: null },
      normalizationMethod: 'rules',
      confidence: 1,
    });
    expect(e.occurredAt.toISOString()).toBe('2024-11-24T09:30:02.000Z');
    expect(e.metadata).toMatchObject({
      captureId: '3PL77701FIXTURE01',
      authorizationId: '1PLAUTH0FIXTURE',
      paypalFeeMinor: 94,
      invoiceId: 'INV-JP-7',
    });
  });

  it('a capture whose up link holds a malformed escape is still normalized, under its own id', () => {
    const links = [{ href: 'https://api-m.paypal.com/v2/checkout/orders/%E0%A4%A', rel: 'up', method: 'GET' }];
    const resource = capture({ links, supplementary_data: {} });
    const e = expectSingleEvent(
      paypalConnector.normalize(paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', resource), ctx),
    );
    expect(e.providerPaymentId).toBe(resource.id);
  });

  it('a capture of an intent=CAPTURE order is a sale linked to its order', () => {
    const e = expectSingleEvent(
      paypalConnector.normalize(paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', capture()), ctx),
    );
    expect(e).toMatchObject({
      type: 'sale',
      status: 'approved',
      providerPaymentId: 'ORDER0001PL',
      amountMinor: 4999,
      currency: 'USD',
    });
  });

  it.each([
    ['10.00', 'USD', 1000],
    ['0.07', 'EUR', 7],
    ['1234567.89', 'USD', 123456789],
    ['1500', 'JPY', 1500],
    ['12.345', 'TND', 12345],
    ['12.3', 'KWD', 12300],
  ])('decimal string %s %s is %i minor units', (value, currency, expected) => {
    const e = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', capture({ amount: { currency_code: currency, value } })),
        ctx,
      ),
    );
    expect(e.amountMinor).toBe(expected);
    expect(e.currency).toBe(currency);
  });

  it('a malformed amount is NaN so the pipeline keeps the event unprocessed instead of storing 0', () => {
    const e = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent(
          'PAYMENT.CAPTURE.COMPLETED',
          'capture',
          capture({ amount: { currency_code: 'USD', value: '1,000.00' } }),
        ),
        ctx,
      ),
    );
    expect(Number.isNaN(e.amountMinor)).toBe(true);
  });

  it.each([
    ['PAYMENT.CAPTURE.DENIED', '5120', 'insufficient_funds', 'soft', 'retry_later'],
    ['PAYMENT.CAPTURE.DECLINED', '9500', 'suspected_fraud', 'hard', 'do_not_retry'],
    ['PAYMENT.CAPTURE.DENIED', '00N7', 'incorrect_cvc', 'soft', 'ask_customer_to_check_details'],
    ['PAYMENT.CAPTURE.DECLINED', '5400', 'expired_card', 'hard', 'ask_customer_for_new_card'],
  ])('%s with processor code %s → %s', (eventType, code, reason, declineType, action) => {
    const e = expectSingleEvent(
      paypalConnector.normalize(paypalEvent(eventType, 'capture', declinedCapture(code)), ctx),
    );
    expect(e).toMatchObject({
      status: 'declined',
      providerCode: code,
      failureReason: reason,
      declineType,
      recommendedAction: action,
    });
    expect(e.unmappedCode).toBeUndefined();
  });

  it('a denial without a processor code falls back to status_details.reason', () => {
    const e = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent(
          'PAYMENT.CAPTURE.DENIED',
          'capture',
          declinedCapture(null, { status_details: { reason: 'PENDING_REVIEW' } }),
        ),
        ctx,
      ),
    );
    expect(e).toMatchObject({
      status: 'declined',
      providerCode: 'PENDING_REVIEW',
      failureReason: 'blocked_by_risk_rules',
      recommendedAction: 'review_manually',
    });
  });

  it('a FAILED capture is a failure, not a decline', () => {
    const e = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent('PAYMENT.CAPTURE.DECLINED', 'capture', declinedCapture('8000', { status: 'FAILED' })),
        ctx,
      ),
    );
    expect(e).toMatchObject({ status: 'failed', failureReason: 'processing_error' });
  });

  it('an unmapped processor code is unknown and reported, never guessed', () => {
    const e = expectSingleEvent(
      paypalConnector.normalize(paypalEvent('PAYMENT.CAPTURE.DENIED', 'capture', declinedCapture('ZZ99')), ctx),
    );
    expect(e).toMatchObject({
      failureReason: 'unknown',
      declineType: 'soft',
      recommendedAction: 'review_manually',
      unmappedCode: 'ZZ99',
    });
  });

  it('a pending capture is pending and keeps its reason as the provider code', () => {
    const e = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent(
          'PAYMENT.CAPTURE.PENDING',
          'capture',
          capture({ status: 'PENDING', status_details: { reason: 'ECHECK' } }),
        ),
        ctx,
      ),
    );
    expect(e).toMatchObject({ status: 'pending', providerCode: 'ECHECK', failureReason: null });
  });

  it('a reversal for a chargeback is a dispute; any other reversal is a refund', () => {
    const chargeback = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent(
          'PAYMENT.CAPTURE.REVERSED',
          'capture',
          capture({ status: 'REVERSED', status_details: { reason: 'CHARGEBACK' } }),
        ),
        ctx,
      ),
    );
    expect(chargeback).toMatchObject({ type: 'dispute', status: 'chargeback', providerCode: 'CHARGEBACK' });
    const reversed = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent('PAYMENT.CAPTURE.REVERSED', 'capture', capture({ status: 'REVERSED' })),
        ctx,
      ),
    );
    expect(reversed).toMatchObject({ type: 'refund', status: 'refunded' });
  });

  it('a refunded capture resource is a refund (partial when PayPal says so)', () => {
    const e = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent('PAYMENT.CAPTURE.REFUNDED', 'capture', capture({ status: 'PARTIALLY_REFUNDED' })),
        ctx,
      ),
    );
    expect(e).toMatchObject({ type: 'refund', status: 'partially_refunded' });
  });
});

describe('paypal connector: refunds, orders, authorizations, disputes', () => {
  it('a refund resource carries its own amount and links up to its capture', () => {
    const e = expectSingleEvent(
      paypalConnector.normalize(paypalEvent('PAYMENT.CAPTURE.REFUNDED', 'refund', refund('CAPPARENT01')), ctx),
    );
    expect(e).toMatchObject({
      type: 'refund',
      status: 'refunded',
      amountMinor: 1000,
      currency: 'USD',
      providerPaymentId: 'CAPPARENT01',
      providerMessage: 'Partial refund for a missing item',
    });
    expect(e.metadata).toMatchObject({ captureId: 'CAPPARENT01', totalRefundedMinor: 1000 });
    expect(e.occurredAt.toISOString()).toBe('2024-11-24T20:00:01.000Z');
  });

  it.each([
    ['PENDING', 'pending'],
    ['FAILED', 'failed'],
    ['CANCELLED', 'canceled'],
  ])('a %s refund is %s', (status, expected) => {
    expect(
      expectSingleEvent(
        paypalConnector.normalize(paypalEvent('PAYMENT.CAPTURE.REFUNDED', 'refund', refund('CAP1', { status })), ctx),
      ).status,
    ).toBe(expected);
  });

  it('CHECKOUT.ORDER.APPROVED sums purchase units exactly and keys the customer by payer email', () => {
    const o = order();
    const e = expectSingleEvent(
      paypalConnector.normalize(paypalEvent('CHECKOUT.ORDER.APPROVED', 'checkout-order', o), ctx),
    );
    expect(e).toMatchObject({
      type: 'authorization',
      status: 'approved',
      amountMinor: 3505,
      currency: 'EUR',
      providerPaymentId: o.id,
      customerKey: 'ck_email_ana.souza@buyer.example',
      emailDomain: 'buyer.example',
      merchant: { id: 'MERCHANT77PL' },
    });
  });

  it('CHECKOUT.ORDER.COMPLETED is a sale (or an authorization for intent=AUTHORIZE) with its captures in metadata', () => {
    const completed = order({
      status: 'COMPLETED',
      purchase_units: [{ amount: { currency_code: 'USD', value: '5.00' }, payments: { captures: [{ id: 'CAPX1' }] } }],
    });
    const e = expectSingleEvent(
      paypalConnector.normalize(paypalEvent('CHECKOUT.ORDER.COMPLETED', 'checkout-order', completed), ctx),
    );
    expect(e).toMatchObject({ type: 'sale', status: 'approved', amountMinor: 500 });
    expect(e.metadata.captureIds).toEqual(['CAPX1']);
    const auth = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent('CHECKOUT.ORDER.COMPLETED', 'checkout-order', order({ intent: 'AUTHORIZE', status: 'COMPLETED' })),
        ctx,
      ),
    );
    expect(auth.type).toBe('authorization');
  });

  it('an order in mixed currencies has no single amount', () => {
    const mixed = order({
      purchase_units: [
        { amount: { currency_code: 'USD', value: '1.00' } },
        { amount: { currency_code: 'EUR', value: '1.00' } },
      ],
    });
    const e = expectSingleEvent(
      paypalConnector.normalize(paypalEvent('CHECKOUT.ORDER.APPROVED', 'checkout-order', mixed), ctx),
    );
    expect(Number.isNaN(e.amountMinor)).toBe(true);
  });

  it('an order paid by card carries the card it names', () => {
    const o = order({ payment_source: { card: { last_digits: '1881', brand: 'VISA', type: 'CREDIT' } } });
    const e = expectSingleEvent(
      paypalConnector.normalize(paypalEvent('CHECKOUT.ORDER.APPROVED', 'checkout-order', o), ctx),
    );
    expect(e.card).toEqual({ brand: 'visa', bin: null, last4: '1881', country: null, funding: 'credit' });
  });

  it('authorization created is an approved authorization of its order; voided is a void', () => {
    const created = expectSingleEvent(
      paypalConnector.normalize(paypalEvent('PAYMENT.AUTHORIZATION.CREATED', 'authorization', authorization()), ctx),
    );
    expect(created).toMatchObject({
      type: 'authorization',
      status: 'approved',
      amountMinor: 12000,
      currency: 'GBP',
      providerPaymentId: 'ORDER0002PL',
    });
    const voided = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent('PAYMENT.AUTHORIZATION.VOIDED', 'authorization', authorization({ status: 'VOIDED' })),
        ctx,
      ),
    );
    expect(voided).toMatchObject({ type: 'void', status: 'canceled', providerPaymentId: 'ORDER0002PL' });
  });

  it('a dispute is a chargeback on the seller transaction; a dispute won by the seller is approved', () => {
    const created = expectSingleEvent(
      paypalConnector.normalize(paypalEvent('CUSTOMER.DISPUTE.CREATED', 'dispute', dispute()), ctx),
    );
    expect(created).toMatchObject({
      type: 'dispute',
      status: 'chargeback',
      providerCode: 'UNAUTHORISED',
      providerPaymentId: 'CAPDISPUTED01',
      amountMinor: 4999,
      failureReason: null,
    });
    const won = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent(
          'CUSTOMER.DISPUTE.RESOLVED',
          'dispute',
          dispute({ status: 'RESOLVED', dispute_outcome: { outcome_code: 'RESOLVED_SELLER_FAVOUR' } }),
        ),
        ctx,
      ),
    );
    expect(won.status).toBe('approved');
    const lost = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent(
          'CUSTOMER.DISPUTE.RESOLVED',
          'dispute',
          dispute({ status: 'RESOLVED', dispute_outcome: { outcome_code: 'RESOLVED_BUYER_FAVOUR' } }),
        ),
        ctx,
      ),
    );
    expect(lost.status).toBe('chargeback');
  });

  it('event types we do not model are ignored with a reason', () => {
    expect(paypalConnector.normalize(paypalEvent('BILLING.PLAN.CREATED', 'plan', { id: 'P-1' }), ctx)).toEqual({
      kind: 'ignored',
      reason: expect.stringContaining('BILLING.PLAN.CREATED'),
    });
    expect(paypalConnector.normalize(paypalEvent('CHECKOUT.ORDER.SAVED', 'checkout-order', order()), ctx).kind).toBe(
      'ignored',
    );
  });

  it('normalize, eventId and detect never throw on arbitrary JSON, bare or inside a PayPal envelope', () => {
    const eventTypes = fc.constantFrom(
      'PAYMENT.CAPTURE.COMPLETED',
      'PAYMENT.CAPTURE.DENIED',
      'PAYMENT.CAPTURE.REFUNDED',
      'PAYMENT.CAPTURE.REVERSED',
      'CHECKOUT.ORDER.APPROVED',
      'CHECKOUT.ORDER.COMPLETED',
      'PAYMENT.AUTHORIZATION.CREATED',
      'CUSTOMER.DISPUTE.CREATED',
      'X.Y',
    );
    const envelope = fc.record({
      id: fc.string(),
      event_type: eventTypes,
      resource_type: fc.constantFrom('capture', 'refund', 'checkout-order', 'dispute'),
      create_time: fc.string(),
      resource: fc.dictionary(fc.string(), fc.jsonValue()),
    });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), envelope), (payload) => expectTotal(paypalConnector, payload)),
      { numRuns: 300 },
    );
  });
});

describe('paypal connector: code table', () => {
  it('a processor code spelled like an object member is reported unmapped, not mapped to a function', () => {
    const e = expectSingleEvent(
      paypalConnector.normalize(
        paypalEvent('PAYMENT.CAPTURE.DENIED', 'capture', declinedCapture('constructor', { status: 'DECLINED' })),
        ctx,
      ),
    );
    expect(e.failureReason).toBe('unknown');
    expect(e.unmappedCode).toBe('constructor');
  });

  it('maps every documented processor code and status reason to a canonical reason', () => {
    for (const code of documentedCodes) {
      const mapping = paypalConnector.codes[code];
      expect(mapping, code).toBeDefined();
      expect(failureReasons).toContain(mapping!.reason);
      expect(mapping!.reason, code).not.toBe('unknown');
    }
  });

  it('covers the full processor response-code enum (154 codes) plus the 11 status reasons', () => {
    expect(Object.keys(paypalConnector.codes)).toHaveLength(165);
  });
});

const execFileAsync = promisify(execFile);

interface CertKit {
  dir: string;
  /** The test root CA (PEM), standing in for the public roots a real PayPal certificate chains to. */
  ca: string;
  key: string;
  /** Signed by the CA, named like PayPal's under `.paylens.test`. */
  cert: string;
  /** Signed by an intermediate CA; served together with it. */
  chainedKey: string;
  chained: string;
  /** Self-signed with the right name: chains to nothing trusted. */
  rogueKey: string;
  rogue: string;
  /** Signed by the CA for another name. */
  wrongNameKey: string;
  wrongName: string;
  otherKey: string;
}

const PAYPAL_TEST_CN = 'messageverificationcerts.paylens.test';

async function makeCertificates(): Promise<CertKit> {
  const dir = await mkdtemp(join(tmpdir(), 'paylens-paypal-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileAsync('openssl', args);
  const selfSigned = (name: string, cn: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      at(`${name}.key`),
      '-out',
      at(`${name}.pem`),
      '-days',
      '3',
      '-subj',
      `/CN=${cn}`,
    );
  const issued = async (name: string, cn: string, issuer: string, extensions?: string) => {
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      at(`${name}.key`),
      '-out',
      at(`${name}.csr`),
      '-subj',
      `/CN=${cn}`,
    );
    const ext = extensions ? ['-extfile', at(`${name}.ext`)] : [];
    if (extensions) await writeFile(at(`${name}.ext`), extensions);
    await openssl(
      'x509',
      '-req',
      '-in',
      at(`${name}.csr`),
      '-CA',
      at(`${issuer}.pem`),
      '-CAkey',
      at(`${issuer}.key`),
      '-CAcreateserial',
      '-out',
      at(`${name}.pem`),
      '-days',
      '2',
      ...ext,
    );
  };
  await Promise.all([
    selfSigned('ca', 'Paylens Test Root CA'),
    selfSigned('rogue', PAYPAL_TEST_CN),
    selfSigned('other', PAYPAL_TEST_CN),
  ]);
  await issued('paypal', PAYPAL_TEST_CN, 'ca');
  await issued('wrongname', 'certs.evil.example', 'ca');
  await issued(
    'intermediate',
    'Paylens Test Intermediate CA',
    'ca',
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n',
  );
  await issued('chained', PAYPAL_TEST_CN, 'intermediate');
  const read = (name: string) => readFile(at(name), 'utf8');
  return {
    dir,
    ca: await read('ca.pem'),
    key: await read('paypal.key'),
    cert: await read('paypal.pem'),
    chainedKey: await read('chained.key'),
    chained: (await read('chained.pem')) + (await read('intermediate.pem')),
    rogueKey: await read('rogue.key'),
    rogue: await read('rogue.pem'),
    wrongNameKey: await read('wrongname.key'),
    wrongName: await read('wrongname.pem'),
    otherKey: await read('other.key'),
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** PayPal's transmission-time format (whole seconds, Z), now: the test certificates are valid for days from today. */
const transmissionTimeNow = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');

// The listeners are on loopback: this is the client an operator gets with OUTBOUND_ALLOW_PRIVATE and OUTBOUND_ALLOW_HTTP.
const http = new OutboundClient({ allowHttp: true, allowPrivate: true });
const strict = new OutboundClient({ allowHttp: true, allowPrivate: false });
afterAll(async () => {
  await Promise.all([http.close(), strict.close()]);
});

describe('paypal connector: certificate verification', () => {
  let kit: CertKit;
  let server: Server;
  let base: string;
  const certRequests: string[] = [];
  const webhookId = '5PL11111WEBHOOK22';
  const rawBody = Buffer.from(JSON.stringify(paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', capture())));
  const transmissionId = 'b2d3c4e0-aa11-11ef-9d6a-0242ac120002';
  const transmissionTime = transmissionTimeNow();
  const accepted = {
    ok: true,
    delivery: { id: transmissionId, freshUntil: new Date(Date.parse(transmissionTime) + 300_000) },
  };

  beforeAll(async () => {
    kit = await makeCertificates();
    const served: Record<string, string> = {
      'CERT-chained': kit.chained,
      'CERT-rogue': kit.rogue,
      'CERT-wrongname': kit.wrongName,
    };
    server = createServer((req, res) => {
      certRequests.push(req.url ?? '');
      if (req.url?.startsWith('/v1/notifications/certs/')) {
        res
          .writeHead(200, { 'content-type': 'text/plain' })
          .end(served[req.url.slice('/v1/notifications/certs/'.length)] ?? kit.cert);
      } else {
        res.writeHead(404).end();
      }
    });
    base = await listen(server);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(kit.dir, { recursive: true, force: true });
  });

  const trustingTestCa = () => ({
    allowedUrlPrefixes: [`${base}/v1/notifications/certs/`],
    trustedCaPem: kit.ca,
    subjectSuffix: '.paylens.test',
  });
  const signedWith = (key: string) => ({
    'paypal-transmission-sig': sign(paypalSignedMessage(transmissionId, transmissionTime, webhookId, rawBody), key),
  });
  const sign = (message: string, key = kit.key) => createSign('RSA-SHA256').update(message).sign(key, 'base64');
  const input = (
    overrides: {
      headers?: Record<string, string>;
      settings?: Record<string, unknown>;
      body?: Buffer;
      now?: Date;
      certPath?: string;
      client?: OutboundClient;
    } = {},
  ): VerifyInput => ({
    rawBody: overrides.body ?? rawBody,
    headers: {
      'paypal-transmission-id': transmissionId,
      'paypal-transmission-time': transmissionTime,
      'paypal-transmission-sig': sign(paypalSignedMessage(transmissionId, transmissionTime, webhookId, rawBody)),
      'paypal-cert-url': `${base}/v1/notifications/certs/${overrides.certPath ?? 'CERT-good'}`,
      'paypal-auth-algo': 'SHA256withRSA',
      ...overrides.headers,
    },
    query: {},
    secret: '',
    settings: overrides.settings ?? { webhookId, certificateSource: trustingTestCa() },
    now: overrides.now ?? new Date(),
    http: overrides.client ?? http,
  });

  it('the signed message is id|time|webhookId|unsigned decimal CRC32 of the raw body', () => {
    // CRC32("123456789") is the standard check value 0xCBF43926 = 3421780262.
    expect(paypalSignedMessage('t', 'x', 'w', Buffer.from('123456789'))).toBe('t|x|w|3421780262');
  });

  it('accepts a good signature with the certificate fetched from an allowed URL, and caches the certificate', async () => {
    expect(await paypalConnector.verify!(input())).toEqual(accepted);
    const fetched = certRequests.length;
    expect(fetched).toBe(1);
    expect(await paypalConnector.verify!(input())).toEqual(accepted);
    expect(certRequests).toHaveLength(fetched);
  });

  it('accepts a good signature against a configured PEM without any download', async () => {
    const before = certRequests.length;
    expect(
      await paypalConnector.verify!(input({ settings: { webhookId, certificateSource: { pem: kit.cert } } })),
    ).toEqual(accepted);
    expect(certRequests).toHaveLength(before);
  });

  it('rejects a transmission time outside the tolerance either way, before downloading anything', async () => {
    const before = certRequests.length;
    const sentAt = Date.parse(transmissionTime);
    expect(await paypalConnector.verify!(input({ now: new Date(sentAt + 301_000), certPath: 'CERT-stale' }))).toEqual({
      ok: false,
      reason: expect.stringContaining('older than the 300 s tolerance'),
    });
    expect(await paypalConnector.verify!(input({ now: new Date(sentAt - 301_000), certPath: 'CERT-future' }))).toEqual({
      ok: false,
      reason: expect.stringContaining('in the future'),
    });
    expect(await paypalConnector.verify!(input({ headers: { 'paypal-transmission-time': 'yesterday' } }))).toEqual({
      ok: false,
      reason: expect.stringContaining('not a time'),
    });
    expect(certRequests).toHaveLength(before);
  });

  it('under the default policy never connects to a certificate URL on loopback, even an allowed one', async () => {
    const before = certRequests.length;
    const result = await paypalConnector.verify!(input({ client: strict, certPath: 'CERT-strict' }));
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/^certificate download failed: refused/) });
    expect(certRequests).toHaveLength(before);
  });

  it('rejects a signature made with another key', async () => {
    const result = await paypalConnector.verify!(input({ headers: signedWith(kit.otherKey) }));
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('does not match') });
  });

  it('rejects a tampered body and a tampered transmission time', async () => {
    const tampered = Buffer.from(rawBody.toString('utf8').replace('49.99', '4.99'));
    expect((await paypalConnector.verify!(input({ body: tampered }))).ok).toBe(false);
    expect(
      (await paypalConnector.verify!(input({ headers: { 'paypal-transmission-time': transmissionTimeNow(1000) } }))).ok,
    ).toBe(false);
  });

  it('rejects a delivery signed for another webhook id', async () => {
    const settings = { webhookId: 'OTHERWEBHOOK', certificateSource: trustingTestCa() };
    expect((await paypalConnector.verify!(input({ settings }))).ok).toBe(false);
  });

  it('never downloads a certificate from a URL outside the allowed prefixes', async () => {
    const before = certRequests.length;
    const defaults = await paypalConnector.verify!(input({ settings: { webhookId }, certPath: 'CERT-other' }));
    expect(defaults).toEqual({ ok: false, reason: expect.stringContaining('not an allowed') });
    const lookalike = await paypalConnector.verify!(
      input({
        settings: { webhookId },
        headers: { 'paypal-cert-url': 'https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1' },
      }),
    );
    expect(lookalike.ok).toBe(false);
    expect(certRequests).toHaveLength(before);
  });

  it('rejects a prefix without a path boundary in the settings', async () => {
    const result = await paypalConnector.verify!(
      input({ settings: { webhookId, certificateSource: { allowedUrlPrefixes: [base] } } }),
    );
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('invalid') });
  });

  it('accepts a certificate that chains to the trusted CA through the intermediate sent with it', async () => {
    expect(
      await paypalConnector.verify!(input({ certPath: 'CERT-chained', headers: signedWith(kit.chainedKey) })),
    ).toEqual(accepted);
  });

  it('rejects a certificate with the right name that chains to no trusted CA, and trusts only public roots by default', async () => {
    expect(await paypalConnector.verify!(input({ certPath: 'CERT-rogue', headers: signedWith(kit.rogueKey) }))).toEqual(
      { ok: false, reason: expect.stringContaining('does not chain') },
    );
    // Without trustedCaPem the anchors are the public roots, which never include a private test CA.
    const publicRootsOnly = {
      webhookId,
      certificateSource: { allowedUrlPrefixes: [`${base}/v1/notifications/certs/`], subjectSuffix: '.paylens.test' },
    };
    expect(await paypalConnector.verify!(input({ certPath: 'CERT-public', settings: publicRootsOnly }))).toEqual({
      ok: false,
      reason: expect.stringContaining('does not chain'),
    });
  });

  it("rejects a trusted CA's certificate issued to a name that is not PayPal's", async () => {
    expect(
      await paypalConnector.verify!(input({ certPath: 'CERT-wrongname', headers: signedWith(kit.wrongNameKey) })),
    ).toEqual({
      ok: false,
      reason: expect.stringContaining('does not end with .paylens.test'),
    });
    const paypalDefault = {
      webhookId,
      certificateSource: { allowedUrlPrefixes: [`${base}/v1/notifications/certs/`], trustedCaPem: kit.ca },
    };
    expect(await paypalConnector.verify!(input({ certPath: 'CERT-default-name', settings: paypalDefault }))).toEqual({
      ok: false,
      reason: expect.stringContaining('does not end with .paypal.com'),
    });
  });

  it('rejects a certificate outside its validity period', async () => {
    const later = new Date(Date.now() + 10 * 24 * 60 * 60 * 1000);
    const time = later.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const headers = {
      'paypal-transmission-time': time,
      'paypal-transmission-sig': sign(paypalSignedMessage(transmissionId, time, webhookId, rawBody)),
    };
    expect(await paypalConnector.verify!(input({ now: later, certPath: 'CERT-later', headers }))).toEqual({
      ok: false,
      reason: expect.stringContaining('validity'),
    });
  });

  it('rejects missing headers, an unknown algorithm and a certificate URL that serves no certificate', async () => {
    expect((await paypalConnector.verify!(input({ headers: { 'paypal-transmission-sig': '' } }))).ok).toBe(false);
    expect((await paypalConnector.verify!(input({ headers: { 'paypal-auth-algo': 'SHA1withRSA' } }))).ok).toBe(false);
    const missing = await paypalConnector.verify!(
      input({
        headers: { 'paypal-cert-url': `${base}/v1/notifications/certs-missing/CERT-x` },
        settings: { webhookId, certificateSource: { allowedUrlPrefixes: [`${base}/`] } },
      }),
    );
    expect(missing).toEqual({ ok: false, reason: expect.stringContaining('HTTP 404') });
  });
});

describe('paypal connector: postback verification', () => {
  let server: Server;
  let base: string;
  const tokenRequests: string[] = [];
  const verifyRequests: Array<Record<string, unknown>> = [];
  const event = paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', capture());
  const rawBody = Buffer.from(JSON.stringify(event));

  beforeAll(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const body = await bodyOf(req);
        if (req.method === 'POST' && req.url === '/v1/oauth2/token') {
          tokenRequests.push(req.headers.authorization ?? '');
          const ok =
            req.headers.authorization === `Basic ${Buffer.from('client-1:secret-1').toString('base64')}` &&
            body === 'grant_type=client_credentials';
          res
            .writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
            .end(
              JSON.stringify(
                ok
                  ? { access_token: 'A21.token', token_type: 'Bearer', expires_in: 32400 }
                  : { error: 'invalid_client' },
              ),
            );
          return;
        }
        if (req.method === 'POST' && req.url === '/v1/notifications/verify-webhook-signature') {
          const request = JSON.parse(body) as Record<string, unknown>;
          verifyRequests.push(request);
          if (req.headers.authorization !== 'Bearer A21.token') return void res.writeHead(401).end();
          const good =
            request.transmission_sig === 'genuine-signature' &&
            request.webhook_id === 'WH-ID-9' &&
            (request.webhook_event as { id?: string }).id === event.id;
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ verification_status: good ? 'SUCCESS' : 'FAILURE' }));
          return;
        }
        res.writeHead(404).end();
      })();
    });
    base = await listen(server);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const input = (sig: string, settings: Record<string, unknown>, secret = '', client = http): VerifyInput => ({
    rawBody,
    headers: {
      'paypal-transmission-id': 'tid-1',
      'paypal-transmission-time': transmissionTimeNow(),
      'paypal-transmission-sig': sig,
      'paypal-cert-url': 'https://api-m.paypal.com/v1/notifications/certs/CERT-1',
      'paypal-auth-algo': 'SHA256withRSA',
    },
    query: {},
    secret,
    settings,
    now: new Date(),
    http: client,
  });

  it('asks PayPal with an OAuth token and accepts SUCCESS, reusing the token', async () => {
    const settings = {
      webhookId: 'WH-ID-9',
      verification: 'postback',
      apiBaseUrl: base,
      clientId: 'client-1',
      clientSecret: 'secret-1',
    };
    expect(await paypalConnector.verify!(input('genuine-signature', settings))).toMatchObject({
      ok: true,
      delivery: { id: 'tid-1' },
    });
    expect(verifyRequests.at(-1)).toMatchObject({
      auth_algo: 'SHA256withRSA',
      transmission_id: 'tid-1',
      cert_url: 'https://api-m.paypal.com/v1/notifications/certs/CERT-1',
      webhook_event: event,
    });
    expect(await paypalConnector.verify!(input('genuine-signature', settings))).toMatchObject({ ok: true });
    expect(tokenRequests).toHaveLength(1);
  });

  it('under the default policy never sends the client credentials to a loopback API', async () => {
    const settings = {
      webhookId: 'WH-ID-9',
      verification: 'postback',
      apiBaseUrl: base,
      clientId: 'client-2',
      clientSecret: 'secret-2',
    };
    const before = tokenRequests.length + verifyRequests.length;
    expect(await paypalConnector.verify!(input('genuine-signature', settings, '', strict))).toEqual({
      ok: false,
      reason: expect.stringMatching(/^PayPal postback verification failed: refused/),
    });
    expect(tokenRequests.length + verifyRequests.length).toBe(before);
  });

  it('rejects on FAILURE and for another webhook id', async () => {
    const settings = {
      webhookId: 'WH-ID-9',
      verification: 'postback',
      apiBaseUrl: base,
      clientId: 'client-1',
      clientSecret: 'secret-1',
    };
    expect(await paypalConnector.verify!(input('forged', settings))).toEqual({
      ok: false,
      reason: expect.stringContaining('FAILURE'),
    });
    expect((await paypalConnector.verify!(input('genuine-signature', { ...settings, webhookId: 'WH-OTHER' }))).ok).toBe(
      false,
    );
  });

  it('takes the client secret from the endpoint secret and fails cleanly on bad credentials', async () => {
    const settings = { webhookId: 'WH-ID-9', verification: 'postback', apiBaseUrl: `${base}/`, clientId: 'client-1' };
    const bad = await paypalConnector.verify!(input('genuine-signature', settings, 'wrong-secret'));
    expect(bad).toEqual({ ok: false, reason: expect.stringContaining('HTTP 401') });
    expect((await paypalConnector.verify!(input('genuine-signature', settings, 'secret-1'))).ok).toBe(true);
  });

  it('rejects settings without a webhook id', async () => {
    expect(
      (
        await paypalConnector.verify!(
          input('genuine-signature', { verification: 'postback', apiBaseUrl: base, clientId: 'client-1' }),
        )
      ).ok,
    ).toBe(false);
  });
});
