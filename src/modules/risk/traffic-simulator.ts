import { currencyExponent } from '../normalize/money.js';
import type { ScoreRequest } from './risk-subject.js';
import { DAY_MS, HOUR_MS } from './velocity-store.js';

export const simPatterns = ['normal', 'travel', 'new_device', 'big_purchase', 'card_testing', 'account_takeover', 'compromised_merchant', 'amount_outlier'] as const;
export type SimPattern = (typeof simPatterns)[number];

export interface SimOptions {
  customers: number;
  days: number;
  /** Share of all transactions that are fraudulent, 0–1. */
  fraudRate: number;
  seed: number;
  /** First simulated instant; fixed by default so a seed always yields the same traffic. */
  start?: Date;
}

export interface SimTransaction {
  request: ScoreRequest & { occurredAt: string };
  label: 'fraud' | 'legit';
  pattern: SimPattern;
}

/** mulberry32: a tiny, well-distributed seeded PRNG; the generator draws every random choice from it. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** [country, currency, units per USD]; a repeated row weighs the draw (a quarter of customers are in the US). */
const homeCountries = [
  ['US', 'USD', 1],
  ['US', 'USD', 1],
  ['US', 'USD', 1],
  ['GB', 'GBP', 0.79],
  ['DE', 'EUR', 0.93],
  ['FR', 'EUR', 0.93],
  ['ES', 'EUR', 0.93],
  ['BR', 'BRL', 5.5],
  ['MX', 'MXN', 18],
  ['CA', 'CAD', 1.37],
  ['JP', 'JPY', 150],
  ['AU', 'AUD', 1.5],
] as const;
const fraudCountries = ['NG', 'RU', 'VN', 'ID', 'RO', 'UA', 'PK'];

interface Card {
  bin: string;
  last4: string;
  country: string;
  fingerprint: string;
}

interface Customer {
  id: string;
  email: string;
  country: string;
  currency: string;
  fx: number;
  cards: Card[];
  devices: string[];
  ip: string;
  usualUsd: number;
  perDay: number;
}

/**
 * Deterministic labeled traffic: ordinary customers (with legitimate travel, new phones and big
 * purchases) plus four fraud patterns — card-testing bursts, account takeover (new device, foreign
 * IP, high amount), a compromised merchant worked by a small ring, and amount outliers on a known
 * card from a new device. Same options and seed → the same transactions, byte for byte.
 */
