import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryVelocityStore } from '../../src/modules/risk/velocity/memory-velocity.store.js';
import { RedisVelocityStore } from '../../src/modules/risk/velocity/redis-velocity.store.js';
import {
  amountLogMilli,
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  type VelocityEvent,
  type VelocityStore,
} from '../../src/modules/risk/velocity/velocity-store.js';
import { standaloneRedis } from '../harness/redis-topologies.js';
import { harnessRedisUrl } from '../harness/stores.js';

type Factory = { name: string; tags: Array<'redis'>; create: () => VelocityStore };

const factories: Factory[] = [
  { name: 'memory', tags: [], create: () => new MemoryVelocityStore() },
  {
    name: 'redis',
    tags: ['redis'],
    create: () =>
      RedisVelocityStore.connect(standaloneRedis(harnessRedisUrl()), `test:${randomBytes(4).toString('hex')}`),
  },
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

for (const { name, tags, create } of factories)
  describe(`VelocityStore contract on ${name}`, { tags }, () => {
    let store: VelocityStore;
    beforeAll(() => {
      store = create();
    });
    afterAll(async () => {
      await store.close();
    });

    it('counts and sums a customer in 1 h / 24 h / 7 d / 30 d windows by event time, before recording', async () => {
      const t = tenant();
      await store.observe(ev(t, T - 31 * DAY_MS, { amountUsdMinor: 1_000_000 }));
      await store.observe(ev(t, T - 8 * DAY_MS, { amountUsdMinor: 99_999 }));
      await store.observe(ev(t, T - 3 * DAY_MS, { amountUsdMinor: 4000 }));
      await store.observe(ev(t, T - 2 * HOUR_MS, { amountUsdMinor: 2000 }));
      await store.observe(ev(t, T - 30 * 60_000, { amountUsdMinor: 500 }));
      const s = await store.observe(ev(t, T, { amountUsdMinor: 7000 }));
      expect(s.customer).toMatchObject({
        count1h: 1,
        count24h: 2,
        count7d: 3,
        count30d: 4,
        amountUsdMinor1h: 500,
        amountUsdMinor24h: 2500,
        amountUsdMinor7d: 6500,
        amountUsdMinor30d: 106_499,
        seenBefore: true,
        firstSeenAt: T - 31 * DAY_MS,
      });
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
      expect(s.merchant).toMatchObject({ count1h: 3, declines1h: 3 });
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
      const none = await store.observe(
        ev(t, T + 2, { card: null, customer: null, device: null, ip: null, merchant: null }),
      );
      expect(none.customer.distinctCards24h).toBe(0);
      expect(none.customer.count7d).toBe(0);
    });

    it('knows first-seen customers, cards and devices, by event time', async () => {
      const t = tenant();
      const first = await store.observe(ev(t, T));
      expect([first.customer.seenBefore, first.card.seenBefore, first.device.seenBefore]).toEqual([
        false,
        false,
        false,
      ]);
      const second = await store.observe(ev(t, T + HOUR_MS, { card: 'new-card' }));
      expect([second.customer.seenBefore, second.card.seenBefore, second.device.seenBefore]).toEqual([
        true,
        false,
        true,
      ]);
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
      expect(s.ip).toMatchObject({ count1h: 40, distinctCustomers24h: 30, distinctCustomers30d: 30 });
      expect(s.merchant.count1h).toBe(40);
      const fresh = await store.observe(ev(t, T + 1, { customer: 'c-new', card: 'k-new', device: 'd-new2' }));
      expect(fresh.ip).toMatchObject({ count1h: 41, distinctCustomers24h: 31 });
    });

    it('dates the first sighting of a customer, account, device and IP; an account is as old as its oldest key', async () => {
      const t = tenant();
      await store.observe(
        ev(t, T - 40 * DAY_MS, { customer: 'id-key', account: 'id-key', ip: '10.9.9.9', device: 'dev-old' }),
      );
      // The same customer id now comes with an e-mail: the e-mail is the link key, the id the account.
      const s = await store.observe(
        ev(t, T, { customer: 'email-key', account: 'id-key', ip: '10.9.9.9', device: 'dev-new' }),
      );
      expect(s.customer).toMatchObject({ seenBefore: false, firstSeenAt: null });
      expect(s.account.firstSeenAt).toBe(T - 40 * DAY_MS);
      expect(s.ip.firstSeenAt).toBe(T - 40 * DAY_MS);
      expect(s.device).toMatchObject({ seenBefore: false, firstSeenAt: null });
      const again = await store.observe(
        ev(t, T + HOUR_MS, { customer: 'email-key', account: 'id-key', ip: '10.9.9.9', device: 'dev-new' }),
      );
      expect([again.customer.firstSeenAt, again.device.firstSeenAt, again.card.firstSeenAt]).toEqual([
        T,
        T,
        T - 40 * DAY_MS,
      ]);
    });

    it('counts new cards, new customers and declines per merchant, IP, device and BIN in 10 min and 1 h', async () => {
      const t = tenant();
      const attempt = (minutes: number, i: number, over: Partial<VelocityEvent> = {}) =>
        ev(t, T + minutes * MINUTE_MS, {
          customer: `tester-${i}`,
          card: `card-${i}`,
          bin: '411111',
          last4: String(1000 + i),
          device: `dev-${i % 2}`,
          ip: `10.1.0.${i % 3}`,
          declined: true,
          ...over,
        });
      // A known card and customer first, 50 minutes before: not new when it comes back.
      await store.observe(
        ev(t, T - 50 * MINUTE_MS, {
          customer: 'regular',
          card: 'regular-card',
          bin: '411111',
          device: 'dev-0',
          ip: '10.1.0.0',
        }),
      );
      for (let i = 0; i < 6; i++) await store.observe(attempt(i * 5, i));
      await store.observe(
        ev(t, T + 26 * MINUTE_MS, {
          customer: 'regular',
          card: 'regular-card',
          bin: '411111',
          device: 'dev-0',
          ip: '10.1.0.0',
        }),
      );
      // The same card again (not new), then the probe at T + 30 min.
      await store.observe(attempt(27, 5));
      const s = await store.observe(attempt(30, 99, { declined: false, device: 'dev-probe', ip: '10.2.0.1' }));
      // In the last 10 minutes (T+20..T+30): attempts 4 and 5 (their first sighting) and the retry of 5.
      expect(s.merchant).toMatchObject({
        newCards10m: 2,
        newCards1h: 6,
        newCustomers10m: 2,
        newCustomers1h: 6,
        declines10m: 3,
        declines1h: 7,
        count10m: 4,
        count1h: 8,
      });
      expect(s.bin).toEqual({
        newCards10m: 2,
        newCards1h: 6,
        newCustomers10m: 2,
        newCustomers1h: 6,
        declines10m: 3,
        declines1h: 7,
      });
      // dev-1 saw attempts 1, 3, 5 (and 5's retry); IP 10.1.0.0 saw attempts 0 and 3 and the regular customer.
      const d1 = await store.observe(attempt(31, 101, { device: 'dev-1', ip: '10.1.0.2', declined: false }));
      expect(d1.device).toMatchObject({
        newCards1h: 3,
        newCustomers1h: 3,
        newCustomers24h: 3,
        declines10m: 2,
        declines1h: 4,
      });
      const ip0 = await store.observe(attempt(32, 102, { device: 'dev-x', ip: '10.1.0.0', declined: false }));
      // The regular customer was new there too, 82 minutes before: in the 24 h count, not the hour's.
      expect(ip0.ip).toMatchObject({
        newCards1h: 2,
        newCustomers1h: 2,
        newCustomers24h: 3,
        declines1h: 2,
        declines10m: 0,
      });
      // A new customer coming back is not another new customer: its own first visit is left out
      // (nine new cards and customers in the hour: attempts 0–5 and the three probes).
      const back = await store.observe(attempt(33, 4, { device: 'dev-0', ip: '10.1.0.1', declined: false }));
      expect(back.merchant).toMatchObject({ newCards1h: 8, newCustomers1h: 8 });
      // dev-0 saw four accounts new: the regular customer, attempts 0, 2 and 4 (its own).
      expect(back.device.newCustomers24h).toBe(3);
    });

    it('feeds a decline learnt later into every entity it names', async () => {
      const t = tenant();
      const first = ev(t, T, { bin: '422222' });
      await store.observe(first);
      await store.recordDecline(first);
      const s = await store.observe(ev(t, T + MINUTE_MS, { bin: '422222' }));
      expect([
        s.customer.declines1h,
        s.card.declines1h,
        s.merchant.declines1h,
        s.device.declines1h,
        s.ip.declines1h,
        s.bin.declines1h,
      ]).toEqual([1, 1, 1, 1, 1, 1]);
    });

    it('tells a long-shared IP from a fresh one: distinct customers over 30 days, and whether this customer used it before', async () => {
      const t = tenant();
      for (let i = 0; i < 12; i++)
        await store.observe(ev(t, T - (20 - i) * DAY_MS, { customer: `nat-${i}`, card: `k-${i}`, ip: '100.64.0.1' }));
      const s = await store.observe(ev(t, T, { customer: 'nat-3', card: 'k-3', ip: '100.64.0.1' }));
      expect(s.ip).toMatchObject({
        distinctCustomers30d: 12,
        distinctCustomers24h: 1,
        customerSeenBefore: true,
        firstSeenAt: T - 20 * DAY_MS,
      });
      const stranger = await store.observe(ev(t, T + 1, { customer: 'stranger', card: 'k-s', ip: '100.64.0.1' }));
      expect(stranger.ip).toMatchObject({ distinctCustomers30d: 13, customerSeenBefore: false });
      // Seen on it 40 days ago only: beyond the 30-day window.
      await store.observe(ev(t, T - 40 * DAY_MS, { customer: 'gone', card: 'k-g', ip: '100.64.0.9' }));
      const gone = await store.observe(ev(t, T, { customer: 'gone', card: 'k-g', ip: '100.64.0.9' }));
      expect(gone.ip).toMatchObject({ customerSeenBefore: false, distinctCustomers30d: 1 });
    });

    it("keeps the merchant's amount distribution over the event's day and the 7 before it: approved amounts, each transaction once", async () => {
      const t = tenant();
      const pay = (at: number, usd: number, over: Partial<VelocityEvent> = {}) =>
        ev(t, at, { amountUsdMinor: usd * 100, customer: `c-${++seq}`, card: `k-${seq}`, ...over });
      await store.observe(pay(T - 9 * DAY_MS, 5000));
      const counted = [pay(T - 6 * DAY_MS, 20), pay(T - 2 * DAY_MS, 40), pay(T - HOUR_MS, 80)];
      for (const e of counted) await store.observe(e);
      await store.observe({ ...counted[2]! });
      await store.observe(pay(T - 30 * MINUTE_MS, 1, { declined: true }));
      const s = await store.observe(pay(T, 999));
      const logs = [20, 40, 80].map((usd) => amountLogMilli(usd * 100));
      expect(s.merchant.amounts).toEqual({
        count: 3,
        sumLogMilli: logs.reduce((a, b) => a + b, 0),
        sumSqLogMilli: logs.reduce((a, b) => a + b * b, 0),
      });
      expect(amountLogMilli(2000)).toBe(Math.round(1000 * Math.log(20)));
    });

    it('finds BIN concentration and card-number sequences at a merchant', async () => {
      const t = tenant();
      const card = (minutes: number, bin: string, last4: string, merchant = 'm-seq') =>
        ev(t, T + minutes * MINUTE_MS, {
          bin,
          last4,
          card: `${bin}:${last4}`,
          customer: `c-${bin}-${last4}`,
          merchant,
        });
      await store.observe(card(-30, '455555', '1200'));
      await store.observe(card(-4, '455555', '1210'));
      await store.observe(card(-3, '455555', '1219'));
      await store.observe(card(-2, '455555', '1300'));
      await store.observe(card(-2, '466666', '1221'));
      await store.observe(card(-1, '455555', '1220', 'm-other'));
      const s = await store.observe(card(0, '455555', '1220'));
      // 1210 and 1219 are within 20 of 1220 in the last 10 minutes; 1200 is 30 minutes old, 1300 too far, 466666 another BIN.
      expect(s.merchantBin).toEqual({ count1h: 4, sequence10m: 2 });
      const same = await store.observe(card(1, '455555', '1220'));
      expect(same.merchantBin).toEqual({ count1h: 5, sequence10m: 2 });
      const noLast4 = await store.observe(ev(t, T + 2 * MINUTE_MS, { bin: '455555', last4: null, merchant: 'm-seq' }));
      expect(noLast4.merchantBin).toEqual({ count1h: 6, sequence10m: 0 });
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
    // The customer's 30-day history is kept in full: recording c0 ten hours on trims its index by the
    // month, so the first transaction is still counted by the next one.
    await store.observe(ev(t, T + 600 * 60_000, { customer: 'c0', card: 'k0' }));
    const third = await store.observe(ev(t, T + 601 * 60_000, { customer: 'c0', card: 'k0' }));
    expect([third.customer.count7d, third.customer.count30d]).toEqual([2, 2]);
  });
});

describe('Redis velocity keys', { tags: ['redis'] }, () => {
  it("keep a busy merchant's transactions for their 1 h window plus the late-event slack, not for the week", async () => {
    const prefix = `test:${randomBytes(4).toString('hex')}`;
    const store = RedisVelocityStore.connect(standaloneRedis(harnessRedisUrl()), prefix);
    const redis = new Redis(harnessRedisUrl());
    try {
      const t = tenant();
      // 200 transactions three minutes apart: ten hours of one merchant's traffic, each from a new customer.
      for (let i = 0; i < 200; i++)
        await store.observe(
          ev(t, T + i * 3 * 60_000, { customer: `c${i}`, card: `k${i}`, device: `d${i}`, ip: `10.0.${i}.1` }),
        );
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

  it('give every key a score or a later decline writes an expiry, on trimming and non-trimming calls alike', async () => {
    const prefix = `test:${randomBytes(4).toString('hex')}`;
    const store = RedisVelocityStore.connect(standaloneRedis(harnessRedisUrl()), prefix);
    const redis = new Redis(harnessRedisUrl());
    try {
      const t = tenant();
      // Sixteen scores (two trimming ones): new and repeat entities, declines, absent device and IP.
      for (let i = 0; i < 16; i++)
        await store.observe(
          ev(t, T + i * 60_000, {
            customer: `c${i % 3}`,
            account: `a${i % 3}`,
            card: `k${i % 5}`,
            bin: `4${i % 2}0000`,
            last4: String(1000 + i),
            device: i % 4 === 0 ? null : `d${i % 2}`,
            ip: i % 3 === 0 ? null : `10.0.0.${i % 2}`,
            declined: i % 5 === 0,
          }),
        );
      await store.recordDecline(ev(t, T + 20 * 60_000, { customer: 'c9', card: 'k9', bin: '490000' }));
      const keys = await redis.keys(`${prefix}:*`);
      // Every kind of key: transactions, declines, distinct and new members, amounts, last 4s, first sightings.
      expect(keys.length).toBeGreaterThan(40);
      const ttls = await Promise.all(keys.map(async (key) => [key, await redis.ttl(key)] as const));
      expect(ttls.filter(([, ttl]) => ttl <= 0)).toEqual([]);
    } finally {
      await store.close();
      redis.disconnect();
    }
  });
});
