import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryVelocityStore } from '../../src/modules/risk/memory-velocity.store.js';
import { RedisVelocityStore } from '../../src/modules/risk/redis-velocity.store.js';
import { DAY_MS, HOUR_MS, type VelocityEvent, type VelocityStore } from '../../src/modules/risk/velocity-store.js';
import { harnessRedisUrl } from '../harness/stores.js';

type Factory = { name: string; tags: Array<'redis'>; create: () => VelocityStore };

const factories: Factory[] = [
  { name: 'memory', tags: [], create: () => new MemoryVelocityStore() },
  { name: 'redis', tags: ['redis'], create: () => RedisVelocityStore.connect(harnessRedisUrl(), `test:${randomBytes(4).toString('hex')}`) },
];

const T = Date.parse('2026-03-10T12:00:00Z');
let seq = 0;
const tenant = () => `ten_${randomBytes(4).toString('hex')}`;
const ev = (tenantId: string, at: number, over: Partial<VelocityEvent> = {}): VelocityEvent => ({
  tenantId,
  transactionId: `tx_${++seq}`,
  at,
  amountUsdMinor: 1000,
  declined: false,
  customer: 'cust-a',
  card: 'card-1',
  device: 'dev-1',
  ip: '10.0.0.1',
  merchant: 'm-1',
  ...over,
});

for (const { name, tags, create } of factories) describe(`VelocityStore contract on ${name}`, { tags }, () => {
  let store: VelocityStore;
  beforeAll(() => {
    store = create();
  });
  afterAll(async () => {
    await store.close();
  });

  it('counts and sums a customer in 1 h / 24 h / 7 d windows by event time, before recording', async () => {
    const t = tenant();
    await store.observe(ev(t, T - 8 * DAY_MS, { amountUsdMinor: 99_999 }));
    await store.observe(ev(t, T - 3 * DAY_MS, { amountUsdMinor: 4000 }));
    await store.observe(ev(t, T - 2 * HOUR_MS, { amountUsdMinor: 2000 }));
    await store.observe(ev(t, T - 30 * 60_000, { amountUsdMinor: 500 }));
    const s = await store.observe(ev(t, T, { amountUsdMinor: 7000 }));
    expect(s.customer).toMatchObject({ count1h: 1, count24h: 2, count7d: 3, amountUsdMinor1h: 500, amountUsdMinor24h: 2500, amountUsdMinor7d: 6500, seenBefore: true });
    // The transaction itself is now history for the next one.
    const next = await store.observe(ev(t, T + 1000));
    expect(next.customer.count1h).toBe(2);
    expect(next.customer.amountUsdMinor1h).toBe(7500);
  });

  it('ignores history later than the event (out-of-order arrival) and re-recording the same id', async () => {
    const t = tenant();
    const later = ev(t, T + 10 * 60_000);
    await store.observe(later);
    await store.observe({ ...later });
    const s = await store.observe(ev(t, T + 20 * 60_000));
    expect(s.customer.count1h).toBe(1);
    const earlier = await store.observe(ev(t, T));
    expect(earlier.customer.count1h).toBe(0);
  });

  it('counts declines per customer, per card and per merchant in the last hour, including ones learnt later', async () => {
    const t = tenant();
    await store.observe(ev(t, T - 2 * HOUR_MS, { declined: true }));
    await store.observe(ev(t, T - 20 * 60_000, { declined: true, customer: 'other', card: 'card-1' }));
    await store.observe(ev(t, T - 10 * 60_000, { declined: true }));
    const approved = ev(t, T - 5 * 60_000);
    await store.observe(approved);
    await store.recordDecline(approved);
    const s = await store.observe(ev(t, T));
    expect(s.customer.declines1h).toBe(2);
    expect(s.card.declines1h).toBe(3);
    expect(s.card.count1h).toBe(3);
    expect(s.merchant).toEqual({ count1h: 3, declines1h: 3 });
  });

  it('counts distinct cards per customer and device and distinct customers per IP, the current one included', async () => {
    const t = tenant();
    await store.observe(ev(t, T - 2 * DAY_MS, { card: 'old-card', customer: 'c0' }));
    await store.observe(ev(t, T - 3 * HOUR_MS, { card: 'k1', customer: 'c1' }));
    await store.observe(ev(t, T - 2 * HOUR_MS, { card: 'k2', customer: 'c1' }));
    await store.observe(ev(t, T - HOUR_MS, { card: 'k2', customer: 'c2' }));
    const s = await store.observe(ev(t, T, { card: 'k3', customer: 'c1' }));
    expect(s.customer.distinctCards24h).toBe(3);
    expect(s.device.distinctCards24h).toBe(3);
    expect(s.device.distinctCustomers24h).toBe(2);
    expect(s.ip.distinctCustomers24h).toBe(2);
    expect(s.ip.count1h).toBe(1);
    const repeat = await store.observe(ev(t, T + 1, { card: 'k1', customer: 'c3' }));
    expect(repeat.device.distinctCards24h).toBe(3);
    expect(repeat.ip.distinctCustomers24h).toBe(3);
    const none = await store.observe(ev(t, T + 2, { card: null, customer: null, device: null, ip: null, merchant: null }));
    expect(none.customer.distinctCards24h).toBe(0);
    expect(none.customer.count7d).toBe(0);
  });

  it('knows first-seen customers, cards and devices, by event time', async () => {
    const t = tenant();
    const first = await store.observe(ev(t, T));
    expect([first.customer.seenBefore, first.card.seenBefore, first.device.seenBefore]).toEqual([false, false, false]);
    const second = await store.observe(ev(t, T + HOUR_MS, { card: 'new-card' }));
    expect([second.customer.seenBefore, second.card.seenBefore, second.device.seenBefore]).toEqual([true, false, true]);
    // A late event from before the first sighting is itself a first sighting.
    const late = await store.observe(ev(t, T - DAY_MS));
    expect(late.customer.seenBefore).toBe(false);
    // …and moves "first seen" back.
    const after = await store.observe(ev(t, T - DAY_MS + 1, { card: 'third' }));
    expect(after.customer.seenBefore).toBe(true);
  });

  it('gives an event up to an hour late its complete windows', async () => {
    const t = tenant();
    for (let i = 0; i < 30; i++) await store.observe(ev(t, T + i * 4 * 60_000, { customer: `c${i}`, card: `k${i}` }));
    // The newest event is at T + 116 min; one at T + 60 min arrives 56 minutes late.
    const late = await store.observe(ev(t, T + 60 * 60_000, { customer: 'late', card: 'late' }));
    expect(late.merchant.count1h).toBe(16);
  });

  it('keeps the same counts on a busy IP as on a quiet one: repeats and re-recorded ids count once', async () => {
    const t = tenant();
    const seen: VelocityEvent[] = [];
    for (let i = 0; i < 40; i++) {
      const e = ev(t, T - 50 * 60_000 + i * 60_000, { customer: `c${i % 30}`, card: `k${i}`, device: `d${i}` });
      seen.push(e);
      await store.observe(e);
    }
    // The same transactions again (a retried score): nothing changes.
    for (const e of seen.slice(0, 20)) await store.observe({ ...e });
    const s = await store.observe(ev(t, T, { customer: 'c5', card: 'k5', device: 'd-new' }));
    expect(s.ip).toEqual({ count1h: 40, distinctCustomers24h: 30 });
    expect(s.merchant.count1h).toBe(40);
    const fresh = await store.observe(ev(t, T + 1, { customer: 'c-new', card: 'k-new', device: 'd-new2' }));
    expect(fresh.ip).toEqual({ count1h: 41, distinctCustomers24h: 31 });
  });

  it('keeps tenants apart', async () => {
    const a = tenant();
    const b = tenant();
    await store.observe(ev(a, T - 60_000));
    const s = await store.observe(ev(b, T));
    expect(s.customer.count1h).toBe(0);
    expect(s.customer.seenBefore).toBe(false);
  });
});

