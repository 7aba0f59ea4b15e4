import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { lagColumns } from '../../src/modules/analytics/lag-histogram.js';
import { rollupSelectFromEvents, slicesSelectFromCube } from '../../src/modules/analytics/rollup.repository.js';
import {
  charge,
  declinedCharge,
  stripeEvent,
} from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { createTestApp, postEvent, appForSuite } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

const HOUR = 3_600_000;

const counterColumns: readonly string[] = ['count', 'usd_count', 'volume_usd_minor', ...lagColumns];

/**
 * A rollup table's rows of one tenant with its shards summed, keyed like `reference` (the same fold
 * computed from the events): what every reader sees.
 */
function summedOverShards(
  table: 'analytics_rollups' | 'analytics_slices',
  reference: readonly Record<string, unknown>[],
  tenantId: string,
) {
  const keys = Object.keys(reference[0] ?? {}).filter((column) => !counterColumns.includes(column));
  const sums = counterColumns.map((c) => `sum(${c})::bigint AS ${c}`);
  return sql<Record<string, unknown>>`SELECT ${sql.raw([...keys, ...sums].join(', '))} FROM ${sql.table(table)}
    WHERE tenant_id = ${tenantId} GROUP BY ${sql.raw(keys.join(', '))}`;
}
const declineCodes = [
  'insufficient_funds',
  'do_not_honor',
  'expired_card',
  'invalid_expiry_month',
  'fraudulent',
  'processing_error',
];
const currencies = ['usd', 'eur', 'gbp', 'jpy', 'brl'];
const countries = ['US', 'DE', 'BR', 'gb', null];
const brands = ['visa', 'Mastercard', 'amex', null];

interface Spec {
  outcome: 'succeeded' | 'failed' | 'pending' | 'refunded';
  decline: string;
  amount: number;
  currency: string;
  country: string | null;
  brand: string | null;
  /** Seconds before the reference time the event occurred. */
  ageSeconds: number;
  /** 0: once; 1: posted again afterwards (replay); 2: posted 3× concurrently (duplicates). */
  repeat: 0 | 1 | 2;
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  outcome: fc.constantFrom('succeeded', 'failed', 'failed', 'pending', 'refunded'),
  decline: fc.constantFrom(...declineCodes),
  amount: fc.integer({ min: 1, max: 500_000 }),
  currency: fc.constantFrom(...currencies),
  country: fc.constantFrom(...countries),
  brand: fc.constantFrom(...brands),
  ageSeconds: fc.integer({ min: 0, max: 3 * 86_400 }),
  repeat: fc.constantFrom(0, 0, 1, 2),
});

function eventFor(spec: Spec, reference: number): Record<string, unknown> {
  const created = Math.floor(reference / 1000) - spec.ageSeconds;
  const cardDetails = { brand: spec.brand, country: spec.country, last4: '4242', funding: 'credit' };
  const base = {
    amount: spec.amount,
    currency: spec.currency,
    created,
    payment_method_details: { type: 'card', card: cardDetails },
  };
  const object =
    spec.outcome === 'failed'
      ? declinedCharge(spec.decline, base)
      : charge({ ...base, ...(spec.outcome === 'pending' ? { status: 'pending', paid: false } : {}) });
  return stripeEvent(`charge.${spec.outcome}`, object, { created });
}

