import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  charge,
  declinedCharge,
  stripeEvent,
} from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { createTestApp, type TestApp, postEvent } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

const ENCRYPTION_KEY = 'ab'.repeat(32);
const SECRET = 'whsec_alerts_0123456789';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback that fails the first request with 500 and accepts the rest. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = received.length === 1 ? 500 : 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/paylens`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function verify(received: Received, secret: string): boolean {
  const header = String(received.headers['paylens-signature']);
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  return createHmac('sha256', secret).update(`${match[1]}.${received.body}`).digest('hex') === match[2];
}

describe.each(storeKinds())('alerts on %s', (store) => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const headers = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });
  const post = (apiKey: string, payload: unknown) => postEvent(t, payload, { apiKey });
  const putSettings = (apiKey: string, body: unknown) =>
    t.app.inject({ method: 'PUT', url: '/v1/alerts/settings', headers: headers(apiKey), payload: body as object });
  const alerts = async (apiKey: string, query = '') =>
    (await t.app.inject({ method: 'GET', url: `/v1/alerts${query}`, headers: headers(apiKey) })).json().data;

  /** Charges that occurred `ageMinutes` ago. */
  async function charges(apiKey: string, approved: number, declined: number, ageMinutes: number): Promise<void> {
    const created = Math.floor(Date.now() / 1000) - ageMinutes * 60;
    for (let i = 0; i < approved; i += 1)
      expect((await post(apiKey, stripeEvent('charge.succeeded', charge({ created }), { created }))).statusCode).toBe(
        201,
      );
    for (let i = 0; i < declined; i += 1)
      expect(
        (
          await post(
            apiKey,
            stripeEvent('charge.failed', declinedCharge('insufficient_funds', { created }), { created }),
          )
        ).statusCode,
      ).toBe(201);
  }

  beforeAll(async () => {
    // The receiver listens on loopback over http, which only an operator's opt-in allows.
    t = await createTestApp(store, {
      PAYLENS_ENCRYPTION_KEY: ENCRYPTION_KEY,
      OUTBOUND_ALLOW_PRIVATE: 'true',
      OUTBOUND_ALLOW_HTTP: 'true',
    });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('settings: defaults, validation, replacement; the secret is never returned', async () => {
    const tenant = await t.newTenant(`settings-${store}`);
    const initial = await t.app.inject({ method: 'GET', url: '/v1/alerts/settings', headers: headers(tenant.apiKey) });
    expect(initial.statusCode).toBe(200);
    expect(initial.json()).toMatchObject({
      enabled: true,
      recentMinutes: 15,
      baselineMinutes: 1440,
      approvalDrop: { zThreshold: 3 },
      webhook: null,
    });

    expect((await putSettings(tenant.apiKey, { approvalDrop: { zThreshold: -1 } })).statusCode).toBe(422);
    expect(
      (await putSettings(tenant.apiKey, { webhook: { url: 'ftp://example.com', secret: SECRET } })).statusCode,
    ).toBe(422);
    expect((await putSettings(tenant.apiKey, { webhook: { url: receiver.url, secret: 'short' } })).statusCode).toBe(
      422,
    );

    const saved = await putSettings(tenant.apiKey, {
      recentMinutes: 10,
      backlog: { threshold: 7 },
      webhook: { url: receiver.url, secret: SECRET },
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({
      recentMinutes: 10,
      backlog: { enabled: true, threshold: 7 },
      approvalDrop: { minRecentAttempts: 50 },
      webhook: { url: receiver.url },
    });
    expect(JSON.stringify(saved.json())).not.toContain(SECRET);
    // Leaving the webhook out keeps it; null removes it.
    expect((await putSettings(tenant.apiKey, { recentMinutes: 20 })).json().webhook).toEqual({ url: receiver.url });
    expect((await putSettings(tenant.apiKey, { webhook: null })).json().webhook).toBeNull();
    // Another tenant still has the defaults.
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/alerts/settings', headers: headers(t.apiKey) })).json()
        .recentMinutes,
    ).toBe(15);
  });

  it('opens approval-drop and failure-spike alerts once, delivers signed webhooks with retries, resolves when the rate recovers', async () => {
    const tenant = await t.newTenant(`drop-${store}`);
    const settings = {
      approvalDrop: { minRecentAttempts: 10, minBaselineAttempts: 20 },
      failureSpike: { minRecentCount: 5, minRecentAttempts: 10 },
      backlog: { enabled: false },
      webhook: { url: receiver.url, secret: SECRET },
    };
    expect((await putSettings(tenant.apiKey, settings)).statusCode).toBe(200);
    await charges(tenant.apiKey, 27, 3, 180); // baseline, 3 h ago: 90 % approved
    await charges(tenant.apiKey, 2, 12, 3); // the last few minutes: 14 % approved

    const now = new Date();
    const first = await t.container.analytics.alerts.runOnce(now);
    const mine = first.opened.filter((a) => a.tenant_id === tenant.tenantId);
    expect(mine.map((a) => [a.kind, a.subject]).sort()).toEqual([
      ['approval_rate_drop', 'stripe'],
      ['failure_reason_spike', 'stripe/insufficient_funds'],
    ]);
    const open = await alerts(tenant.apiKey, '?status=open');
    expect(open).toHaveLength(2);
    const drop = open.find((a: { kind: string }) => a.kind === 'approval_rate_drop');
    expect(drop).toMatchObject({
      provider: 'stripe',
      status: 'open',
      severity: 'critical',
      resolvedAt: null,
      message: expect.stringContaining('stripe approval rate'),
    });
    expect(drop.details).toMatchObject({
      recent: { approved: 2, attempted: 14 },
      baseline: { approved: 27, attempted: 30 },
    });

    // Still failing: no duplicates while open.
    const again = await t.container.analytics.alerts.runOnce(new Date(now.getTime() + 31_000));
    expect(again.opened.filter((a) => a.tenant_id === tenant.tenantId)).toHaveLength(0);
    expect(await alerts(tenant.apiKey)).toHaveLength(2);

    // Two deliveries: the very first request got a 500 and was retried 30 s later.
    expect(receiver.received).toHaveLength(3);
    for (const request of receiver.received) {
      expect(verify(request, SECRET)).toBe(true);
      expect(verify(request, 'another-secret-1234')).toBe(false);
    }
    const bodies = receiver.received.map((r) => JSON.parse(r.body));
    expect(bodies[0]).toEqual(bodies[2]);
    expect(bodies.map((b) => b.type)).toEqual(['alert.opened', 'alert.opened', 'alert.opened']);
    expect(bodies[0].data).toMatchObject({ status: 'open', provider: 'stripe' });

    const deliveries = (
      await t.app.inject({ method: 'GET', url: '/v1/alerts/deliveries', headers: headers(tenant.apiKey) })
    ).json().data;
    expect(deliveries).toHaveLength(2);
    const retried = deliveries.find((d: { attempts: number }) => d.attempts === 2);
    expect(retried).toMatchObject({
      status: 'delivered',
      lastStatusCode: 200,
      url: receiver.url,
      event: 'alert.opened',
      nextAttemptAt: null,
    });
    expect(retried.log.map((l: { statusCode: number }) => l.statusCode)).toEqual([500, 200]);
    expect(retried.payload).toBe(receiver.received[2]!.body);

    const resend = await t.app.inject({
      method: 'POST',
      url: `/v1/alerts/deliveries/${retried.id}/resend`,
      headers: headers(tenant.apiKey),
    });
    expect(resend.statusCode).toBe(200);
    expect(resend.json()).toMatchObject({ id: retried.id, attempts: 3, status: 'delivered' });
    expect(receiver.received).toHaveLength(4);
    expect(receiver.received[3]!.body).toBe(retried.payload);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/v1/alerts/deliveries/${retried.id}/resend`,
          headers: headers(t.apiKey),
        })
      ).statusCode,
    ).toBe(404);

    // Recovery: plenty of approvals now; both conditions clear.
    await charges(tenant.apiKey, 60, 0, 1);
    const recovered = await t.container.analytics.alerts.runOnce(new Date());
    expect(
      recovered.resolved
        .filter((a) => a.tenant_id === tenant.tenantId)
        .map((a) => a.kind)
        .sort(),
    ).toEqual(['approval_rate_drop', 'failure_reason_spike']);
    const after = await alerts(tenant.apiKey);
    expect(
      after.every(
        (a: { status: string; resolvedAt: string | null }) => a.status === 'resolved' && a.resolvedAt !== null,
      ),
    ).toBe(true);
    expect(JSON.parse(receiver.received.at(-1)!.body).type).toBe('alert.resolved');
    expect(await alerts(t.apiKey)).toEqual([]);
  });

  it('opens a backlog alert when unprocessed events pile up and keep rising', async () => {
    const tenant = await t.newTenant(`backlog-${store}`);
    await putSettings(tenant.apiKey, {
      approvalDrop: { enabled: false },
      failureSpike: { enabled: false },
      backlog: { threshold: 3 },
    });
    const unknown = async (n: number) => {
      for (let i = 0; i < n; i += 1)
        expect(
          (await post(tenant.apiKey, { mystery: `payload-${store}-${Math.random()}` })).json().rawEvent.status,
        ).toBe('unprocessed');
    };
    const run = async () =>
      (await t.container.analytics.alerts.runOnce(new Date())).opened.filter((a) => a.tenant_id === tenant.tenantId);
    await unknown(3);
    expect(await run()).toHaveLength(0); // above the threshold but no trend yet
    await unknown(1);
    const [opened] = await run();
    expect(opened).toMatchObject({
      kind: 'backlog_growing',
      provider: null,
      details: { unprocessed: 4, previous: 3, threshold: 3 },
    });
    expect(await run()).toHaveLength(0); // not rising any more, but still open and not duplicated
    expect(await alerts(tenant.apiKey, '?status=open')).toHaveLength(1);

    await putSettings(tenant.apiKey, {
      approvalDrop: { enabled: false },
      failureSpike: { enabled: false },
      backlog: { threshold: 50 },
    });
    await run();
    expect(await alerts(tenant.apiKey, '?status=resolved')).toMatchObject([
      { kind: 'backlog_growing', status: 'resolved' },
    ]);
  });

  it('documents the alert routes in OpenAPI', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(spec.paths['/v1/alerts']?.get).toBeDefined();
    expect(spec.paths['/v1/alerts/settings']?.put).toBeDefined();
    expect(spec.paths['/v1/alerts/deliveries/{id}/resend']?.post).toBeDefined();
  });
});

