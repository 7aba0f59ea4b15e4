import { createHmac } from 'node:crypto';
import { expectSingleEvent, readJsonFixture, testNormalizeContext } from '../connector.testing.js';
import { describe, expect, it } from 'vitest';
import { failureReasons } from '../../canonical.js';
import { stripeConnector } from './stripe.connector.js';
import { charge, declinedCharge, dispute, paymentIntent, stripeEvent } from './__fixtures__/stripe-events.js';
import { noOutbound } from '../../../../platform/net/outbound-client.js';

const ctx = testNormalizeContext;

/** Stripe's documented decline codes (docs.stripe.com/declines/codes); every one must be in our table. */
const documentedDeclineCodes =
  `authentication_required approve_with_id call_issuer card_not_supported card_velocity_exceeded
currency_not_supported do_not_honor do_not_try_again duplicate_transaction expired_card fraudulent generic_decline
incorrect_number incorrect_cvc incorrect_pin incorrect_zip insufficient_funds invalid_account invalid_amount invalid_cvc
invalid_expiry_month invalid_expiry_year invalid_number invalid_pin issuer_not_available lost_card merchant_blacklist
new_account_information_available no_action_taken not_permitted offline_pin_required online_or_offline_pin_required
pickup_card pin_try_exceeded processing_error reenter_transaction restricted_card revocation_of_all_authorizations
revocation_of_authorization security_violation service_not_allowed stolen_card stop_payment_order testmode_decline
transaction_not_allowed try_again_later withdrawal_count_limit_exceeded card_decline_rate_limit_exceeded
mobile_device_authentication_required`.split(/\s+/);

describe('stripe connector: detection and ids', () => {
  it('claims Stripe event envelopes and nothing else', () => {
    expect(stripeConnector.detect(stripeEvent('charge.succeeded', charge()))).toBeGreaterThan(0.9);
    expect(stripeConnector.detect({ id: 'evt_1', type: 'x' })).toBe(0);
    expect(stripeConnector.detect({ notificationItems: [] })).toBe(0);
    expect(stripeConnector.detect('evt_1')).toBe(0);
  });

  it('uses the event id for dedupe', () => {
    const event = stripeEvent('charge.succeeded', charge());
    expect(stripeConnector.eventId(event)).toBe(event.id);
  });
});

