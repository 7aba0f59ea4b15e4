import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  LABEL_SETTLE_DAYS,
  noLabelRisk,
  type LabelRiskStore,
  type MerchantTransaction,
} from '../../src/modules/risk/velocity/label-risk-store.js';
import { MemoryLabelRiskStore } from '../../src/modules/risk/velocity/memory-label-risk.store.js';
import { RedisLabelRiskStore } from '../../src/modules/risk/velocity/redis-label-risk.store.js';
import { DAY_MS, HOUR_MS } from '../../src/modules/risk/velocity/velocity-store.js';
import { standaloneRedis } from '../harness/redis-topologies.js';

type Factory = { name: string; create: () => LabelRiskStore };

function factories(): Factory[] {
  const list: Factory[] = [{ name: 'memory', create: () => new MemoryLabelRiskStore() }];
  const redisUrl = inject('redisUrl');
  if (redisUrl)
    list.push({
      name: 'redis',
      create: () => RedisLabelRiskStore.connect(standaloneRedis(redisUrl), `test:${randomBytes(4).toString('hex')}`),
    });
  else if (process.env.CI === 'true') throw new Error('CI=true needs the harness redis-server');
  return list;
}

const T = Date.parse('2026-03-10T12:00:00Z');
let seq = 0;
const tenant = () => `ten_${randomBytes(4).toString('hex')}`;
const tx = (tenantId: string, at: number, merchant = 'm-1'): MerchantTransaction => ({
  tenantId,
  merchant,
  transactionId: `tx_${++seq}`,
  at,
});

