import type { ScoreRequest } from '../risk-subject.js';
import { seededRandom } from './traffic-simulator.js';
import { DAY_MS } from '../velocity/velocity-store.js';

/**
 * The transaction simulator described in chapter 3.2 ("Transaction data simulator") of Le Borgne
 * et al., *Reproducible Machine Learning for Credit Card Fraud Detection — Practical Handbook*
 * (ULB Machine Learning Group), written from that description (its code is not used):
 *
 * - customers on a 100 × 100 grid, each with a mean amount ~ U(5, 100) (standard deviation half of
 *   it) and a mean number of transactions per day ~ U(0, 4);
 * - terminals on the same grid; a customer pays at the terminals within `radius` of home;
 * - per customer and day, a Poisson number of transactions, each at a time of day ~ N(12 h, 20,000 s)
 *   (times outside the day are dropped), an amount ~ N(mean, std) (a negative draw is redrawn
 *   ~ U(0, 2 × mean)), at a terminal drawn from the customer's list;
 * - three fraud scenarios: (1) every amount above 220 is fraud; (2) each day, `terminalsPerDay`
 *   terminals are compromised and all their transactions for the next 28 days are fraud; (3) each
 *   day, `customersPerDay` customers are compromised and, over the next 14 days, a third of their
 *   transactions have their amount multiplied by 5 and are fraud.
 *
 * The defaults are the handbook's dataset (5,000 customers, 10,000 terminals, 183 days from
 * 2018-04-01, radius 5). Deterministic per seed.
 */
export interface HandbookOptions {
  customers: number;
  terminals: number;
  days: number;
  radius: number;
  terminalsPerDay: number;
  customersPerDay: number;
  seed: number;
  start: Date;
}

export const handbookDefaults: HandbookOptions = {
  customers: 5000,
  terminals: 10_000,
  days: 183,
  radius: 5,
  terminalsPerDay: 2,
  customersPerDay: 3,
  seed: 0,
  start: new Date('2018-04-01T00:00:00Z'),
};

/** 0: legitimate; 1–3: the fraud scenario that made it fraud. */
export type HandbookScenario = 0 | 1 | 2 | 3;

export interface HandbookTransaction {
  /** Position in event-time order. */
  id: number;
  /** Event time, epoch ms. */
  at: number;
  /** Day since the start. */
  day: number;
  customer: number;
  terminal: number;
  /** USD, two decimals. */
  amount: number;
  fraud: 0 | 1;
  scenario: HandbookScenario;
}

const SECONDS_PER_DAY = 86_400;

export function simulateHandbook(options: Partial<HandbookOptions> = {}): HandbookTransaction[] {
  const o: HandbookOptions = { ...handbookDefaults, ...options };
  const rnd = seededRandom(o.seed);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rnd();
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const poisson = (lambda: number) => {
    const limit = Math.exp(-lambda);
    let k = 0;
    for (let p = rnd(); p > limit; p *= rnd()) k++;
    return k;
  };
  /** k distinct indexes of [0, n), in draw order (partial Fisher–Yates). */
  const sample = (n: number, k: number) => {
    const pool = Array.from({ length: n }, (_, i) => i);
    const out: number[] = [];
    for (let i = 0; i < Math.min(k, n); i++) {
      const j = i + Math.floor(rnd() * (n - i));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      out.push(pool[i]!);
    }
    return out;
  };

  const customers = Array.from({ length: o.customers }, () => {
    const x = uniform(0, 100);
    const y = uniform(0, 100);
    const mean = uniform(5, 100);
    return { x, y, mean, std: mean / 2, perDay: uniform(0, 4), terminals: [] as number[] };
  });
  const terminals = Array.from({ length: o.terminals }, () => ({ x: uniform(0, 100), y: uniform(0, 100) }));
  const r2 = o.radius * o.radius;
  for (const c of customers) {
    terminals.forEach((t, i) => {
      if ((t.x - c.x) ** 2 + (t.y - c.y) ** 2 < r2) c.terminals.push(i);
    });
  }

  const start = o.start.getTime();
  const sorted: HandbookTransaction[] = [];
  // Day by day, so each day's transactions only need sorting among themselves.
  for (let day = 0; day < o.days; day++) {
    const today: HandbookTransaction[] = [];
    customers.forEach((c, ci) => {
      if (c.terminals.length === 0) return;
      const n = poisson(c.perDay);
      for (let k = 0; k < n; k++) {
        const second = Math.round(SECONDS_PER_DAY / 2 + 20_000 * normal());
        if (second < 0 || second >= SECONDS_PER_DAY) continue;
        let amount = c.mean + c.std * normal();
        if (amount < 0) amount = uniform(0, 2 * c.mean);
        today.push({
          id: today.length,
          at: start + day * DAY_MS + second * 1000,
          day,
          customer: ci,
          terminal: c.terminals[Math.floor(rnd() * c.terminals.length)]!,
          amount: Math.round(amount * 100) / 100,
          fraud: 0,
          scenario: 0,
        });
      }
    });
    today.sort((a, b) => a.at - b.at || a.id - b.id);
    for (const t of today) {
      t.id = sorted.length;
      sorted.push(t);
    }
  }

  for (const t of sorted) {
    if (t.amount > 220) {
      t.fraud = 1;
      t.scenario = 1;
    }
  }
  const byTerminal = new Map<number, HandbookTransaction[]>();
  const byCustomer = new Map<number, HandbookTransaction[]>();
  for (const t of sorted) {
    (byTerminal.get(t.terminal) ?? byTerminal.set(t.terminal, []).get(t.terminal)!).push(t);
    (byCustomer.get(t.customer) ?? byCustomer.set(t.customer, []).get(t.customer)!).push(t);
  }
  for (let day = 0; day < o.days; day++) {
    for (const terminal of sample(o.terminals, o.terminalsPerDay)) {
      for (const t of byTerminal.get(terminal) ?? []) {
        if (t.day >= day && t.day < day + 28) {
          t.fraud = 1;
          t.scenario = 2;
        }
      }
    }
    for (const customer of sample(o.customers, o.customersPerDay)) {
      const window = (byCustomer.get(customer) ?? []).filter((t) => t.day >= day && t.day < day + 14);
      for (const i of sample(window.length, Math.floor(window.length / 3))) {
        const t = window[i]!;
        t.amount = Math.round(t.amount * 5 * 100) / 100;
        t.fraud = 1;
        t.scenario = 3;
      }
    }
  }
  return sorted;
}

/**
 * The transaction as Paylens sees it: the handbook's customer is the customer (and its card), its
 * terminal the merchant; there is no IP, device or e-mail in that world.
 */
export function handbookRequest(t: HandbookTransaction, seed: number): ScoreRequest & { occurredAt: string } {
  return {
    transactionId: `hb${seed}_${t.id}`,
    amount: { minor: Math.round(t.amount * 100), currency: 'USD' },
    customer: { id: `hb${seed}_c${t.customer}` },
    card: {},
    merchant: { id: `hb${seed}_t${t.terminal}` },
    occurredAt: new Date(t.at).toISOString(),
  };
}