describe('stripe connector: charges', () => {
  it('normalizes a captured charge from a JSON fixture exactly', () => {
    const payload = readJsonFixture(new URL('./__fixtures__/charge.succeeded.json', import.meta.url));
    const e = expectSingleEvent(stripeConnector.normalize(payload, ctx));
    expect(e).toMatchObject({
      providerEventId: 'evt_1QFixtureSucceeded01',
      providerPaymentId: 'pi_1QFixtureIntent0001',
      type: 'sale',
      status: 'approved',
      failureReason: null,
      amountMinor: 2000,
      currency: 'BRL',
      customerKey: 'ck_email_ana@correo.example',
      emailDomain: 'correo.example',
      card: { brand: 'mastercard', bin: '555566', last4: '0004', country: 'BR', funding: 'debit' },
      normalizationMethod: 'rules',
      confidence: 1,
    });
    expect(e.occurredAt.toISOString()).toBe(new Date(1732446000 * 1000).toISOString());
    expect(e.metadata).toMatchObject({ providerMetadata: { cart: 'c-77' }, riskScore: 8 });
  });

  it('an uncaptured successful charge is an authorization', () => {
    const e = expectSingleEvent(
      stripeConnector.normalize(stripeEvent('charge.succeeded', charge({ captured: false, amount_captured: 0 })), ctx),
    );
    expect(e.type).toBe('authorization');
    expect(e.status).toBe('approved');
  });

  it('an issuer decline takes its reason from outcome.reason', () => {
    const e = expectSingleEvent(
      stripeConnector.normalize(stripeEvent('charge.failed', declinedCharge('insufficient_funds')), ctx),
    );
    expect(e).toMatchObject({
      status: 'declined',
      failureReason: 'insufficient_funds',
      declineType: 'soft',
      recommendedAction: 'retry_later',
      providerCode: 'insufficient_funds',
    });
  });

  it('a specific failure_code (expired_card) is used when there is no decline code', () => {
    const failed = declinedCharge('expired_card', {
      failure_code: 'expired_card',
      outcome: { type: 'issuer_declined', network_status: 'declined_by_network', reason: null },
    });
    const e = expectSingleEvent(stripeConnector.normalize(stripeEvent('charge.failed', failed), ctx));
    expect(e).toMatchObject({
      failureReason: 'expired_card',
      declineType: 'hard',
      recommendedAction: 'ask_customer_for_new_card',
    });
  });

  it('a Radar block is blocked_by_risk_rules', () => {
    const blocked = declinedCharge('highest_risk_level', {
      outcome: {
        type: 'blocked',
        network_status: 'not_sent_to_network',
        reason: 'highest_risk_level',
        risk_level: 'highest',
      },
    });
    const e = expectSingleEvent(stripeConnector.normalize(stripeEvent('charge.failed', blocked), ctx));
    expect(e.failureReason).toBe('blocked_by_risk_rules');
  });

  it('a processing error is a failure, not a decline', () => {
    const failed = declinedCharge('processing_error', {
      failure_code: 'processing_error',
      outcome: { type: 'invalid', reason: null, network_status: 'not_sent_to_network' },
    });
    const e = expectSingleEvent(stripeConnector.normalize(stripeEvent('charge.failed', failed), ctx));
    expect(e).toMatchObject({ status: 'failed', failureReason: 'processing_error', declineType: 'soft' });
  });

  it('an unmapped decline code is unknown and reported, never guessed', () => {
    const e = expectSingleEvent(
      stripeConnector.normalize(stripeEvent('charge.failed', declinedCharge('brand_new_code_2027')), ctx),
    );
    expect(e.failureReason).toBe('unknown');
    expect(e.unmappedCode).toBe('brand_new_code_2027');
  });

  it('a pending charge is pending', () => {
    expect(
      expectSingleEvent(stripeConnector.normalize(stripeEvent('charge.pending', charge({ status: 'pending' })), ctx))
        .status,
    ).toBe('pending');
  });

  it('charge.captured carries the captured amount', () => {
    const e = expectSingleEvent(
      stripeConnector.normalize(stripeEvent('charge.captured', charge({ amount: 5000, amount_captured: 3000 })), ctx),
    );
    expect(e).toMatchObject({ type: 'capture', status: 'approved', amountMinor: 3000 });
  });

  it('a partial refund carries this refund amount, a full one is refunded', () => {
    const partial = stripeEvent('charge.refunded', charge({ amount_refunded: 1500, refunded: false }), {});
    (partial.data as Record<string, unknown>).previous_attributes = { amount_refunded: 500 };
    expect(expectSingleEvent(stripeConnector.normalize(partial, ctx))).toMatchObject({
      type: 'refund',
      status: 'partially_refunded',
      amountMinor: 1000,
    });
    const full = stripeEvent('charge.refunded', charge({ amount_refunded: 4999, refunded: true }));
    expect(expectSingleEvent(stripeConnector.normalize(full, ctx))).toMatchObject({
      type: 'refund',
      status: 'refunded',
      amountMinor: 4999,
    });
  });

  it('charge.updated without a state change is ignored; with one it is an event', () => {
    const cosmetic = stripeEvent('charge.updated', charge());
    (cosmetic.data as Record<string, unknown>).previous_attributes = { description: 'old' };
    expect(stripeConnector.normalize(cosmetic, ctx).kind).toBe('ignored');
    const captured = stripeEvent('charge.updated', charge());
    (captured.data as Record<string, unknown>).previous_attributes = { captured: false };
    expect(expectSingleEvent(stripeConnector.normalize(captured, ctx)).status).toBe('approved');
  });
});

describe('stripe connector: payment intents and disputes', () => {
  it('payment_intent.succeeded is an approved sale of amount_received', () => {
    const e = expectSingleEvent(
      stripeConnector.normalize(
        stripeEvent('payment_intent.succeeded', paymentIntent({ amount: 12000, amount_received: 11000 })),
        ctx,
      ),
    );
    expect(e).toMatchObject({
      type: 'sale',
      status: 'approved',
      amountMinor: 11000,
      currency: 'EUR',
      emailDomain: 'shop.example',
    });
    expect(e.providerPaymentId).toMatch(/^pi_/);
  });

  it('payment_intent.payment_failed maps last_payment_error.decline_code', () => {
    const pi = paymentIntent({
      status: 'requires_payment_method',
      amount_received: 0,
      last_payment_error: {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'lost_card',
        message: 'Your card was declined.',
        payment_method: {
          card: { brand: 'amex', country: 'GB', last4: '0005', funding: 'credit' },
          billing_details: { email: 'x@y.example' },
        },
      },
    });
    const e = expectSingleEvent(stripeConnector.normalize(stripeEvent('payment_intent.payment_failed', pi), ctx));
    expect(e).toMatchObject({
      status: 'declined',
      failureReason: 'lost_or_stolen_card',
      declineType: 'hard',
      recommendedAction: 'do_not_retry',
      card: { brand: 'amex', last4: '0005' },
    });
  });

  it('manual capture makes authorizations; cancel is a void', () => {
    const auth = expectSingleEvent(
      stripeConnector.normalize(
        stripeEvent(
          'payment_intent.amount_capturable_updated',
          paymentIntent({ capture_method: 'manual', status: 'requires_capture', amount_capturable: 12000 }),
        ),
        ctx,
      ),
    );
    expect(auth).toMatchObject({ type: 'authorization', status: 'approved', amountMinor: 12000 });
    const voided = expectSingleEvent(
      stripeConnector.normalize(
        stripeEvent(
          'payment_intent.canceled',
          paymentIntent({ status: 'canceled', cancellation_reason: 'requested_by_customer' }),
        ),
        ctx,
      ),
    );
    expect(voided).toMatchObject({ type: 'void', status: 'canceled', providerCode: 'requested_by_customer' });
  });

  it('charge.dispute.created is a chargeback linked to the payment intent; a won dispute is approved', () => {
    const created = expectSingleEvent(stripeConnector.normalize(stripeEvent('charge.dispute.created', dispute()), ctx));
    expect(created).toMatchObject({
      type: 'dispute',
      status: 'chargeback',
      providerCode: 'fraudulent',
      providerPaymentId: 'pi_Test0001',
      amountMinor: 4999,
    });
    const won = expectSingleEvent(
      stripeConnector.normalize(stripeEvent('charge.dispute.closed', dispute({ status: 'won' })), ctx),
    );
    expect(won.status).toBe('approved');
  });

  it('event types we do not model are ignored with a reason', () => {
    const outcome = stripeConnector.normalize(
      stripeEvent('customer.created', { id: 'cus_1', object: 'customer' }),
      ctx,
    );
    expect(outcome).toEqual({ kind: 'ignored', reason: expect.stringContaining('customer.created') });
  });
});