export function simulateTraffic(options: SimOptions): SimTransaction[] {
  const rnd = seededRandom(options.seed);
  const start = (options.start ?? new Date('2026-01-01T00:00:00Z')).getTime();
  const end = start + options.days * DAY_MS;
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rnd();
  const int = (lo: number, hi: number) => Math.floor(uniform(lo, hi + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const chance = (p: number) => rnd() < p;
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const digits = (n: number) => Array.from({ length: n }, () => int(0, 9)).join('');
  const ipOf = () => `${int(11, 199)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  const prefix = `sim${options.seed}`;
  let seq = 0;
  const nextId = () => `${prefix}_tx_${(++seq).toString(36).padStart(6, '0')}`;
  const newCard = (country: string, tag: string): Card => ({ bin: `4${digits(5)}`, last4: digits(4), country, fingerprint: `${prefix}_fp_${tag}_${digits(8)}` });

  const merchants = Array.from({ length: 40 }, (_, i) => ({ id: `${prefix}_mer_${i}`, country: pick(homeCountries)[0] }));
  const compromised = merchants[7]!;

  const customers: Customer[] = Array.from({ length: options.customers }, (_, i) => {
    const [country, currency, fx] = pick(homeCountries);
    const cards = Array.from({ length: chance(0.3) ? 2 : 1 }, (_, k) => newCard(chance(0.96) ? country : pick(homeCountries)[0], `c${i}k${k}`));
    return {
      id: `${prefix}_cus_${i}`,
      email: `${prefix}.customer${i}@example.com`,
      country,
      currency,
      fx,
      cards,
      devices: [`${prefix}_dev_${i}_0`],
      ip: ipOf(),
      usualUsd: Math.exp(Math.log(45) + 0.8 * normal()),
      perDay: uniform(0.15, 1.2),
    };
  });

  const out: SimTransaction[] = [];
  const money = (usd: number, currency: string, fx: number) => ({ minor: Math.max(1, Math.round(usd * fx * 10 ** currencyExponent(currency))), currency });
  const push = (pattern: SimPattern, label: 'fraud' | 'legit', at: number, req: Omit<SimTransaction['request'], 'transactionId' | 'occurredAt'>) => {
    out.push({ pattern, label, request: { transactionId: nextId(), occurredAt: new Date(Math.min(at, end - 1)).toISOString(), ...req } });
  };

  // Ordinary traffic, customer by customer, day by day.
  for (const [i, c] of customers.entries()) {
    for (let day = 0; day < options.days; day++) {
      let n = 0;
      for (let p = rnd(); p < c.perDay / (n + 1) && n < 6; p = rnd()) n++;
      for (let k = 0; k < n; k++) {
        const at = start + day * DAY_MS + Math.floor(uniform(7, 23.5) * HOUR_MS);
        let pattern: SimPattern = 'normal';
        let ipCountry = c.country;
        let ip = chance(0.9) ? c.ip : ipOf();
        let device = pick(c.devices);
        let usd = c.usualUsd * Math.exp(0.45 * normal());
        const roll = rnd();
        if (roll < 0.02) {
          pattern = 'travel';
          ipCountry = pick(homeCountries.filter(([h]) => h !== c.country))[0];
          ip = ipOf();
        } else if (roll < 0.035) {
          pattern = 'new_device';
          device = `${prefix}_dev_${i}_${c.devices.length}`;
          c.devices.push(device);
        } else if (roll < 0.045) {
          pattern = 'big_purchase';
          usd *= uniform(4, 10);
        }
        push(pattern, 'legit', at, {
          amount: money(usd, c.currency, c.fx),
          customer: { id: c.id, email: c.email },
          card: pick(c.cards),
          ip,
          ipCountry,
          deviceId: device,
          merchant: pick(merchants),
          outcome: chance(0.04) ? 'declined' : 'approved',
        });
      }
    }
  }

  const legitCount = out.length;
  const fraudTarget = Math.round((options.fraudRate / Math.max(1e-9, 1 - options.fraudRate)) * legitCount);
  const budget = { card_testing: 0.35, account_takeover: 0.25, compromised_merchant: 0.25, amount_outlier: 0.15 };
  const target = (p: keyof typeof budget) => Math.round(fraudTarget * budget[p]);
  const randomTime = (fromDay = 0) => start + Math.floor(uniform(fromDay * DAY_MS, options.days * DAY_MS - HOUR_MS));
  const known = () => pick(customers);

  // Card testing: a fresh device and foreign IP try stolen cards with tiny amounts, mostly declined.
  for (let made = 0, burst = 0; made < target('card_testing'); burst++) {
    const t0 = randomTime();
    const device = `${prefix}_atk_${burst}`;
    const ip = ipOf();
    const ipCountry = pick(fraudCountries);
    const cards = Array.from({ length: int(1, 4) }, (_, k) => newCard(pick(homeCountries)[0], `ct${burst}k${k}`));
    const email = `${prefix}.tester${burst}@mailbox.example`;
    const merchant = pick(merchants);
    const attempts = Math.min(int(6, 20), target('card_testing') - made);
    for (let a = 0; a < attempts; a++, made++) {
      push('card_testing', 'fraud', t0 + Math.floor(uniform(0, 25) * 60_000), {
        amount: money(uniform(0.5, 3), 'USD', 1),
        customer: { email },
        card: pick(cards),
        ip,
        ipCountry,
        deviceId: device,
        merchant,
        outcome: chance(0.75) ? 'declined' : 'approved',
      });
    }
  }

  // Account takeover: a known customer's account, a new device abroad, far above the usual amount.
  for (let made = 0, n = 0; made < target('account_takeover'); n++) {
    const c = known();
    const t0 = randomTime(2);
    const device = `${prefix}_ato_${n}`;
    const ip = ipOf();
    const ipCountry = pick(fraudCountries);
    const tries = Math.min(int(1, 3), target('account_takeover') - made);
    for (let a = 0; a < tries; a++, made++) {
      push('account_takeover', 'fraud', t0 + a * int(2, 20) * 60_000, {
        amount: money(c.usualUsd * uniform(4, 15), c.currency, c.fx),
        customer: { id: c.id, email: c.email },
        card: pick(c.cards),
        ip,
        ipCountry,
        deviceId: device,
        merchant: pick(merchants),
        outcome: chance(0.15) ? 'declined' : 'approved',
      });
    }
  }

  // A compromised merchant: over a few days a small ring pushes many stolen cards through it.
  const ringDevices = Array.from({ length: 4 }, (_, k) => `${prefix}_ring_dev_${k}`);
  const ringIps = Array.from({ length: 3 }, () => ipOf());
  const attackStart = Math.floor(options.days / 2);
  for (let made = 0; made < target('compromised_merchant'); made++) {
    const cardCountry = pick(homeCountries)[0];
    const at = start + Math.floor(uniform(attackStart * DAY_MS, Math.min(options.days, attackStart + 3) * DAY_MS - HOUR_MS));
    push('compromised_merchant', 'fraud', at, {
      amount: money(uniform(80, 600), 'USD', 1),
      customer: { email: `${prefix}.buyer${made}@mailbox.example` },
      card: newCard(cardCountry, `cm${made}`),
      ip: pick(ringIps),
      ipCountry: chance(0.5) ? cardCountry : pick(fraudCountries),
      deviceId: pick(ringDevices),
      merchant: compromised,
      outcome: chance(0.45) ? 'declined' : 'approved',
    });
  }

  // Amount outliers: a known card, a device never seen, the customer's own country, a huge amount.
  for (let made = 0; made < target('amount_outlier'); made++) {
    const c = known();
    push('amount_outlier', 'fraud', randomTime(2), {
      amount: money(c.usualUsd * uniform(10, 40), c.currency, c.fx),
      customer: { id: c.id, email: c.email },
      card: pick(c.cards),
      ip: ipOf(),
      ipCountry: c.country,
      deviceId: `${prefix}_out_${made}`,
      merchant: pick(merchants),
      outcome: chance(0.1) ? 'declined' : 'approved',
    });
  }

  return out.sort((a, b) => a.request.occurredAt.localeCompare(b.request.occurredAt) || a.request.transactionId.localeCompare(b.request.transactionId));
}
