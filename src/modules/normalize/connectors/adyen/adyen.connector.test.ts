import {
  expectEvents,
  expectSingleEvent,
  expectTotal,
  readJsonFixture,
  testNormalizeContext,
} from '../connector.testing.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failureReasons } from '../../canonical.js';
import type { VerifyInput } from '../../connector.js';
import { adyenConnector } from './adyen.connector.js';
import { adyenSigningString } from './adyen.signature.js';
import {
  adyenDelivery,
  adyenItem,
  modificationItem,
  refusedItem,
  signDelivery,
} from './__fixtures__/adyen-notifications.js';
import { noOutbound } from '../../../../platform/net/outbound-client.js';

const ctx = testNormalizeContext;

const normalizeItem = (item: Record<string, unknown>) =>
  expectSingleEvent(adyenConnector.normalize(adyenDelivery([item]), ctx));

/** Adyen refusal reasons 0–46 exactly as docs.adyen.com/development-resources/refusal-reasons lists their text. */
const documentedRefusalReasons: [number, string][] = [
  [0, 'Unknown'],
  [2, 'Refused'],
  [3, 'Referral'],
  [4, 'Acquirer Error'],
  [5, 'Blocked Card'],
  [6, 'Expired Card'],
  [7, 'Invalid Amount'],
  [8, 'Invalid Card Number'],
  [9, 'Issuer Unavailable'],
  [10, 'Not supported'],
  [11, '3D Not Authenticated'],
  [12, 'Not enough balance'],
  [14, 'Acquirer Fraud'],
  [15, 'Cancelled'],
  [16, 'Shopper Cancelled'],
  [17, 'Invalid Pin'],
  [18, 'Pin tries exceeded'],
  [19, 'Pin validation not possible'],
  [20, 'FRAUD'],
  [21, 'Not Submitted'],
  [22, 'FRAUD-CANCELLED'],
  [23, 'Transaction Not Permitted'],
  [24, 'CVC Declined'],
  [25, 'Restricted Card'],
  [26, 'Revocation Of Auth'],
  [27, 'Declined Non Generic'],
  [28, 'Withdrawal amount exceeded'],
  [29, 'Withdrawal count exceeded'],
  [31, 'Issuer Suspected Fraud'],
  [32, 'AVS Declined'],
  [33, 'Card requires online pin'],
  [34, 'No checking account available on Card'],
  [35, 'No savings account available on Card'],
  [36, 'Mobile PIN required'],
  [37, 'Contactless fallback'],
  [38, 'Authentication required'],
  [39, 'RReq not received from DS'],
  [40, 'Current AID is in Penalty Box.'],
  [41, 'CVM Required Restart Payment'],
  [42, '3DS Authentication Error'],
  [43, 'Online PIN required'],
  [44, 'Try another interface'],
  [45, 'Chip downgrade mode'],
  [46, 'Transaction blocked by Adyen to prevent excessive retry fees'],
];

