import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { appForSuite, callApi, createTestApp, postEvent, TEST_METRICS_TOKEN, type TestApp } from '../harness/app.js';
import { harnessRedisUrl } from '../harness/stores.js';

/** The value of one sample line of the exposition text, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',');
    if (wanted.every((w) => have.includes(w))) return Number(match[3]);
  }
  return 0;
}

describe('Prometheus metrics of scoring, caches and Redis', { tags: ['redis'] }, () => {
  let t: TestApp;
  const scrape = async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
    });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    t = await createTestApp('pglite', { REDIS_URL: harnessRedisUrl() });
  }, 170_000);
  afterAll(async () => {
    await t?.close();
  });

  it('counts every verdict by decision and source and buckets its score', async () => {
    const before = await scrape();
    const transaction = (n: number) => ({
      transactionId: `tx_metrics_${n}`,
      amount: { minor: 2500, currency: 'USD' },
      customer: { email: 'metrics@example.com' },
      card: { bin: '424242', last4: '4242', country: 'US' },
      ip: '198.51.100.7',
      ipCountry: 'US',
      occurredAt: new Date().toISOString(),
    });
    const verdicts: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await callApi(t, 'POST', '/v1/risk/score', transaction(n));
      expect(res.statusCode).toBe(200);
      verdicts.push((res.json() as { decision: string }).decision);
    }
    expect((await postEvent(t, stripeEvent('charge.succeeded', charge()))).statusCode).toBe(201);

    const after = await scrape();
    for (const decision of new Set(verdicts)) {
      const counted = verdicts.filter((d) => d === decision).length;
      expect(
        sample(after, 'paylens_risk_decisions_total', { decision, source: 'api' }) -
          sample(before, 'paylens_risk_decisions_total', { decision, source: 'api' }),
      ).toBe(counted);
    }
    expect(
      sample(after, 'paylens_risk_score_count', { source: 'api' }) -
        sample(before, 'paylens_risk_score_count', { source: 'api' }),
    ).toBe(3);
    // The ingested charge was scored inline, under source="ingest".
    expect(sample(after, 'paylens_risk_score_count', { source: 'ingest' })).toBe(
      sample(before, 'paylens_risk_score_count', { source: 'ingest' }) + 1,
    );
    // Every score is in [0, 1]: the le="1" bucket holds them all.
    expect(sample(after, 'paylens_risk_score_bucket', { source: 'api', le: '1' })).toBe(
      sample(after, 'paylens_risk_score_count', { source: 'api' }),
    );
  });

  it('times Redis commands by command from ioredis’s tracing channel', async () => {
    const before = await scrape();
    expect((await callApi(t, 'POST', '/v1/risk/score', { ...minimal(), transactionId: 'tx_redis_1' })).statusCode).toBe(
      200,
    );
    const after = await scrape();
    const commands = (text: string) =>
      [...text.matchAll(/^paylens_redis_command_duration_seconds_count\{([^}]*)\} (\S+)$/gm)].reduce(
        (sum, m) => sum + Number(m[2]),
        0,
      );
    // Scoring observes velocity in Redis: at least one more command timed.
    expect(commands(after)).toBeGreaterThan(commands(before));
    for (const [, labels] of after.matchAll(/^paylens_redis_command_duration_seconds_count\{([^}]*)\}/gm))
      expect(labels).toMatch(/^command="[a-z]+",outcome="(ok|error)"$/);
  });

  it('counts each cache lookup on the request path as a hit or a miss', async () => {
    const lookups = (text: string, cache: string) => ({
      hit: sample(text, 'paylens_cache_requests_total', { cache, result: 'hit' }),
      miss: sample(text, 'paylens_cache_requests_total', { cache, result: 'miss' }),
    });
    const delta = (before: string, after: string, cache: string) => {
      const [b, a] = [lookups(before, cache), lookups(after, cache)];
      return { hit: a.hit - b.hit, miss: a.miss - b.miss };
    };
    const before = await scrape();
    // A well-formed key nobody issued: read from the database once, then answered (refused) from the cache.
    const unknownKey = `pl_${randomBytes(32).toString('base64url')}`;
    for (const _ of [1, 2]) expect((await callApi(t, 'GET', '/v1/events', undefined, unknownKey)).statusCode).toBe(401);
    // A tenant's first score loads its rules and lists; its second finds them cached.
    const fresh = await t.newTenant('cache-metrics');
    for (const n of [1, 2])
      expect(
        (await callApi(t, 'POST', '/v1/risk/score', { ...minimal(), transactionId: `tx_cache_${n}` }, fresh.apiKey))
          .statusCode,
      ).toBe(200);
    // A webhook endpoint that does not exist is remembered as absent too.
    for (const _ of [1, 2])
      expect(
        (
          await t.app.inject({
            method: 'POST',
            url: '/v1/webhooks/stripe/whe_missing_for_metrics',
            headers: { 'content-type': 'application/json' },
            payload: '{}',
          })
        ).statusCode,
      ).toBe(404);
    const after = await scrape();
    // The fresh tenant's key was issued after the last lookup of it: its first request misses too.
    expect(delta(before, after, 'api_key')).toEqual({ hit: 2, miss: 2 });
    expect(delta(before, after, 'risk_config')).toEqual({ hit: 1, miss: 1 });
    expect(delta(before, after, 'webhook_endpoint')).toEqual({ hit: 1, miss: 1 });
    // With Redis the velocity history is not in process memory: no key gauge.
    expect(after).not.toMatch(/^paylens_velocity_active_keys\{/m);
  });

  it('labels nothing with a tenant, a key or a transaction', async () => {
    const text = await scrape();
    expect(text).not.toContain(t.tenantId);
    expect(text).not.toContain('tx_metrics_');
    expect(text).not.toContain('metrics@example.com');
  });
});

describe('Prometheus metrics of the in-process velocity store', () => {
  const t = appForSuite('pglite');
  const scrape = async () =>
    (await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } }))
      .body;
  const score = async (n: number, email: string) =>
    expect(
      (await callApi(t, 'POST', '/v1/risk/score', { ...minimal(), customer: { email }, transactionId: `tx_keys_${n}` }))
        .statusCode,
    ).toBe(200);

  it('reports the keys it holds against the most it holds before evicting', async () => {
    const held = async () => sample(await scrape(), 'paylens_velocity_active_keys', { store: 'memory' });
    expect(sample(await scrape(), 'paylens_velocity_max_keys', { store: 'memory' })).toBe(1_000_000);
    const empty = await held();
    await score(1, 'first@example.com');
    const one = await held();
    expect(one).toBeGreaterThan(empty);
    // The same customer and IP again: no new key.
    await score(2, 'first@example.com');
    expect(await held()).toBe(one);
    // Another customer from the same IP: exactly one more key (the customer's; the IP's is held already).
    await score(3, 'second@example.com');
    expect(await held()).toBe(one + 1);
  });
});

function minimal() {
  return {
    amount: { minor: 1000, currency: 'USD' },
    customer: { email: 'redis@example.com' },
    ip: '198.51.100.8',
    occurredAt: new Date().toISOString(),
  };
}