describe('alerts past the minute-rollup retention', () => {
  it('reads a baseline that starts before the minute horizon from the hour, as the analytics queries do', async () => {
    const t = await createTestApp('pglite', { ROLLUP_MINUTE_RETENTION_DAYS: '1' });
    try {
      const HOUR = 3_600_000;
      const now = new Date();
      const oldHour = Math.floor((now.getTime() - 3 * 86_400_000) / HOUR) * HOUR;
      const post = (payload: unknown) => postEvent(t, payload).then((r) => expect(r.statusCode).toBe(201));
      // 20 approvals 40 minutes into an hour three days ago; 10 declines a minute ago.
      const old = Math.floor((oldHour + 40 * 60_000) / 1000);
      for (let i = 0; i < 20; i++)
        await post(stripeEvent('charge.succeeded', charge({ created: old }), { created: old }));
      const recent = Math.floor(now.getTime() / 1000) - 60;
      for (let i = 0; i < 10; i++)
        await post(
          stripeEvent('charge.failed', declinedCharge('insufficient_funds', { created: recent }), { created: recent }),
        );
      expect(await t.container.analytics.retention.runOnce()).toBeGreaterThan(0);

      // The baseline asked for starts 20 minutes into that hour, where only the hour rollup is left.
      const recentStart = Math.ceil((now.getTime() + 1) / 60_000) * 60_000 - 15 * 60_000;
      const settings = {
        recentMinutes: 15,
        baselineMinutes: (recentStart - (oldHour + 20 * 60_000)) / 60_000,
        approvalDrop: { minRecentAttempts: 5, minBaselineAttempts: 10, zThreshold: 1, minDrop: 0.1 },
        failureSpike: { enabled: false },
        backlog: { enabled: false },
      };
      expect(
        (
          await t.app.inject({
            method: 'PUT',
            url: '/v1/alerts/settings',
            headers: { authorization: `Bearer ${t.apiKey}` },
            payload: settings,
          })
        ).statusCode,
      ).toBe(200);
      const { opened } = await t.container.analytics.alerts.runOnce(now);
      expect(
        opened.map((a) => [a.kind, (a.details as { baseline: { attempted: number } }).baseline.attempted]),
      ).toEqual([['approval_rate_drop', 20]]);
    } finally {
      await t.close();
    }
    // Makes its own embedded store (a PGlite start and migration) inside the test: slow on a loaded machine.
  }, 120_000);
});
