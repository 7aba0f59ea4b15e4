import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, createTestApp, postEvent, type TestApp } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

const SECRET = 'whsec_merchant_alerts_0123';

/** Adyen authorisations (the published Standard webhook format) for one merchant account. */
function authorisations(
  merchantAccount: string,
  items: { at: Date; approved: boolean; bin: string; last4: string; ip: string; minor: number }[],
) {
  return {
    live: 'false',
    notificationItems: items.map((x, i) => ({
      NotificationRequestItem: {
        pspReference: `${merchantAccount}${x.at.getTime()}${i}${x.last4}`.slice(0, 40),
        merchantAccountCode: merchantAccount,
        merchantReference: `order-${x.at.getTime()}-${i}`,
        eventCode: 'AUTHORISATION',
        eventDate: x.at.toISOString(),
        success: x.approved ? 'true' : 'false',
        reason: x.approved ? `061234:${x.last4}:03/2030` : 'Refused',
        amount: { value: x.minor, currency: 'EUR' },
        paymentMethod: 'visa',
        additionalData: {
          cardSummary: x.last4,
          cardBin: x.bin,
          issuerCountry: 'NL',
          shopperIP: x.ip,
          shopperEmail: `buyer${x.last4}@example.nl`,
        },
      },
    })),
  };
}

