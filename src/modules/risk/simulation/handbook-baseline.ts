import { DAY_MS } from '../velocity/velocity-store.js';
import type { HandbookTransaction } from './handbook-simulator.js';

/**
 * The handbook's baseline features (chapter 3.3, "Baseline feature transformation"), written from
 * that description, so its baselines can be fitted on the very transactions Paylens is measured on:
 * the amount; weekend and night (before 6:00) flags; per customer, the number of transactions and
 * their mean amount over the 1, 7 and 30 days up to and including the transaction; per terminal,
 * the number of transactions and the share of frauds among them over 1, 7 and 30-day windows that
 * end `delayDays` before the transaction (frauds are known after the delay).
 */
export const handbookFeatureNames = [
  'TX_AMOUNT',
  'TX_DURING_WEEKEND',
  'TX_DURING_NIGHT',
  'CUSTOMER_ID_NB_TX_1DAY_WINDOW',
  'CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW',
  'CUSTOMER_ID_NB_TX_7DAY_WINDOW',
  'CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW',
  'CUSTOMER_ID_NB_TX_30DAY_WINDOW',
  'CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW',
  'TERMINAL_ID_NB_TX_1DAY_WINDOW',
  'TERMINAL_ID_RISK_1DAY_WINDOW',
  'TERMINAL_ID_NB_TX_7DAY_WINDOW',
  'TERMINAL_ID_RISK_7DAY_WINDOW',
  'TERMINAL_ID_NB_TX_30DAY_WINDOW',
  'TERMINAL_ID_RISK_30DAY_WINDOW',
];

const WINDOWS = [1, 7, 30];

/** Per entity, its transactions' indexes in time order. */
function groupBy(txs: HandbookTransaction[], key: (t: HandbookTransaction) => number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  txs.forEach((t, i) => {
    const list = out.get(key(t));
    if (list) list.push(i);
    else out.set(key(t), [i]);
  });
  return out;
}

/** The 15 features of every transaction (in `txs` order; `txs` in time order), by sliding windows over each customer's and terminal's history. */
export function handbookFeatures(txs: HandbookTransaction[], delayDays: number): number[][] {
  const rows = txs.map((t) => {
    const date = new Date(t.at);
    const weekday = date.getUTCDay();
    return [t.amount, weekday === 0 || weekday === 6 ? 1 : 0, date.getUTCHours() < 6 ? 1 : 0];
  });
  for (const list of groupBy(txs, (t) => t.customer).values()) {
    const starts = WINDOWS.map(() => 0);
    const sums = WINDOWS.map(() => 0);
    list.forEach((i, k) => {
      const at = txs[i]!.at;
      WINDOWS.forEach((w, j) => {
        sums[j]! += txs[i]!.amount;
        while (txs[list[starts[j]!]!]!.at <= at - w * DAY_MS) {
          sums[j]! -= txs[list[starts[j]!]!]!.amount;
          starts[j]!++;
        }
        const n = k - starts[j]! + 1;
        rows[i]!.push(n, sums[j]! / n);
      });
    });
  }
  for (const list of groupBy(txs, (t) => t.terminal).values()) {
    // Window (at − (delay + w) days, at − delay days]: [from, to) over the terminal's list.
    const from = WINDOWS.map(() => 0);
    const frauds = WINDOWS.map(() => 0);
    let to = 0;
    list.forEach((i) => {
      const at = txs[i]!.at;
      const end = at - delayDays * DAY_MS;
      while (to < list.length && txs[list[to]!]!.at <= end) {
        for (let j = 0; j < WINDOWS.length; j++) frauds[j]! += txs[list[to]!]!.fraud;
        to++;
      }
      WINDOWS.forEach((w, j) => {
        while (from[j]! < to && txs[list[from[j]!]!]!.at <= end - w * DAY_MS) {
          frauds[j]! -= txs[list[from[j]!]!]!.fraud;
          from[j]!++;
        }
        const n = to - from[j]!;
        rows[i]!.push(n, n > 0 ? frauds[j]! / n : 0);
      });
    });
  }
  return rows;
}
