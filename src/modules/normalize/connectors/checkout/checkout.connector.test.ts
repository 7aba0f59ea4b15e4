import { createHmac } from 'node:crypto';
import { expectSingleEvent, expectTotal, readJsonFixture, testNormalizeContext } from '../connector.testing.js';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failureReasons } from '../../canonical.js';
import { checkoutConnector } from './checkout.connector.js';
import { checkoutApprovedCodes } from './checkout.codes.js';
import { checkoutEvent, declinedData, disputeData, paymentData } from './__fixtures__/checkout-events.js';
import { noOutbound } from '../../../../platform/net/outbound-client.js';

const ctx = testNormalizeContext;

const normalize = (type: string, data: Record<string, unknown>) =>
  expectSingleEvent(checkoutConnector.normalize(checkoutEvent(type, data), ctx));

/** Codes listed in Checkout.com's API response-code documentation; every one must be in our table. */
const documentedSoftDeclines =
  `20001 20002 20003 20005 20006 20009 20012 20013 20014 20015 20019 20021 20030 20031 20051 20052 20053
20054 20055 20056 20057 20058 20059 20061 20062 20063 20065 20068 20075 20078 20087 20091 20093 20096 20150 20153 20154 20179
20182 20183`.split(/\s+/);
const documentedHardDeclines = '30004 30007 30033 30034 30036 30038 30041 30043 30044 30046'.split(' ');
const documentedRiskResponses = '40101 40201 40202 40203 40204 40205'.split(' ');
const documentedApprovals = '10000 10008 10010 10011 10076 10077 10081 10100 10200'.split(' ');

describe('checkout connector: detection and ids', () => {
  it('claims Checkout.com webhook envelopes and nothing else', () => {
    expect(checkoutConnector.detect(checkoutEvent('payment_approved', paymentData()))).toBeGreaterThan(0.9);
    expect(checkoutConnector.detect(checkoutEvent('dispute_received', disputeData()))).toBeGreaterThan(0.9);
    expect(
      checkoutConnector.detect({
        id: 'evt_1',
        object: 'event',
        type: 'charge.succeeded',
        created: 1,
        data: { object: {} },
      }),
    ).toBe(0);
    expect(checkoutConnector.detect({ id: 'WH-1', event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: {} })).toBe(0);
    expect(checkoutConnector.detect({ live: 'false', notificationItems: [] })).toBe(0);
    expect(checkoutConnector.detect({ id: 123, type: 'payment', action: 'payment.created', data: { id: '99' } })).toBe(
      0,
    );
  });

  it('uses the evt_ id for dedupe', () => {
    const event = checkoutEvent('payment_approved', paymentData());
    expect(checkoutConnector.eventId(event)).toBe(event.id);
  });
});