describe.each(storeKinds())('merchant attack alerts (%s)', (store) => {
  let t: TestApp;
  let server: Server;
  let url: string;
  const received: {
    event: string;
    body: { type: string; data: { kind: string; details: Record<string, unknown> } };
  }[] = [];

  beforeAll(async () => {
    t = await createTestApp(store, {
      PAYLENS_ENCRYPTION_KEY: 'cd'.repeat(32),
      OUTBOUND_ALLOW_PRIVATE: 'true',
      OUTBOUND_ALLOW_HTTP: 'true',
    });
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          event: String(req.headers['paylens-event']),
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const quietSettings = (webhook: string) => ({
    approvalDrop: { enabled: false },
    failureSpike: { enabled: false },
    backlog: { enabled: false },
    webhook: { url: webhook, secret: SECRET },
  });

  it('a card-testing burst at one merchant opens a merchant alert (dashboard list and signed webhook) and resolves once it stops', async () => {
    const tenant = await t.newTenant(`card-testing-${store}`);
    expect((await callApi(t, 'PUT', '/v1/alerts/settings', quietSettings(url), tenant.apiKey)).statusCode).toBe(200);
    const now = Date.now();
    const ago = (minutes: number, i = 0) => new Date(now - minutes * 60_000 + i * 1000);
    // Three hours ago both merchants sold normally to returning cards.
    const normal = (minutesAgo: number) =>
      Array.from({ length: 20 }, (_, i) => ({
        at: ago(minutesAgo, i),
        approved: i % 10 !== 0,
        bin: '545454',
        last4: String(1000 + (i % 5)),
        ip: `198.51.100.${i % 5}`,
        minor: 4_500,
      }));
    for (const account of ['ShopA', 'ShopB'])
      expect((await postEvent(t, authorisations(account, normal(180)), { apiKey: tenant.apiKey })).statusCode).toBe(
        201,
      );
    // The last few minutes: ShopA is hit by 30 one-euro attempts on 30 new cards, most refused; ShopB keeps selling.
    const burst = Array.from({ length: 30 }, (_, i) => ({
      at: ago(4, i),
      approved: i % 6 === 0,
      bin: '411111',
      last4: String(2000 + i),
      ip: '203.0.113.66',
      minor: 100,
    }));
    expect((await postEvent(t, authorisations('ShopA', burst), { apiKey: tenant.apiKey })).statusCode).toBe(201);
    expect((await postEvent(t, authorisations('ShopB', normal(3)), { apiKey: tenant.apiKey })).statusCode).toBe(201);

    const run = await t.container.analytics.alerts.runOnce(new Date(now));
    expect(run.opened.filter((a) => a.tenant_id === tenant.tenantId).map((a) => [a.kind, a.subject])).toEqual([
      ['merchant_card_testing', 'merchant/ShopA'],
    ]);
    const listed = (await callApi(t, 'GET', '/v1/alerts?status=open', undefined, tenant.apiKey)).json().data;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      kind: 'merchant_card_testing',
      provider: null,
      severity: 'critical',
      message: expect.stringMatching(
        /^Card testing at merchant ShopA: \d+ failed attempts on new cards, .* of its 30 attempts/,
      ),
    });
    // 25 refused by the issuer, and any of the other 5 that risk itself declined.
    expect(listed[0].details).toMatchObject({
      merchant: 'ShopA',
      recent: { attempts: 30, newCards: 30 },
      baseline: { attempts: 20, failed: 2 },
    });
    expect(listed[0].details.recent.newCardFailures).toBeGreaterThanOrEqual(25);

    const delivered = received.find((r) => r.body.data.kind === 'merchant_card_testing');
    expect(delivered).toMatchObject({
      event: 'alert.opened',
      body: { type: 'alert.opened', data: { kind: 'merchant_card_testing', details: { merchant: 'ShopA' } } },
    });

    // An hour later the burst has left the recent window: the alert resolves.
    const later = await t.container.analytics.alerts.runOnce(new Date(now + 60 * 60_000));
    expect(later.resolved.filter((a) => a.tenant_id === tenant.tenantId).map((a) => a.kind)).toEqual([
      'merchant_card_testing',
    ]);
  });

  it('a fraud spike at one merchant (risk flags most of its payments) opens a merchant fraud-spike alert', async () => {
    const tenant = await t.newTenant(`fraud-spike-${store}`);
    expect((await callApi(t, 'PUT', '/v1/alerts/settings', quietSettings(url), tenant.apiKey)).statusCode).toBe(200);
    // Rules of this tenant's own: tickets of 900 USD or more go to review.
    const rules = {
      rules: [
        {
          id: 'big_ticket',
          feature: 'amount_usd',
          op: 'gte',
          value: 900,
          weight: 0.6,
          message: 'Ticket of 900 USD or more',
        },
      ],
      thresholds: { medium: 0.3, high: 0.5, critical: 0.8 },
    };
    expect((await callApi(t, 'PUT', '/v1/risk/rules', rules, tenant.apiKey)).statusCode).toBe(200);
    const now = Date.now();
    const score = (i: number, merchant: string, minutesAgo: number, dollars: number) => ({
      transactionId: `${merchant}-${minutesAgo}-${i}`,
      amount: { minor: dollars * 100, currency: 'USD' },
      customer: { id: `cus_${i % 6}` },
      card: { bin: '424242', last4: String(3000 + (i % 6)), country: 'US' },
      merchant: { id: merchant },
      occurredAt: new Date(now - minutesAgo * 60_000 + i * 1000).toISOString(),
    });
    const batch = (list: unknown[]) =>
      callApi(t, 'POST', '/v1/risk/score/batch', { transactions: list }, tenant.apiKey);
    expect((await batch(Array.from({ length: 60 }, (_, i) => score(i, 'ShopC', 240, 80)))).statusCode).toBe(200);
    const recent = await batch(Array.from({ length: 30 }, (_, i) => score(i, 'ShopC', 5, i % 3 === 0 ? 80 : 1_200)));
    expect(recent.json().results.filter((r: { decision: string }) => r.decision === 'review')).toHaveLength(20);

    const run = await t.container.analytics.alerts.runOnce(new Date(now));
    const mine = run.opened.filter((a) => a.tenant_id === tenant.tenantId);
    expect(mine.map((a) => [a.kind, a.subject])).toEqual([['merchant_fraud_spike', 'merchant/ShopC']]);
    expect(mine[0]!.message).toContain('risk flagged 66.7 % of its payments (baseline 0.0 %)');
    expect(received.some((r) => r.event === 'alert.opened' && r.body.data.kind === 'merchant_fraud_spike')).toBe(true);
    // Turned off, the detector neither opens nor keeps checking it.
    expect(
      (
        await callApi(
          t,
          'PUT',
          '/v1/alerts/settings',
          { ...quietSettings(url), merchantFraudSpike: { enabled: false } },
          tenant.apiKey,
        )
      ).json(),
    ).toMatchObject({
      merchantFraudSpike: { enabled: false },
      merchantCardTesting: { enabled: true, minFailures: 10 },
    });
  });
});
