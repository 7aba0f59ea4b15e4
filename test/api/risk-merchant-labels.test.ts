import { describe, expect, it, vi } from 'vitest';
import { scoreSimulation } from '../../src/modules/risk/simulation/simulation-runner.js';
import { appForSuite, callApi, createTestApp, postEvent, type TestApp } from '../harness/app.js';
import { harnessRedisUrl, storeKinds } from '../harness/stores.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const HOUR = 3_600_000;
let seq = 0;

/** A plain purchase at a merchant by a customer of its own: nothing about it is suspicious but the merchant. */
const purchase = (merchant: string, at: number) => ({
  transactionId: `tx_ml_${++seq}`,
  amount: { minor: 4000, currency: 'USD' },
  customer: { id: `cus_ml_${seq}` },
  card: {},
  merchant: { id: merchant, country: 'US' },
  occurredAt: new Date(at).toISOString(),
});

/** Adyen notifications in its published webhook format: an authorisation, and a chargeback of one. */
const adyen = (items: Record<string, unknown>[]) => ({
  live: 'false',
  notificationItems: items.map((item) => ({ NotificationRequestItem: item })),
});
const adyenItem = (
  eventCode: string,
  psp: string,
  account: string,
  at: number,
  extra: Record<string, unknown> = {},
) => ({
  pspReference: psp,
  merchantAccountCode: account,
  merchantReference: `order-${psp}`,
  eventCode,
  eventDate: new Date(at).toISOString(),
  success: 'true',
  amount: { value: 4000, currency: 'EUR' },
  paymentMethod: 'visa',
  ...extra,
});

type Reasoned = { decision: string; reasons: { code: string }[]; features: Record<string, number> };
const codes = (a: Reasoned) => a.reasons.map((r) => r.code);

/**
 * A compromised merchant on the running server: its earlier transactions are labelled fraud through
 * the API, and the next score at that merchant is held with the merchant-label reason — no model,
 * no restart. Another merchant with the same traffic, and another tenant with the same merchant
 * id, are untouched; labelling the frauds legit again withdraws them.
 */
async function compromisedMerchant(t: TestApp) {
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown, apiKey?: string) =>
    callApi(t, method, url, payload, apiKey);
  const score = async (body: unknown, apiKey?: string) => {
    const res = await call('POST', '/v1/risk/score', body, apiKey);
    expect(res.statusCode).toBe(200);
    return res.json() as Reasoned;
  };
  const other = await t.newTenant(`other-${seq}`);
  const history = async (merchant: string, apiKey?: string) => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const tx = purchase(merchant, T0 - (24 - i) * HOUR);
      await score(tx, apiKey);
      ids.push(tx.transactionId);
    }
    return ids;
  };
  const shop = `shop_${seq}`;
  const ids = await history(shop);
  await history(`${shop}_twin`);
  await history(shop, other.apiKey);

  const before = await score(purchase(shop, T0 - HOUR));
  expect(before.decision).toBe('approve');
  expect(before.features.merchant_fraud_count_30d ?? 0).toBe(0);

  for (const id of ids.slice(0, 4))
    expect(
      (await call('POST', '/v1/risk/labels', { transactionId: id, label: id === ids[3] ? 'chargeback' : 'fraud' }))
        .statusCode,
    ).toBe(201);
  expect((await call('POST', '/v1/risk/labels', { transactionId: ids[4], label: 'legit' })).statusCode).toBe(201);

  const after = await score(purchase(shop, T0));
  expect(after.decision).not.toBe('approve');
  expect(codes(after)).toContain('merchant_labelled_fraud');
  expect(after.features).toMatchObject({ merchant_fraud_count_30d: 4, merchant_fraud_count_1d: 4 });

  const twin = await score(purchase(`${shop}_twin`, T0));
  expect(twin.decision).toBe('approve');
  expect(codes(twin)).not.toContain('merchant_labelled_fraud');
  const elsewhere = await score(purchase(shop, T0), other.apiKey);
  expect(elsewhere.decision).toBe('approve');
  expect(elsewhere.features.merchant_fraud_count_30d ?? 0).toBe(0);

  // A label withdrawn (the analyst was wrong) stops counting at once.
  for (const id of ids.slice(0, 4))
    expect((await call('POST', '/v1/risk/labels', { transactionId: id, label: 'legit' })).statusCode).toBe(201);
  const cleared = await score(purchase(shop, T0 + 1000));
  expect(cleared.decision).toBe('approve');
  expect(cleared.features.merchant_fraud_count_30d ?? 0).toBe(0);
}

describe.each(storeKinds())('merchant risk from labels on the running server (%s)', (store) => {
  const t = appForSuite(store);

  it('labels through POST /v1/risk/labels hold the next score at that merchant, and only there', async () => {
    expect(t.container.risk.labelRisk.kind).toBe('memory');
    await compromisedMerchant(t);
  });

  it('labels recorded in bulk (paylens simulate) count for the merchant too', async () => {
    const merchant = `bulk_${seq}`;
    const traffic = Array.from({ length: 10 }, (_, i) => ({
      request: purchase(merchant, T0 - (10 - i) * HOUR),
      label: i % 3 === 0 ? ('fraud' as const) : ('legit' as const),
      pattern: 'test',
    }));
    await scoreSimulation(t.container.risk, t.tenantId, traffic, t.container.customerKey);
    const next = (await callApi(t, 'POST', '/v1/risk/score', purchase(merchant, T0))).json() as Reasoned;
    expect(next.features).toMatchObject({ merchant_fraud_count_30d: 4 });
    expect(codes(next)).toContain('merchant_labelled_fraud');
  });

  it('chargebacks from a provider count for the merchant once their events are stored', async () => {
    const account = `Shop${++seq}`;
    const psps = Array.from({ length: 8 }, (_, i) => `PSP${seq}P${i}`);
    const ingest = async (payload: unknown) => expect((await postEvent(t, payload)).statusCode).toBe(201);
    await ingest(
      adyen(
        psps.map((psp, i) =>
          adyenItem('AUTHORISATION', psp, account, T0 - (10 - i) * HOUR, { reason: '061234:1111:03/2030' }),
        ),
      ),
    );
    const score = async (at: number) =>
      (await callApi(t, 'POST', '/v1/risk/score', purchase(account, at))).json() as Reasoned;
    expect(codes(await score(T0 - HOUR))).not.toContain('merchant_labelled_fraud');
    await ingest(
      adyen(
        psps.slice(0, 3).map((psp, i) => ({
          ...adyenItem('CHARGEBACK', `DSP${seq}D${i}`, account, T0 - HOUR / 2, {
            additionalData: { chargebackReasonCode: '10.4' },
          }),
          originalReference: psp,
        })),
      ),
    );
    // Counted right after the events are stored (after the answer, best effort): the next scores see it.
    await vi.waitFor(async () => expect(codes(await score(T0))).toContain('merchant_labelled_fraud'), {
      timeout: 10_000,
      interval: 50,
    });
  });
});

describe('merchant risk from labels with REDIS_URL', { tags: ['redis'] }, () => {
  it(
    'labels through the API reach the Redis label store and hold the next score there',
    { timeout: 120_000 },
    async () => {
      const t = await createTestApp('pglite', { REDIS_URL: harnessRedisUrl() });
      try {
        expect(t.container.risk.labelRisk.kind).toBe('redis');
        await compromisedMerchant(t);
      } finally {
        await t.close();
      }
    },
  );
});