describe.each(factories())('LabelRiskStore contract on $name', ({ create }) => {
  let store: LabelRiskStore;
  beforeAll(() => {
    store = create();
  });
  afterAll(async () => {
    await store.close();
  });

  it('knows nothing about a merchant without labels (cold start), however busy it is', async () => {
    const t = tenant();
    for (let i = 0; i < 5; i++) await store.observe(tx(t, T - i * HOUR_MS));
    expect(await store.observe(tx(t, T + 1))).toEqual({ ...noLabelRisk, transactions30d: 5 });
  });

  it('counts labelled frauds by the event time of the transaction, in 1 / 7 / 14 / 30-day windows before the one scored', async () => {
    const t = tenant();
    const old = tx(t, T - 40 * DAY_MS);
    const month = tx(t, T - 20 * DAY_MS);
    const fortnight = tx(t, T - 10 * DAY_MS);
    const week = tx(t, T - 3 * DAY_MS);
    const day = tx(t, T - 2 * HOUR_MS);
    const later = tx(t, T + HOUR_MS);
    for (const x of [old, month, fortnight, week, day, later]) await store.recordLabel({ ...x, fraud: true });
    expect(await store.observe(tx(t, T))).toMatchObject({
      frauds1d: 1,
      frauds7d: 2,
      frauds14d: 3,
      frauds30d: 4,
      lastFraudAgeMs: 2 * HOUR_MS,
    });
  });

  it('takes a label once, and a later legit label withdraws it; other merchants and tenants are apart', async () => {
    const t = tenant();
    const a = tx(t, T - DAY_MS * 2);
    const b = tx(t, T - DAY_MS * 3);
    await store.recordLabel({ ...a, fraud: true });
    await store.recordLabel({ ...a, fraud: true });
    await store.recordLabel({ ...b, fraud: true });
    expect((await store.observe(tx(t, T))).frauds7d).toBe(2);
    await store.recordLabel({ ...b, fraud: false });
    expect((await store.observe(tx(t, T))).frauds7d).toBe(1);
    expect((await store.observe(tx(t, T, 'm-2'))).frauds7d).toBe(0);
    expect((await store.observe(tx(tenant(), T))).frauds7d).toBe(0);
  });

  it('counts the merchant transactions of the last 31 UTC days for the rate, before recording the one scored', async () => {
    const t = tenant();
    const midnight = Math.floor(T / DAY_MS) * DAY_MS;
    await store.observe(tx(t, midnight - 31 * DAY_MS + HOUR_MS)); // 31 days before today: outside
    await store.observe(tx(t, midnight - 30 * DAY_MS + HOUR_MS)); // the oldest day read
    await store.observe(tx(t, midnight - 5 * DAY_MS));
    await store.observe(tx(t, midnight + HOUR_MS));
    expect((await store.observe(tx(t, T))).transactions30d).toBe(3);
    expect((await store.observe(tx(t, T + 1))).transactions30d).toBe(4);
  });

  it('gives the settled windows: whole UTC days ending LABEL_SETTLE_DAYS before today, their transactions and labelled frauds', async () => {
    expect(LABEL_SETTLE_DAYS).toBe(7);
    const t = tenant();
    const midnight = Math.floor(T / DAY_MS) * DAY_MS;
    const onDay = (daysAgo: number) => tx(t, midnight - daysAgo * DAY_MS + HOUR_MS);
    const [d38, d37, d15, d14, d8, d7] = [38, 37, 15, 14, 8, 7].map(onDay);
    for (const x of [d38, d37, d15, d14, d8, d7]) await store.observe(x!);
    // d38 is outside every window, d7 is not settled yet: a fraud on either counts in no settled window.
    for (const x of [d38, d15, d8, d7]) await store.recordLabel({ ...x!, fraud: true });
    expect(await store.observe(tx(t, T))).toMatchObject({
      settledTransactions1d: 1,
      settledFrauds1d: 1,
      settledTransactions7d: 2,
      settledFrauds7d: 1,
      settledTransactions30d: 4,
      settledFrauds30d: 2,
      frauds7d: 0,
      frauds14d: 2,
    });
    // The next day, d8's day has left the 1-day window and d7's has entered it; d14's has left the 7-day one.
    expect(await store.observe(tx(t, T + DAY_MS))).toMatchObject({
      settledTransactions1d: 1,
      settledFrauds1d: 1,
      settledTransactions7d: 2,
      settledFrauds7d: 2,
      settledTransactions30d: 4,
    });
  });

  it("gives the merchant's current run: the earliest labelled fraud of the 30 days before, and the settled days from its day on", async () => {
    const t = tenant();
    const midnight = Math.floor(T / DAY_MS) * DAY_MS;
    const onDay = (daysAgo: number) => tx(t, midnight - daysAgo * DAY_MS + HOUR_MS);
    // Ten settled days from day 20 on; frauds on days 40 (past the 30 days), 20, 15 and 10, and day 3 (not settled).
    const days = [40, 20, 19, 18, 17, 16, 15, 14, 12, 11, 10, 3].map(onDay);
    for (const x of days) await store.observe(x);
    for (const i of [0, 1, 6, 10, 11]) await store.recordLabel({ ...days[i]!, fraud: true });
    expect(await store.observe(tx(t, T))).toMatchObject({
      firstFraudAgeMs: T - days[1]!.at,
      runSettledTransactions: 10,
      runSettledFrauds: 3,
      lastFraudAgeMs: T - days[11]!.at,
    });
    // A run whose first fraud is not settled yet has no settled days.
    const u = tenant();
    const recent = tx(u, T - 2 * DAY_MS);
    await store.observe(recent);
    await store.recordLabel({ ...recent, fraud: true });
    expect(await store.observe(tx(u, T))).toMatchObject({
      firstFraudAgeMs: 2 * DAY_MS,
      runSettledTransactions: 0,
      runSettledFrauds: 0,
    });
  });
});

describe('memory label-risk store bound', () => {
  it('holds at most its merchant bound: the least recently seen merchant is forgotten, a recent one kept', async () => {
    const store = new MemoryLabelRiskStore(3);
    const t = tenant();
    for (const merchant of ['m-a', 'm-b', 'm-c', 'm-d']) await store.observe(tx(t, T, merchant));
    expect((await store.observe(tx(t, T + 1, 'm-d'))).transactions30d).toBe(1);
    // m-a was the least recently seen when m-d arrived: its transaction is gone.
    expect((await store.observe(tx(t, T + 2, 'm-a'))).transactions30d).toBe(0);
    await store.close();
  });
});