describe('memory velocity retention', () => {
  it("drops a merchant's transactions once they are older than their 1 h window plus the slack", async () => {
    const store = new MemoryVelocityStore();
    const t = tenant();
    for (let i = 0; i < 200; i++) await store.observe(ev(t, T + i * 3 * 60_000, { customer: `c${i}`, card: `k${i}` }));
    // Five hours before the newest event: far beyond the slack, so that hour's history is gone.
    const tooLate = await store.observe(ev(t, T + 300 * 60_000, { customer: 'late', card: 'late' }));
    expect(tooLate.merchant.count1h).toBe(0);
    // The customer's 7-day history is kept in full: recording c0 ten hours on trims its index by the
    // week, so the first transaction is still counted by the next one.
    await store.observe(ev(t, T + 600 * 60_000, { customer: 'c0', card: 'k0' }));
    const third = await store.observe(ev(t, T + 601 * 60_000, { customer: 'c0', card: 'k0' }));
    expect(third.customer.count7d).toBe(2);
  });
});

describe('Redis velocity keys', { tags: ['redis'] }, () => {
  it("keep a busy merchant's transactions for their 1 h window plus the late-event slack, not for the week", async () => {
    const prefix = `test:${randomBytes(4).toString('hex')}`;
    const store = RedisVelocityStore.connect(harnessRedisUrl(), prefix);
    const redis = new Redis(harnessRedisUrl());
    try {
      const t = tenant();
      // 200 transactions three minutes apart: ten hours of one merchant's traffic, each from a new customer.
      for (let i = 0; i < 200; i++) await store.observe(ev(t, T + i * 3 * 60_000, { customer: `c${i}`, card: `k${i}`, device: `d${i}`, ip: `10.0.${i}.1` }));
      const kept = await redis.zcard(`${prefix}:{${t}}:m:m-1:tx`);
      // Two hours hold 40 of them; trimming runs on one score in eight, so up to 7 more may wait for it.
      expect(kept).toBeGreaterThanOrEqual(40);
      expect(kept).toBeLessThanOrEqual(48);
      // Every written key expires by itself.
      expect(await redis.ttl(`${prefix}:{${t}}:m:m-1:tx`)).toBeGreaterThan(0);
      expect(await redis.ttl(`${prefix}:{${t}}:seen:c:c0`)).toBeGreaterThan(0);
    } finally {
      await store.close();
      redis.disconnect();
    }
  });
});