describe('adyen connector: detection and ids', () => {
  it('claims Standard notification deliveries and nothing else', () => {
    expect(adyenConnector.detect(adyenDelivery([adyenItem()]))).toBeGreaterThan(0.9);
    expect(
      adyenConnector.detect({ id: 'evt_1', object: 'event', type: 'charge.succeeded', data: { object: {} } }),
    ).toBe(0);
    expect(adyenConnector.detect({ notificationItems: 'nope' })).toBe(0);
    expect(adyenConnector.detect([adyenItem()])).toBe(0);
    // One NotificationRequestItem anywhere in the list is enough; a list without any is only a weak match.
    expect(adyenConnector.detect({ notificationItems: [{}, { NotificationRequestItem: adyenItem() }] })).toBe(0.99);
    expect(adyenConnector.detect({ live: 'false', notificationItems: [{ other: 1 }] })).toBe(0.6);
  });

  it('the dedupe id covers the whole delivery and is stable across redeliveries', () => {
    const a = adyenItem();
    const b = modificationItem('CAPTURE', a.pspReference as string);
    const delivery = adyenDelivery([a, b]);
    const id = adyenConnector.eventId(delivery);
    expect(id).toBe(`${a.pspReference}:AUTHORISATION:true|${b.pspReference}:CAPTURE:true`);
    expect(adyenConnector.eventId(JSON.parse(JSON.stringify(delivery)))).toBe(id);
    expect(adyenConnector.eventId(adyenDelivery([a]))).not.toBe(id);
    expect(adyenConnector.eventId(adyenDelivery([{ ...a, success: 'false' }]))).not.toBe(
      adyenConnector.eventId(adyenDelivery([a])),
    );
  });

  it('a very large batch gets a hashed, bounded dedupe id', () => {
    const many = adyenDelivery(Array.from({ length: 40 }, () => adyenItem()));
    expect(adyenConnector.eventId(many)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('acknowledges with the literal [accepted]', () => {
    expect(adyenConnector.webhookAck).toEqual({ contentType: 'text/plain', body: '[accepted]' });
  });
});

describe('adyen connector: authorisations', () => {
  it('normalizes a successful card authorisation exactly', () => {
    const item = adyenItem();
    const e = normalizeItem(item);
    expect(e).toMatchObject({
      providerEventId: `${item.pspReference}:AUTHORISATION:true`,
      providerPaymentId: item.pspReference,
      type: 'authorization',
      status: 'approved',
      failureReason: null,
      declineType: null,
      recommendedAction: null,
      providerCode: null,
      amountMinor: 2599,
      currency: 'EUR',
      merchant: { id: 'PaylensShopEU', name: null, country: null },
      customerKey: 'ck_email_lena.vogt@post.example',
      emailDomain: 'post.example',
      ip: '198.51.100.23',
      card: { brand: 'mcdebit', bin: '535110', last4: '1142', country: 'DE', funding: 'debit' },
      normalizationMethod: 'rules',
      confidence: 1,
    });
    expect(e.occurredAt.toISOString()).toBe('2024-11-20T08:15:30.000Z');
    expect(e.metadata).toMatchObject({
      adyenEventCode: 'AUTHORISATION',
      success: true,
      live: false,
      authCode: '071934',
      merchantReference: 'order-7781',
      providerMetadata: { orderChannel: 'web' },
    });
  });

  it('falls back to shopperReference for the customer key and to the reason text for last4', () => {
    const e = normalizeItem(
      adyenItem(
        { reason: '123456:0005:03/2030' },
        { shopperEmail: undefined, cardSummary: undefined, cardBin: undefined },
      ),
    );
    expect(e.customerKey).toBe('ck_id_shopper-4410');
    expect(e.emailDomain).toBeNull();
    expect(e.card).toMatchObject({ last4: '0005', bin: null });
  });

  it('a refused authorisation maps the reason text (success is the STRING "false")', () => {
    const e = normalizeItem(refusedItem('CVC Declined'));
    expect(e).toMatchObject({
      type: 'authorization',
      status: 'declined',
      failureReason: 'incorrect_cvc',
      declineType: 'soft',
      recommendedAction: 'ask_customer_to_check_details',
      providerCode: 'CVC Declined',
      providerMessage: 'CVC Declined',
    });
    expect(e.unmappedCode).toBeUndefined();
  });

  it('matches the reason text case-insensitively and tolerates a trailing period', () => {
    expect(normalizeItem(refusedItem('not ENOUGH balance')).failureReason).toBe('insufficient_funds');
    expect(normalizeItem(refusedItem('Current AID is in Penalty Box')).failureReason).toBe('processing_error');
    expect(normalizeItem(refusedItem('Issuer Suspected Fraud.')).failureReason).toBe('suspected_fraud');
  });

  it('uses additionalData.refusalReasonRaw when reason is empty', () => {
    const e = normalizeItem(refusedItem('', {}, { refusalReasonRaw: 'Expired Card' }));
    expect(e).toMatchObject({ failureReason: 'expired_card', declineType: 'hard', providerCode: 'Expired Card' });
  });

  it('an unknown reason text is unknown and reported, never guessed', () => {
    const e = normalizeItem(refusedItem('Declined by the moon', {}, { refusalReasonRaw: 'DECLINED 99 moon phase' }));
    expect(e).toMatchObject({
      status: 'declined',
      failureReason: 'unknown',
      declineType: 'soft',
      recommendedAction: 'review_manually',
      unmappedCode: 'Declined by the moon',
    });
  });

  it('an acquirer error is a failure, not an issuer decline', () => {
    expect(normalizeItem(refusedItem('Acquirer Error'))).toMatchObject({
      status: 'failed',
      failureReason: 'processing_error',
    });
  });

  it('AUTHORISATION_ADJUSTMENT carries the adjusted amount on the original payment', () => {
    const e = normalizeItem(
      modificationItem('AUTHORISATION_ADJUSTMENT', 'ORIGINALAUTH0001', { amount: { currency: 'EUR', value: 3100 } }),
    );
    expect(e).toMatchObject({
      type: 'authorization',
      status: 'approved',
      amountMinor: 3100,
      providerPaymentId: 'ORIGINALAUTH0001',
    });
  });

  it('PENDING, OFFER_CLOSED and manual review codes keep the authorization state', () => {
    expect(normalizeItem(adyenItem({ eventCode: 'PENDING' }))).toMatchObject({
      type: 'authorization',
      status: 'pending',
    });
    expect(normalizeItem(adyenItem({ eventCode: 'OFFER_CLOSED' }))).toMatchObject({
      type: 'authorization',
      status: 'canceled',
    });
    expect(normalizeItem(modificationItem('MANUAL_REVIEW_ACCEPT', 'P1'))).toMatchObject({
      type: 'authorization',
      status: 'approved',
    });
    expect(normalizeItem(modificationItem('MANUAL_REVIEW_REJECT', 'P1'))).toMatchObject({
      status: 'declined',
      failureReason: 'blocked_by_risk_rules',
      declineType: 'hard',
    });
  });
});

describe('adyen connector: modifications join their authorization', () => {
  const original = 'ORIGINALAUTH0001';
  it.each([
    ['CAPTURE', 'true', 'capture', 'approved'],
    ['CAPTURE', 'false', 'capture', 'failed'],
    ['CAPTURE_FAILED', 'true', 'capture', 'failed'],
    ['REFUND', 'true', 'refund', 'refunded'],
    ['REFUND', 'false', 'refund', 'failed'],
    ['REFUND_WITH_DATA', 'true', 'refund', 'refunded'],
    ['REFUND_FAILED', 'true', 'refund', 'failed'],
    ['REFUNDED_REVERSED', 'true', 'refund', 'failed'],
    ['POSTPONED_REFUND', 'true', 'refund', 'pending'],
    ['VOID_PENDING_REFUND', 'true', 'refund', 'canceled'],
    ['CANCELLATION', 'true', 'void', 'canceled'],
    ['CANCELLATION', 'false', 'void', 'failed'],
    ['TECHNICAL_CANCEL', 'true', 'void', 'canceled'],
    ['CANCEL_OR_REFUND', 'true', 'void', 'canceled'],
    ['EXPIRE', 'true', 'void', 'canceled'],
    ['CHARGEBACK', 'true', 'dispute', 'chargeback'],
    ['SECOND_CHARGEBACK', 'true', 'dispute', 'chargeback'],
    ['PREARBITRATION_LOST', 'true', 'dispute', 'chargeback'],
    ['NOTIFICATION_OF_CHARGEBACK', 'true', 'dispute', 'pending'],
    ['REQUEST_FOR_INFORMATION', 'true', 'dispute', 'pending'],
    ['NOTIFICATION_OF_FRAUD', 'true', 'dispute', 'pending'],
    ['CHARGEBACK_REVERSED', 'true', 'dispute', 'approved'],
    ['PREARBITRATION_WON', 'true', 'dispute', 'approved'],
  ])('%s with success "%s" → %s %s', (code, success, type, status) => {
    const e = normalizeItem(modificationItem(code, original, { success }));
    expect(e).toMatchObject({ type, status, providerPaymentId: original, amountMinor: 2599 });
    expect(e.providerEventId).toMatch(new RegExp(`:${code}:${success}$`));
  });

  it('REFUND_FAILED arrives with success "true" and is still a failed refund', () => {
    const e = normalizeItem(modificationItem('REFUND_FAILED', original, { success: 'true', reason: '' }));
    expect(e).toMatchObject({
      type: 'refund',
      status: 'failed',
      failureReason: 'unknown',
      providerCode: 'REFUND_FAILED',
    });
  });

  it('a rejected REFUND keeps the error text and reports it as unmapped', () => {
    const e = normalizeItem(
      modificationItem('REFUND', original, {
        success: 'false',
        reason: "Transaction hasn't been captured, refund not possible",
      }),
    );
    expect(e).toMatchObject({
      status: 'failed',
      failureReason: 'unknown',
      providerMessage: "Transaction hasn't been captured, refund not possible",
    });
    expect(e.unmappedCode).toBe("Transaction hasn't been captured, refund not possible");
  });

  it('CANCEL_OR_REFUND follows modificationAction', () => {
    expect(
      normalizeItem(modificationItem('CANCEL_OR_REFUND', original, {}, { modificationAction: 'refund' })),
    ).toMatchObject({ type: 'refund', status: 'refunded' });
    expect(
      normalizeItem(modificationItem('CANCEL_OR_REFUND', original, {}, { modificationAction: 'cancel' })),
    ).toMatchObject({ type: 'void', status: 'canceled' });
  });

  it('a CHARGEBACK carries the scheme reason code and text', () => {
    const e = normalizeItem(
      modificationItem(
        'CHARGEBACK',
        original,
        { reason: 'Fraud - Card Absent Environment', amount: { currency: 'EUR', value: 1500 } },
        {
          chargebackReasonCode: ' 10.4',
          chargebackSchemeCode: 'visa',
          defensePeriodEndsAt: '2024-12-20T00:00:00+01:00',
        },
      ),
    );
    expect(e).toMatchObject({
      type: 'dispute',
      status: 'chargeback',
      providerCode: '10.4',
      providerMessage: 'Fraud - Card Absent Environment',
      amountMinor: 1500,
      failureReason: null,
    });
    expect(e.metadata).toMatchObject({
      chargebackSchemeCode: 'visa',
      defensePeriodEndsAt: '2024-12-20T00:00:00+01:00',
    });
  });
});

describe('adyen connector: deliveries with several items', () => {
  it('returns one canonical event per item, in order', () => {
    const auth = adyenItem();
    const capture = modificationItem('CAPTURE', auth.pspReference as string, {
      amount: { currency: 'EUR', value: 2000 },
    });
    const refund = modificationItem('REFUND', auth.pspReference as string, { amount: { currency: 'EUR', value: 500 } });
    const list = expectEvents(adyenConnector.normalize(adyenDelivery([auth, capture, refund]), ctx));
    expect(list.map((e) => [e.type, e.status, e.amountMinor, e.providerPaymentId])).toEqual([
      ['authorization', 'approved', 2599, auth.pspReference],
      ['capture', 'approved', 2000, auth.pspReference],
      ['refund', 'refunded', 500, auth.pspReference],
    ]);
    expect(new Set(list.map((e) => e.providerEventId)).size).toBe(3);
  });

  it('normalizes the JSON fixture batch (KWD, REFUND_FAILED) and skips the report item', () => {
    const payload = readJsonFixture(new URL('./__fixtures__/capture-and-refund-batch.json', import.meta.url));
    const list = expectEvents(adyenConnector.normalize(payload, ctx));
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({
      type: 'capture',
      status: 'approved',
      amountMinor: 12345,
      currency: 'KWD',
      providerPaymentId: 'KX7Q4M2P9R1T6V3W',
      customerKey: 'ck_id_cust-0192',
      merchant: { id: 'PaylensGulf' },
    });
    expect(list[1]).toMatchObject({
      type: 'refund',
      status: 'failed',
      amountMinor: 2500,
      currency: 'KWD',
      providerPaymentId: 'KX7Q4M2P9R1T6V3W',
    });
    expect(list[0]!.occurredAt.toISOString()).toBe('2024-10-02T11:03:11.000Z');
  });

  it('a delivery of only non-payment codes is ignored', () => {
    const report = { ...modificationItem('REPORT_AVAILABLE', ''), originalReference: undefined };
    const outcome = adyenConnector.normalize(
      adyenDelivery([report, modificationItem('RECURRING_CONTRACT', 'P1')]),
      ctx,
    );
    expect(outcome).toEqual({ kind: 'ignored', reason: expect.stringContaining('REPORT_AVAILABLE') });
  });

  it('a payload that is not a delivery is ignored', () => {
    expect(adyenConnector.normalize({ notificationItems: [] }, ctx).kind).toBe('ignored');
    expect(adyenConnector.normalize(null, ctx).kind).toBe('ignored');
  });
});

describe('adyen connector: money', () => {
  it.each([
    ['EUR', 2599, 2599],
    ['JPY', 5000, 5000],
    ['KRW', 12345, 12345],
    ['KWD', 12345, 12345],
    ['BHD', 1005, 1005],
    ['CLP', 150000, 1500],
    ['ISK', 100000, 1000],
    ['CVE', 250, 25000],
  ])('%s %i from Adyen is %i ISO minor units', (currency, value, expected) => {
    const e = normalizeItem(adyenItem({ amount: { currency, value } }));
    expect(e.amountMinor).toBe(expected);
    expect(e.currency).toBe(currency);
  });
});

describe('adyen connector: refusal reason table', () => {
  it('maps every documented refusal reason (0–46) to a canonical reason, never unknown', () => {
    expect(documentedRefusalReasons).toHaveLength(44);
    for (const [code, text] of documentedRefusalReasons) {
      const e = normalizeItem(refusedItem(text));
      expect(e.unmappedCode, `${code} ${text}`).toBeUndefined();
      expect(failureReasons).toContain(e.failureReason);
      expect(e.failureReason, `${code} ${text}`).not.toBe('unknown');
    }
    expect(Object.keys(adyenConnector.codes)).toHaveLength(documentedRefusalReasons.length);
  });

  it.each([
    ['Not enough balance', 'insufficient_funds', 'soft'],
    ['Refused', 'generic_decline', 'soft'],
    ['Blocked Card', 'lost_or_stolen_card', 'hard'],
    ['FRAUD', 'blocked_by_risk_rules', 'hard'],
    ['Issuer Suspected Fraud', 'suspected_fraud', 'hard'],
    ['Authentication required', 'authentication_required', 'soft'],
    ['3D Not Authenticated', 'authentication_failed', 'soft'],
    ['Issuer Unavailable', 'issuer_unavailable', 'soft'],
    ['Withdrawal count exceeded', 'limit_exceeded', 'soft'],
  ])('%s → %s (%s)', (text, reason, declineType) => {
    expect(normalizeItem(refusedItem(text))).toMatchObject({ failureReason: reason, declineType });
  });
});

describe('adyen connector: HMAC signature', () => {
  const key = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
  const verify = (body: Buffer | string, secret = key) =>
    adyenConnector.verify!({
      rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body),
      headers: {},
      query: {},
      secret,
      settings: {},
      now: new Date(),
      http: noOutbound,
    } satisfies VerifyInput);

  it.each([
    [
      'DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00',
      {
        pspReference: 'pspReference',
        originalReference: 'originalReference',
        merchantAccountCode: 'merchantAccount',
        merchantReference: 'reference',
        amount: { value: 1000, currency: 'EUR' },
        eventCode: 'REPORT_AVAILABLE',
        success: 'true',
      },
      'ZNBPtI+oDyyRrLyD1XirkKnQgIAlFc07Vj27TeHsDRE=',
    ],
    [
      'DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00',
      {
        pspReference: 'pspReference',
        originalReference: 'originalReference',
        merchantAccountCode: 'merchantAccount',
        merchantReference: 'reference',
        amount: { value: 1000, currency: 'EUR' },
        eventCode: 'EVENT',
        success: 'true',
      },
      'ipnxGCaUZ4l8TUW75a71/ghd2Fe5ffvX0pV4TLTntIc=',
    ],
    [
      '9064450A8892A093D9E97EFCC9639DE31B74F3A7803135555A3C96F5A57915D6',
      {
        pspReference: 'test_REPORT_AVAILABLE',
        merchantAccountCode: 'Magento2Rik',
        merchantReference: 'testMerchantRef1',
        amount: { value: 0, currency: 'EUR' },
        eventCode: 'REPORT_AVAILABLE',
        success: 'true',
      },
      'NuEkADFmlCC6VgX+wcoPAegIWxVPNBPCuKlM4Hzo5qc=',
    ],
    [
      '74F490DD33F7327BAECC88B2947C011FC02D014A473AAA33A8EC93E4DC069174',
      {
        pspReference: 'ZVWN7D3WSMK2WN82',
        merchantAccountCode: 'AntoniStroinski',
        merchantReference: '\\:/\\/slashes are fun',
        amount: { value: 1000, currency: 'EUR' },
        eventCode: 'AUTHORISATION',
        success: 'true',
        reason: '052095:1111:03/2030',
      },
      'CZErGCNQaSsxbaQfZaJlakqo7KPP+mIa8a+wx3yNs9A=',
    ],
  ])("accepts Adyen's published test vector signed with %s", async (hexKey, item, signature) => {
    const body = JSON.stringify(adyenDelivery([{ ...item, additionalData: { hmacSignature: signature } }]));
    expect(await verify(body, hexKey)).toEqual({ ok: true });
    expect(await verify(body, hexKey.toLowerCase())).toEqual({ ok: true });
  });

  it('signs the 8 fields in order without escaping, missing fields empty', () => {
    const item = {
      pspReference: 'ZVWN7D3WSMK2WN82',
      merchantAccountCode: 'AntoniStroinski',
      merchantReference: '\\:/\\/slashes are fun',
      amount: { value: 1000, currency: 'EUR' },
      eventCode: 'AUTHORISATION',
      success: 'true',
    };
    expect(adyenSigningString(item)).toBe(
      'ZVWN7D3WSMK2WN82::AntoniStroinski:\\:/\\/slashes are fun:1000:EUR:AUTHORISATION:true',
    );
  });

  it('accepts a multi-item delivery only when every item is signed correctly', async () => {
    const signed = signDelivery(adyenDelivery([adyenItem(), modificationItem('CAPTURE', 'ORIGINALAUTH0001')]), key);
    expect(await verify(JSON.stringify(signed))).toEqual({ ok: true });

    const items = signed.notificationItems as { NotificationRequestItem: Record<string, unknown> }[];
    const unsignedSecond = {
      ...signed,
      notificationItems: [
        items[0],
        { NotificationRequestItem: { ...items[1]!.NotificationRequestItem, additionalData: {} } },
      ],
    };
    expect(await verify(JSON.stringify(unsignedSecond))).toEqual({
      ok: false,
      reason: expect.stringContaining('item 1'),
    });
  });

  it('rejects a tampered amount, a wrong key, a missing signature and a non-hex key', async () => {
    const signed = signDelivery(adyenDelivery([adyenItem()]), key);
    const body = JSON.stringify(signed);
    expect((await verify(body.replace('"value":2599', '"value":2'))).ok).toBe(false);
    expect((await verify(body.replace('"success":"true"', '"success":"false"'))).ok).toBe(false);
    expect((await verify(body, 'A'.repeat(64))).ok).toBe(false);
    expect(await verify(JSON.stringify(adyenDelivery([adyenItem()])))).toEqual({
      ok: false,
      reason: expect.stringContaining('no additionalData.hmacSignature'),
    });
    expect(await verify(body, 'not-a-hex-key')).toEqual({ ok: false, reason: expect.stringContaining('hex') });
    expect((await verify('{not json')).ok).toBe(false);
    expect((await verify(JSON.stringify({ live: 'false', notificationItems: [] }))).ok).toBe(false);
  });
});

describe('adyen connector: robustness', () => {
  it('normalize, eventId and detect never throw on arbitrary JSON, nor on arbitrary notification items', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectTotal(adyenConnector, value)),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.dictionary(
            fc.constantFrom('eventCode', 'success', 'amount', 'reason', 'additionalData', 'pspReference', 'eventDate'),
            fc.jsonValue(),
          ),
        ),
        (items) => expectTotal(adyenConnector, adyenDelivery(items)),
      ),
      { numRuns: 300 },
    );
  });
});