describe.each(storeKinds())('analytics API on %s', (store) => {
  const get = (url: string, apiKey = t.apiKey) =>
    t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${apiKey}` } });
  const post = (payload: unknown, apiKey = t.apiKey) => postEvent(t, payload, { apiKey });

  async function ingest(specs: Spec[], reference: number, apiKey = t.apiKey): Promise<void> {
    for (const spec of specs) {
      const event = eventFor(spec, reference);
      if (spec.repeat === 2) {
        const responses = await Promise.all([post(event, apiKey), post(event, apiKey), post(event, apiKey)]);
        expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 201]);
      } else {
        expect((await post(event, apiKey)).statusCode).toBe(201);
        if (spec.repeat === 1) expect((await post(event, apiKey)).statusCode).toBe(200);
      }
    }
  }

  /** The counts straight from payment_events, the ground truth the rollups must equal. */
  async function direct(tenantId: string, from: Date, to: Date) {
    const { rows } = await sql<{ status: string; n: string | number; usd: string | number | null }>`
      select status, count(*) as n, sum(amount_usd_minor) as usd from payment_events
      where tenant_id = ${tenantId} and occurred_at >= ${from} and occurred_at < ${to} group by status`.execute(
      t.container.db,
    );
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    return {
      byStatus,
      count: rows.reduce((s, r) => s + Number(r.n), 0),
      volume: rows.reduce((s, r) => s + Number(r.usd ?? 0), 0),
    };
  }

  const t = appForSuite(store);

  it('rollups always equal a direct count over payment_events, through ingests, replays and duplicates', async () => {
    const tenant = await t.newTenant(`prop-${store}`);
    const reference = Date.now();
    const wide = { from: new Date(reference - 4 * 86_400_000), to: new Date(reference + 60_000) };
    await fc.assert(
      fc.asyncProperty(
        fc.array(specArb, { minLength: 5, maxLength: 25 }),
        fc.integer({ min: 0, max: 4 * 24 * 60 }),
        fc.integer({ min: 1, max: 3 * 24 * 60 }),
        async (specs, startMinute, lengthMinutes) => {
          await ingest(specs, reference, tenant.apiKey);

          // Every rollup row, at every granularity, equals the same fold computed from the stored events.
          const expected = await sql<
            Record<string, unknown>
          >`${rollupSelectFromEvents(sql`tenant_id = ${tenant.tenantId}`)}`.execute(t.container.db);
          const actual = await summedOverShards('analytics_rollups', expected.rows, tenant.tenantId).execute(
            t.container.db,
          );
          const normalize = (rows: Record<string, unknown>[]) =>
            rows
              .map((r) =>
                Object.fromEntries(
                  Object.entries(r)
                    .sort(([a], [b]) => (a < b ? -1 : 1))
                    .map(([k, v]) => [
                      k,
                      v instanceof Date ? v.toISOString() : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v,
                    ]),
                ),
              )
              .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
          expect(normalize(actual.rows)).toEqual(normalize(expected.rows));
          // And every one-dimension slice equals the cube cut along that dimension.
          const expectedSlices = await sql<
            Record<string, unknown>
          >`${slicesSelectFromCube(sql`tenant_id = ${tenant.tenantId}`)}`.execute(t.container.db);
          const actualSlices = await summedOverShards('analytics_slices', expectedSlices.rows, tenant.tenantId).execute(
            t.container.db,
          );
          expect(actualSlices.rows.length).toBeGreaterThan(0);
          expect(normalize(actualSlices.rows)).toEqual(normalize(expectedSlices.rows));

          // The API over the whole span and over a random minute-aligned window (days, hours and minutes mixed).
          const windowFrom = new Date(Math.floor((wide.from.getTime() + startMinute * 60_000) / 60_000) * 60_000);
          const windowTo = new Date(windowFrom.getTime() + lengthMinutes * 60_000);
          for (const [from, to] of [
            [wide.from, new Date(Math.ceil(wide.to.getTime() / 60_000) * 60_000)],
            [windowFrom, windowTo],
          ] as const) {
            const res = await get(
              `/v1/analytics/summary?from=${from.toISOString()}&to=${to.toISOString()}`,
              tenant.apiKey,
            );
            expect(res.statusCode).toBe(200);
            const summary = res.json();
            const truth = await direct(tenant.tenantId, from, to);
            expect(summary.count).toBe(truth.count);
            expect(summary.volumeUsdMinor).toBe(truth.volume);
            for (const [status, n] of Object.entries(summary.byStatus)) expect(n).toBe(truth.byStatus[status] ?? 0);
          }

          const { rows: byCurrency } = await sql<{ currency: string; n: number | string }>`
          select currency, count(*) as n from payment_events where tenant_id = ${tenant.tenantId} group by currency`.execute(
            t.container.db,
          );
          const series = await get(
            `/v1/analytics/timeseries?metric=count&interval=day&groupBy=currency&from=${wide.from.toISOString()}&to=${wide.to.toISOString()}`,
            tenant.apiKey,
          );
          expect(series.statusCode).toBe(200);
          const totals = Object.fromEntries(
            series
              .json()
              .series.map((s: { key: string; points: { value: number }[] }) => [
                s.key,
                s.points.reduce((a, p) => a + p.value, 0),
              ]),
          );
          expect(totals).toEqual(Object.fromEntries(byCurrency.map((r) => [r.currency, Number(r.n)])));

          // A provider filter with another group-by is answered from the full cube.
          const { rows: byBrand } = await sql<{ brand: string | null; n: number | string }>`
          select lower(card->>'brand') as brand, count(*) as n from payment_events where tenant_id = ${tenant.tenantId} group by 1`.execute(
            t.container.db,
          );
          const brandSeries = await get(
            `/v1/analytics/timeseries?metric=count&interval=day&groupBy=cardBrand&provider=stripe&from=${wide.from.toISOString()}&to=${wide.to.toISOString()}`,
            tenant.apiKey,
          );
          expect(
            Object.fromEntries(
              brandSeries
                .json()
                .series.map((s: { key: string | null; points: { value: number }[] }) => [
                  String(s.key),
                  s.points.reduce((a, p) => a + p.value, 0),
                ]),
            ),
          ).toEqual(Object.fromEntries(byBrand.map((r) => [String(r.brand), Number(r.n)])));

          const { rows: reasons } = await sql<{ reason: string; n: number | string }>`
          select failure_reason as reason, count(*) as n from payment_events where tenant_id = ${tenant.tenantId} and failure_reason is not null group by 1`.execute(
            t.container.db,
          );
          for (const query of ['', '&provider=stripe']) {
            const failures = (
              await get(
                `/v1/analytics/failure-reasons?from=${wide.from.toISOString()}&to=${wide.to.toISOString()}${query}`,
                tenant.apiKey,
              )
            ).json().data;
            expect(
              Object.fromEntries(failures.map((f: { reason: string; count: number }) => [f.reason, f.count])),
            ).toEqual(Object.fromEntries(reasons.map((r) => [r.reason, Number(r.n)])));
          }
        },
      ),
      { numRuns: 4, seed: 20261124, endOnFailure: true },
    );
  });

  it('summary: approval rate, USD volume, average ticket, lag percentiles, risk decision mix, provider filter', async () => {
    const tenant = await t.newTenant(`summary-${store}`);
    const now = Date.now();
    const spec = (outcome: Spec['outcome'], amount: number): Spec => ({
      outcome,
      decline: 'insufficient_funds',
      amount,
      currency: 'usd',
      country: 'US',
      brand: 'visa',
      ageSeconds: 120,
      repeat: 0,
    });
    await ingest(
      [spec('succeeded', 1000), spec('succeeded', 3000), spec('failed', 2000), spec('pending', 500)],
      now,
      tenant.apiKey,
    );

    const res = await get('/v1/analytics/summary', tenant.apiKey);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ count: 4, approvalRate: 2 / 3, volumeUsdMinor: 6500, averageTicketUsdMinor: 1625 });
    expect(body.byStatus).toMatchObject({ approved: 2, declined: 1, pending: 1, refunded: 0 });
    // Every event arrived ~120 s after it occurred: the 60–300 s histogram bucket.
    expect(body.ingestionLagMs.p50).toBeGreaterThanOrEqual(60_000);
    expect(body.ingestionLagMs.p95).toBeLessThanOrEqual(300_000);
    const { rows } = await sql<{ decision: string; n: number | string }>`
      select risk->>'decision' as decision, count(*) as n from payment_events where tenant_id = ${tenant.tenantId} and risk is not null group by 1`.execute(
      t.container.db,
    );
    const expectedRisk = {
      approve: 0,
      review: 0,
      decline: 0,
      ...Object.fromEntries(rows.map((r) => [r.decision, Number(r.n)])),
    };
    expect(body.riskDecisions).toEqual(expectedRisk);

    expect((await get('/v1/analytics/summary?provider=adyen', tenant.apiKey)).json()).toMatchObject({
      count: 0,
      approvalRate: null,
      averageTicketUsdMinor: null,
      ingestionLagMs: { p50: null, p95: null },
    });
    expect((await get('/v1/analytics/summary?provider=adyen&provider=stripe', tenant.apiKey)).json().count).toBe(4);
    // Tenant-scoped: the first tenant sees none of these.
    const other = await get(`/v1/analytics/summary?from=${new Date(now - 3 * HOUR).toISOString()}`);
    expect(other.json().count).toBe(0);
  });

  it('timeseries: dense buckets at the asked interval, approval rate per group', async () => {
    const tenant = await t.newTenant(`series-${store}`);
    const now = Date.now();
    const hourStart = Math.floor(now / HOUR) * HOUR;
    const mk = (outcome: Spec['outcome'], brand: string, ageSeconds: number): Spec => ({
      outcome,
      decline: 'do_not_honor',
      amount: 1000,
      currency: 'usd',
      country: 'US',
      brand,
      ageSeconds,
      repeat: 0,
    });
    // Anchor ages to the hour grid: two hours back and the current hour.
    const ageOf = (hoursBack: number) => Math.floor((now - (hourStart - hoursBack * HOUR + 60_000)) / 1000);
    await ingest(
      [mk('succeeded', 'visa', ageOf(2)), mk('failed', 'visa', ageOf(2)), mk('succeeded', 'amex', ageOf(0))],
      now,
      tenant.apiKey,
    );

    const from = new Date(hourStart - 2 * HOUR).toISOString();
    const to = new Date(hourStart + HOUR).toISOString();
    const res = await get(
      `/v1/analytics/timeseries?metric=approval_rate&interval=hour&groupBy=cardBrand&from=${from}&to=${to}`,
      tenant.apiKey,
    );
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ metric: 'approval_rate', interval: 'hour', groupBy: 'cardBrand', from, to });
    const byKey = Object.fromEntries(
      body.series.map((s: { key: string; points: { value: number | null }[] }) => [
        s.key,
        s.points.map((p) => p.value),
      ]),
    );
    expect(byKey).toEqual({ amex: [null, null, 1], visa: [0.5, null, null] });

    const volume = await get(
      `/v1/analytics/timeseries?metric=volume_usd&interval=hour&from=${from}&to=${to}`,
      tenant.apiKey,
    );
    expect(volume.json().series).toEqual([
      {
        key: 'all',
        points: [0, 1, 2].map((i) => ({
          t: new Date(hourStart - (2 - i) * HOUR).toISOString(),
          value: i === 0 ? 2000 : i === 2 ? 1000 : 0,
        })),
      },
    ]);
  });

  it('failure reasons: counts, shares and the most common decline type', async () => {
    const tenant = await t.newTenant(`reasons-${store}`);
    const mk = (decline: string): Spec => ({
      outcome: 'failed',
      decline,
      amount: 1000,
      currency: 'eur',
      country: 'DE',
      brand: 'visa',
      ageSeconds: 60,
      repeat: 0,
    });
    // expired_card is hard; invalid_expiry_month maps to expired_card too but soft.
    await ingest(
      [mk('expired_card'), mk('expired_card'), mk('invalid_expiry_month'), mk('insufficient_funds')],
      Date.now(),
      tenant.apiKey,
    );
    const res = await get('/v1/analytics/failure-reasons', tenant.apiKey);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      data: [
        { reason: 'expired_card', count: 3, share: 0.75, declineType: 'hard' },
        { reason: 'insufficient_funds', count: 1, share: 0.25, declineType: 'soft' },
      ],
    });
    expect((await get('/v1/analytics/failure-reasons?provider=paypal', tenant.apiKey)).json()).toEqual({ data: [] });

    const provider = await get('/v1/analytics/providers/stripe', tenant.apiKey);
    expect(provider.statusCode).toBe(200);
    const view = provider.json();
    expect(view.provider).toBe('stripe');
    expect(view.summary).toMatchObject({ count: 4, approvalRate: 0 });
    expect(view.failureReasons.map((r: { reason: string }) => r.reason)).toEqual([
      'expired_card',
      'insufficient_funds',
    ]);
    expect(view.approvalRate).toMatchObject({ metric: 'approval_rate', interval: 'hour' });
    expect(view.approvalRate.series[0].points).toHaveLength(25);
  });

  it('rejects bad parameters with 422 problem details', async () => {
    for (const url of [
      '/v1/analytics/timeseries?metric=profit',
      '/v1/analytics/timeseries?interval=week',
      '/v1/analytics/timeseries?groupBy=merchant',
      '/v1/analytics/summary?from=yesterday',
      '/v1/analytics/summary?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      '/v1/analytics/timeseries?interval=minute&from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(422);
      expect(res.json().code).toBe('validation_failed');
    }
    expect((await t.app.inject({ method: 'GET', url: '/v1/analytics/summary' })).statusCode).toBe(401);
  });

  it('prunes minute rollups past the retention; older windows then resolve to the hour, still exact', async () => {
    const short = await createTestApp(store, { ROLLUP_MINUTE_RETENTION_DAYS: '1' });
    try {
      const now = Date.now();
      const oldHour = Math.floor((now - 3 * 86_400_000) / HOUR) * HOUR;
      const spec = (ageSeconds: number): Spec => ({
        outcome: 'succeeded',
        decline: 'do_not_honor',
        amount: 1000,
        currency: 'usd',
        country: 'US',
        brand: 'visa',
        ageSeconds,
        repeat: 0,
      });
      const ageAt = (time: number) => Math.floor((now - time) / 1000);
      for (const s of [spec(ageAt(oldHour + 10 * 60_000)), spec(ageAt(oldHour + 40 * 60_000)), spec(120)]) {
        expect((await postEvent(short, eventFor(s, now))).statusCode).toBe(201);
      }
      const minuteRows = async (before: number) => {
        const { rows } = await sql<{ n: string | number }>`
          select (select count(*) from analytics_rollups where tenant_id = ${short.tenantId} and granularity = 'minute' and bucket < ${new Date(before)})
               + (select count(*) from analytics_slices where tenant_id = ${short.tenantId} and granularity = 'minute' and bucket < ${new Date(before)}) as n`.execute(
          short.container.db,
        );
        return Number(rows[0]!.n);
      };
      const horizon = short.container.analytics.retention.minuteHorizon();
      expect(horizon % HOUR).toBe(0);
      expect(await minuteRows(horizon)).toBeGreaterThan(0);
      expect(await short.container.analytics.retention.runOnce()).toBeGreaterThan(0);
      expect(await minuteRows(horizon)).toBe(0);
      expect(await minuteRows(now + HOUR)).toBeGreaterThan(0);

      const at = (time: number) => new Date(time).toISOString();
      const query = `from=${at(oldHour + 5 * 60_000)}&to=${at(oldHour + 35 * 60_000)}`;
      const old = (
        await short.app.inject({
          method: 'GET',
          url: `/v1/analytics/summary?${query}`,
          headers: { authorization: `Bearer ${short.apiKey}` },
        })
      ).json();
      // Widened outward to the hour the rollups still hold, and reported as such: both events count.
      expect(old).toMatchObject({ from: at(oldHour), to: at(oldHour + HOUR), count: 2, volumeUsdMinor: 2000 });
      const minutes = await short.app.inject({
        method: 'GET',
        url: `/v1/analytics/timeseries?interval=minute&${query}`,
        headers: { authorization: `Bearer ${short.apiKey}` },
      });
      expect(minutes.statusCode).toBe(422);
      expect(minutes.json().detail).toContain('interval=hour');
      const hours = (
        await short.app.inject({
          method: 'GET',
          url: `/v1/analytics/timeseries?interval=hour&${query}`,
          headers: { authorization: `Bearer ${short.apiKey}` },
        })
      ).json();
      expect(hours.series[0].points).toEqual([{ t: at(oldHour), value: 2 }]);
      // Recent windows keep minute resolution.
      const recentFrom = Math.floor((now - 30 * 60_000) / 60_000) * 60_000 + 17_000;
      const recent = (
        await short.app.inject({
          method: 'GET',
          url: `/v1/analytics/summary?from=${at(recentFrom)}`,
          headers: { authorization: `Bearer ${short.apiKey}` },
        })
      ).json();
      expect(recent).toMatchObject({ from: at(recentFrom - 17_000), count: 1 });
    } finally {
      await short.close();
    }
  });

  it('documents the analytics routes in OpenAPI', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const path of [
      '/v1/analytics/summary',
      '/v1/analytics/timeseries',
      '/v1/analytics/failure-reasons',
      '/v1/analytics/providers/{provider}',
    ]) {
      expect(spec.paths[path]?.get, path).toBeDefined();
    }
  });
});