describe('checkout connector: payments', () => {
  it('normalizes payment_approved exactly', () => {
    const data = paymentData();
    const event = checkoutEvent('payment_approved', data);
    const e = expectSingleEvent(checkoutConnector.normalize(event, ctx));
    expect(e).toMatchObject({
      providerEventId: event.id,
      providerPaymentId: data.id,
      type: 'authorization',
      status: 'approved',
      failureReason: null,
      declineType: null,
      recommendedAction: null,
      providerCode: '10000',
      providerMessage: 'Approved',
      amountMinor: 4200,
      currency: 'GBP',
      merchant: { id: 'pc_pltestchannel0000000000001', name: null, country: null },
      customerKey: 'ck_email_ravi.shah@mail.example',
      emailDomain: 'mail.example',
      ip: '203.0.113.77',
      card: { brand: 'mastercard', bin: '555544', last4: '4444', country: 'GB', funding: 'debit' },
      normalizationMethod: 'rules',
      confidence: 1,
    });
    expect(e.unmappedCode).toBeUndefined();
    expect(e.occurredAt.toISOString()).toBe('2024-11-22T16:20:06.000Z');
    expect(e.metadata).toMatchObject({
      checkoutEventType: 'payment_approved',
      reference: 'ORD-PL-0042',
      authCode: '553190',
      riskFlagged: false,
      riskScore: 12,
      providerMetadata: { basket: 'b-19' },
    });
  });

  it('normalizes the JSON fixture decline: JPY amount, masked email ignored, 20051 insufficient funds', () => {
    const payload = readJsonFixture(new URL('./__fixtures__/payment_declined.json', import.meta.url));
    const e = expectSingleEvent(checkoutConnector.normalize(payload, ctx));
    expect(e).toMatchObject({
      providerEventId: 'evt_pltestdeclinedfixture0001ab',
      providerPaymentId: 'pay_pltestdeclinedfixture001ab',
      type: 'authorization',
      status: 'declined',
      failureReason: 'insufficient_funds',
      declineType: 'soft',
      recommendedAction: 'retry_later',
      providerCode: '20051',
      providerMessage: 'Insufficient Funds',
      amountMinor: 150000,
      currency: 'JPY',
      customerKey: 'ck_id_cus_pltestjp000000000000000001',
      emailDomain: null,
      ip: '192.0.2.44',
      card: { brand: 'visa', bin: '400000', last4: '0002', country: 'JP', funding: 'credit' },
    });
  });

  it.each([
    ['payment_approved', 'authorization', 'approved'],
    ['payment_pending', 'authorization', 'pending'],
    ['payment_captured', 'capture', 'approved'],
    ['payment_capture_pending', 'capture', 'pending'],
    ['payment_paid', 'sale', 'approved'],
    ['payment_refund_pending', 'refund', 'pending'],
    ['payment_voided', 'void', 'canceled'],
    ['payment_canceled', 'void', 'canceled'],
    ['payment_expired', 'void', 'canceled'],
    ['card_verified', 'authorization', 'approved'],
  ])('%s → %s %s', (type, canonicalType, status) => {
    const e = normalize(type, paymentData());
    expect(e).toMatchObject({ type: canonicalType, status, failureReason: null });
    expect(e.providerPaymentId).toMatch(/^pay_/);
  });

  it.each([
    ['payment_declined', 'authorization', 'declined'],
    ['payment_capture_declined', 'capture', 'failed'],
    ['payment_refund_declined', 'refund', 'failed'],
    ['payment_void_declined', 'void', 'failed'],
    ['card_verification_declined', 'authorization', 'declined'],
  ])('%s → %s %s with the mapped response code', (type, canonicalType, status) => {
    const e = normalize(type, declinedData('20005', 'Declined - Do Not Honour'));
    expect(e).toMatchObject({
      type: canonicalType,
      status,
      failureReason: 'do_not_honor',
      declineType: 'soft',
      recommendedAction: 'contact_issuer',
      providerCode: '20005',
    });
  });

  it('payment_authentication_failed without a response code is an authentication failure', () => {
    const e = normalize(
      'payment_authentication_failed',
      paymentData({ response_code: undefined, response_summary: undefined }),
    );
    expect(e).toMatchObject({
      type: 'authorization',
      status: 'declined',
      failureReason: 'authentication_failed',
      providerCode: 'payment_authentication_failed',
    });
    expect(e.unmappedCode).toBeUndefined();
  });

  it('payment_captured carries the captured amount of that action on the payment id', () => {
    const data = paymentData({ amount: 3000, balances: { total_authorized: 4200, total_captured: 3000 } });
    expect(normalize('payment_captured', data)).toMatchObject({
      type: 'capture',
      amountMinor: 3000,
      providerPaymentId: data.id,
    });
  });

  it('a partial refund is partially_refunded, a full one refunded', () => {
    expect(
      normalize(
        'payment_refunded',
        paymentData({ amount: 1000, balances: { total_captured: 4200, total_refunded: 1000 } }),
      ),
    ).toMatchObject({ type: 'refund', status: 'partially_refunded', amountMinor: 1000 });
    expect(
      normalize(
        'payment_refunded',
        paymentData({ amount: 4200, balances: { total_captured: 4200, total_refunded: 4200 } }),
      ),
    ).toMatchObject({ type: 'refund', status: 'refunded', amountMinor: 4200 });
    expect(normalize('payment_refunded', paymentData({ amount: 4200, balances: undefined })).status).toBe('refunded');
  });

  it('a system malfunction is a failure, not an issuer decline', () => {
    expect(normalize('payment_declined', declinedData('20096', 'System malfunction'))).toMatchObject({
      status: 'failed',
      failureReason: 'processing_error',
    });
  });

  it('falls back to the customer id when there is no usable email', () => {
    expect(normalize('payment_approved', paymentData({ customer: { id: 'cus_only' } })).customerKey).toBe(
      'ck_id_cus_only',
    );
  });

  it('event types that carry no payment state are ignored', () => {
    const outcome = checkoutConnector.normalize(checkoutEvent('payment_instrument_created', { id: 'src_1' }), ctx);
    expect(outcome).toEqual({ kind: 'ignored', reason: expect.stringContaining('payment_instrument_created') });
    expect(checkoutConnector.normalize({ hello: 'world' }, ctx).kind).toBe('ignored');
  });
});

describe('checkout connector: disputes', () => {
  it('dispute_received is a chargeback joined to the payment', () => {
    const e = normalize('dispute_received', disputeData());
    expect(e).toMatchObject({
      type: 'dispute',
      status: 'chargeback',
      providerPaymentId: 'pay_pltestdisputed0000000000001',
      providerCode: '10.4',
      providerMessage: 'fraudulent',
      amountMinor: 4200,
      failureReason: null,
    });
    expect(e.metadata).toMatchObject({ evidenceRequiredBy: '2024-12-10T00:00:00Z' });
  });

  it.each([
    ['dispute_won', 'approved'],
    ['dispute_canceled', 'approved'],
    ['dispute_lost', 'chargeback'],
    ['dispute_accepted', 'chargeback'],
    ['dispute_evidence_required', 'chargeback'],
    ['dispute_expired', 'chargeback'],
  ])('%s → %s', (type, status) => {
    expect(normalize(type, disputeData()).status).toBe(status);
  });
});