describe('stripe connector: money', () => {
  it.each([
    ['jpy', 5000, 5000],
    ['krw', 12345, 12345],
    ['usd', 1999, 1999],
    ['kwd', 12340, 12340],
    ['isk', 10000, 100],
  ])('%s %i from Stripe is %i ISO minor units', (currency, stripeAmount, expected) => {
    const e = expectSingleEvent(
      stripeConnector.normalize(stripeEvent('charge.succeeded', charge({ currency, amount: stripeAmount })), ctx),
    );
    expect(e.amountMinor).toBe(expected);
    expect(e.currency).toBe(currency.toUpperCase());
  });
});

describe('stripe connector: decline table', () => {
  it('maps every documented decline code to a canonical reason', () => {
    for (const code of documentedDeclineCodes) {
      const mapping = stripeConnector.codes[code];
      expect(mapping, code).toBeDefined();
      expect(failureReasons).toContain(mapping!.reason);
      expect(mapping!.reason, code).not.toBe('unknown');
    }
  });

  it.each([
    ['fraudulent', 'suspected_fraud', 'hard'],
    ['stolen_card', 'lost_or_stolen_card', 'hard'],
    ['incorrect_cvc', 'incorrect_cvc', 'soft'],
    ['authentication_required', 'authentication_required', 'soft'],
    ['try_again_later', 'issuer_unavailable', 'soft'],
    ['do_not_try_again', 'generic_decline', 'hard'],
  ])('%s → %s (%s)', (code, reason, declineType) => {
    expect(stripeConnector.codes[code]).toMatchObject({ reason, declineType });
  });
});

describe('stripe connector: signature', () => {
  const secret = 'whsec_paylens_test';
  const body = Buffer.from(JSON.stringify(stripeEvent('charge.succeeded', charge())));
  const sign = (t: number, payload = body, key = secret) =>
    createHmac('sha256', key).update(`${t}.`).update(payload).digest('hex');
  const now = new Date('2024-11-24T12:00:00Z');
  const t = Math.floor(now.getTime() / 1000) - 10;
  const verify = (header: string | undefined, at = now) =>
    stripeConnector.verify!({
      rawBody: body,
      headers: { 'stripe-signature': header },
      query: {},
      secret,
      settings: {},
      now: at,
      http: noOutbound,
    });

  it('accepts a valid signature and any matching v1 among several', async () => {
    expect(await verify(`t=${t},v1=${sign(t)}`)).toEqual({ ok: true });
    expect(await verify(`t=${t},v1=${'0'.repeat(64)},v1=${sign(t)},v0=abc`)).toEqual({ ok: true });
  });

  it('rejects a tampered body, a wrong secret, a stale or future timestamp and a missing header', async () => {
    expect((await verify(`t=${t},v1=${sign(t, Buffer.from('{}'))}`)).ok).toBe(false);
    expect((await verify(`t=${t},v1=${sign(t, body, 'whsec_other')}`)).ok).toBe(false);
    expect((await verify(`t=${t - 400},v1=${sign(t - 400)}`)).ok).toBe(false);
    const future = t + 10 + 301;
    expect(await verify(`t=${future},v1=${sign(future)}`)).toEqual({
      ok: false,
      reason: expect.stringContaining('in the future'),
    });
    expect(await verify(`t=${future - 1},v1=${sign(future - 1)}`)).toEqual({ ok: true });
    expect((await verify(undefined)).ok).toBe(false);
    expect((await verify(`v1=${sign(t)}`)).ok).toBe(false);
  });
});
