import { describe, expect, it } from 'vitest';
import { MemoryVelocityStore } from '../../src/modules/risk/velocity/memory-velocity.store.js';
import type { VelocityEvent } from '../../src/modules/risk/velocity/velocity-store.js';

const T = Date.parse('2026-03-10T12:00:00Z');
const ev = (i: number, customer: string): VelocityEvent => ({
  tenantId: 'ten_bound',
  transactionId: `tx_${i}`,
  at: T + i * 1000,
  amountUsdMinor: 1000,
  declined: false,
  customer,
  card: `card-${customer}`,
  device: `dev-${customer}`,
  ip: '10.0.0.1',
  merchant: 'm-1',
});

describe('memory velocity store bound', () => {
  it('holds at most its entity bound, evicting the least recently seen, and still counts the recent ones', async () => {
    const store = new MemoryVelocityStore(40);
    for (let i = 0; i < 200; i++) await store.observe(ev(i, `c${i}`));
    expect(store.heldKeys.max).toBe(40);
    expect(store.heldKeys.size()).toBeGreaterThan(0);
    expect(store.heldKeys.size()).toBeLessThanOrEqual(40);
    // The newest customer is still known; the first one was evicted long ago and reads as new.
    const recent = await store.observe(ev(200, 'c199'));
    expect(recent.customer.count1h).toBe(1);
    const evicted = await store.observe(ev(201, 'c0'));
    expect(evicted.customer.count1h).toBe(0);
    await store.close();
  });
});
