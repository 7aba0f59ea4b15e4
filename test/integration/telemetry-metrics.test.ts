import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { callApi, createTestApp, postEvent, TEST_METRICS_TOKEN, type TestApp } from '../harness/app.js';
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

  it('labels nothing with a tenant, a key or a transaction', async () => {
    const text = await scrape();
    expect(text).not.toContain(t.tenantId);
    expect(text).not.toContain('tx_metrics_');
    expect(text).not.toContain('metrics@example.com');
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