describe('checkout connector: money', () => {
  it.each([
    ['GBP', 4200, 4200],
    ['JPY', 5000, 5000],
    ['KRW', 12345, 12345],
    ['KWD', 12340, 12340],
    ['BHD', 1000, 1000],
    ['CLP', 150000, 1500],
  ])('%s %i from Checkout.com is %i ISO minor units', (currency, amount, expected) => {
    const e = normalize('payment_captured', paymentData({ currency, amount }));
    expect(e.amountMinor).toBe(expected);
    expect(e.currency).toBe(currency);
  });
});

describe('checkout connector: response-code table', () => {
  it('maps every documented decline code to a canonical reason; 20xxx soft, 30xxx and 40xxx hard', () => {
    for (const [codes, declineType] of [
      [documentedSoftDeclines, 'soft'],
      [documentedHardDeclines, 'hard'],
      [documentedRiskResponses, 'hard'],
    ] as const) {
      for (const code of codes) {
        const e = normalize('payment_declined', declinedData(code, 'documented'));
        expect(e.unmappedCode, code).toBeUndefined();
        expect(failureReasons).toContain(e.failureReason);
        expect(e.failureReason, code).not.toBe('unknown');
        expect(e.declineType, code).toBe(declineType);
      }
    }
    expect(Object.keys(checkoutConnector.codes).sort()).toEqual(
      [...documentedSoftDeclines, ...documentedHardDeclines, ...documentedRiskResponses].sort(),
    );
  });

  it('knows every documented approval code and never turns it into a failure reason', () => {
    expect([...checkoutApprovedCodes].sort()).toEqual(documentedApprovals);
    for (const code of documentedApprovals) expect(checkoutConnector.codes[code], code).toBeUndefined();
  });

  it.each([
    ['20051', 'insufficient_funds', 'retry_later'],
    ['20054', 'expired_card', 'ask_customer_for_new_card'],
    ['20087', 'incorrect_cvc', 'ask_customer_to_check_details'],
    ['20154', 'authentication_required', 'retry_with_authentication'],
    ['30041', 'lost_or_stolen_card', 'do_not_retry'],
    ['30043', 'lost_or_stolen_card', 'do_not_retry'],
    ['40101', 'blocked_by_risk_rules', 'review_manually'],
  ])('%s → %s / %s', (code, reason, action) => {
    expect(checkoutConnector.codes[code]).toMatchObject({ reason, action });
  });

  it.each(['20099', '30099', '40999', '50001'])(
    'a code in a known range but not in the table (%s) is unknown and reported',
    (code) => {
      const e = normalize('payment_declined', declinedData(code, 'Something new'));
      expect(e).toMatchObject({
        status: 'declined',
        failureReason: 'unknown',
        declineType: 'soft',
        recommendedAction: 'review_manually',
        providerCode: code,
      });
      expect(e.unmappedCode).toBe(code);
    },
  );
});

describe('checkout connector: signature', () => {
  const secret = 'whk_paylens_fixture_key';
  const fixture = readFileSync(new URL('./__fixtures__/payment_declined.json', import.meta.url));
  const sign = (body: Buffer, key = secret) => createHmac('sha256', key).update(body).digest('hex');
  const verify = (header: string | string[] | undefined, body = fixture, key = secret) =>
    checkoutConnector.verify!({
      rawBody: body,
      headers: { 'cko-signature': header },
      query: {},
      secret: key,
      settings: {},
      now: new Date(),
      http: noOutbound,
    });

  it('accepts the signature of the fixture body, in either hex case', async () => {
    expect(sign(fixture)).toBe('9ca49b75c62668a0ce85d899cf8bbd0281cdf676220df1b6bbc4a2e47bc811bf');
    expect(await verify('9ca49b75c62668a0ce85d899cf8bbd0281cdf676220df1b6bbc4a2e47bc811bf')).toEqual({ ok: true });
    expect(await verify('9CA49B75C62668A0CE85D899CF8BBD0281CDF676220DF1B6BBC4A2E47BC811BF')).toEqual({ ok: true });
    expect(await verify([sign(fixture)])).toEqual({ ok: true });
  });

  it('rejects a missing header, a tampered body, a wrong key and a truncated signature', async () => {
    expect(await verify(undefined)).toEqual({ ok: false, reason: expect.stringContaining('missing') });
    expect(await verify('')).toMatchObject({ ok: false });
    const tampered = Buffer.from(fixture.toString('utf8').replace('"amount":150000', '"amount":1'));
    expect((await verify(sign(fixture), tampered)).ok).toBe(false);
    expect((await verify(sign(fixture, 'whk_other'))).ok).toBe(false);
    expect((await verify(sign(fixture).slice(0, 40))).ok).toBe(false);
  });
});

describe('checkout connector: robustness', () => {
  it('normalize, eventId and detect never throw on arbitrary JSON, nor on arbitrary event data', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectTotal(checkoutConnector, value)),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom('payment_approved', 'payment_declined', 'payment_refunded', 'dispute_lost', 'card_verified'),
        fc.dictionary(fc.string(), fc.jsonValue()),
        (type, data) => expectTotal(checkoutConnector, { id: 'evt_x', type, created_on: '2024-01-01T00:00:00Z', data }),
      ),
      { numRuns: 300 },
    );
  });
});
