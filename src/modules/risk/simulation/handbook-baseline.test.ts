import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../velocity/velocity-store.js';
import { handbookFeatureNames, handbookFeatures } from './handbook-baseline.js';
import type { HandbookTransaction } from './handbook-simulator.js';

const T0 = Date.parse('2018-04-02T00:00:00Z');
let id = 0;
const tx = (at: number, customer: number, terminal: number, amount: number, fraud: 0 | 1 = 0): HandbookTransaction => ({
  id: id++,
  at,
  day: Math.floor((at - T0) / DAY_MS),
  customer,
  terminal,
  amount,
  fraud,
  scenario: fraud ? 2 : 0,
});

describe("the handbook's baseline features (worked by hand)", () => {
  it('customer windows include the transaction; terminal windows end at the delay and give the fraud share there', () => {
    const at = (iso: string) => Date.parse(`2018-04-${iso}:00Z`);
    const txs = [
      tx(at('02T10:00'), 1, 9, 10, 1), // a Monday
      tx(at('02T22:00'), 1, 9, 30),
      tx(at('04T10:00'), 1, 8, 50),
      tx(at('07T15:00'), 2, 8, 70), // a Saturday
      tx(at('10T04:00'), 2, 9, 90), // at night
      tx(at('10T20:00'), 3, 9, 20),
    ];
    const rows = handbookFeatures(txs, 7);
    const named = rows.map((r) => Object.fromEntries(handbookFeatureNames.map((n, j) => [n, r[j]])));
    expect(named[1]).toMatchObject({
      CUSTOMER_ID_NB_TX_1DAY_WINDOW: 2,
      CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: 20,
      TERMINAL_ID_NB_TX_30DAY_WINDOW: 0,
    });
    expect(named[2]).toMatchObject({
      CUSTOMER_ID_NB_TX_1DAY_WINDOW: 1,
      CUSTOMER_ID_NB_TX_7DAY_WINDOW: 3,
      CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW: 30,
    });
    expect(named[3]).toMatchObject({ TX_DURING_WEEKEND: 1, TX_DURING_NIGHT: 0 });
    // Its 1-day window ends 7 days earlier, at the 3rd 04:00: (2nd 04:00, 3rd 04:00] holds the first two at terminal 9, one a fraud.
    expect(named[4]).toMatchObject({
      TX_DURING_WEEKEND: 0,
      TX_DURING_NIGHT: 1,
      TERMINAL_ID_NB_TX_1DAY_WINDOW: 2,
      TERMINAL_ID_RISK_1DAY_WINDOW: 0.5,
      TERMINAL_ID_NB_TX_7DAY_WINDOW: 2,
    });
    // (2nd 20:00, 3rd 20:00]: only the second, legitimate; the 7-day window still has both.
    expect(named[5]).toMatchObject({
      TX_DURING_NIGHT: 0,
      TERMINAL_ID_NB_TX_1DAY_WINDOW: 1,
      TERMINAL_ID_RISK_1DAY_WINDOW: 0,
      TERMINAL_ID_NB_TX_7DAY_WINDOW: 2,
      TERMINAL_ID_RISK_7DAY_WINDOW: 0.5,
    });
  });
});
