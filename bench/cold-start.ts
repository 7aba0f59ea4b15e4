/**
 * `npm run bench -- cold-start`: the default rules alone (no labels, no model) on the simulator's
 * scenarios, per seed: the rates not approved per attack and the false positives, on the seeds the
 * rules were tuned on and on the held-out seeds the tests assert on (docs/benchmarks.md, "Cold start").
 */
import { createContainer } from '../src/container.js';
import { loadConfig } from '../src/platform/config/config.js';
import {
  COLD_START_SIM,
  decisionsOf,
  FIRST_HELD_OUT_SEEDS,
  HELD_OUT_SEEDS,
  notApprovedShare,
  scenarioRates,
  TUNING_SEEDS,
  type ScenarioKey,
  type ScenarioRate,
} from '../src/modules/risk/simulation/scenario-report.js';
import { simulateTraffic } from '../src/modules/risk/simulation/traffic-simulator.js';

const rows: [ScenarioKey, string][] = [
  ['stolen_card_new_account', 'stolen card on a new account'],
  ['account_takeover', 'account takeover from abroad'],
  ['account_takeover_proxy', 'account takeover, same-country proxy'],
  ['card_testing_after_10th', 'card testing (one IP/device), after the 10th attempt'],
  ['card_testing_spread_after_10th', 'card testing spread over IPs/devices, after the 10th attempt'],
  ['card_testing', 'card testing (one IP/device), every attempt'],
  ['card_testing_spread', 'card testing spread, every attempt'],
  ['amount_outlier', 'amount outlier (known card, new device)'],
  ['compromised_merchant', 'compromised merchant (needs labels)'],
  ['ordinary', 'ordinary customers (false positives)'],
  ['normal', '  of which routine'],
  ['travel', '  travellers'],
  ['new_device', '  new phones'],
  ['big_purchase', '  big purchases'],
  ['shared_ip', '  on carrier-NAT addresses'],
  ['first_time', 'genuine first-time customers (false positives)'],
];

const pct = (r: ScenarioRate) => `${(100 * notApprovedShare(r)).toFixed(1)} %`;

export async function run(): Promise<void> {
  const c = await createContainer(
    loadConfig({
      LOG_LEVEL: 'silent',
      PAYLENS_DATA_DIR: 'memory://',
      PAYLENS_CUSTOMER_KEY_SALT: 'bench-salt-0123456789',
    }),
  );
  try {
    const seeds = [...TUNING_SEEDS, ...FIRST_HELD_OUT_SEEDS, ...HELD_OUT_SEEDS];
    const bySeed = new Map<number, Record<ScenarioKey, ScenarioRate>>();
    let transactions = 0;
    const started = performance.now();
    for (const seed of seeds) {
      const tenant = (await c.tenants.create(`cold-start-${seed}`))!;
      const traffic = simulateTraffic({ ...COLD_START_SIM, seed });
      transactions += traffic.length;
      bySeed.set(seed, scenarioRates(traffic, await decisionsOf(c.risk, tenant.id, traffic, c.customerKey)));
    }
    const seconds = (performance.now() - started) / 1000;
    const pooled = (key: ScenarioKey, group: readonly number[]) =>
      group.reduce<ScenarioRate>(
        (a, s) => ({
          transactions: a.transactions + bySeed.get(s)![key].transactions,
          notApproved: a.notApproved + bySeed.get(s)![key].notApproved,
        }),
        { transactions: 0, notApproved: 0 },
      );
    const range = (key: ScenarioKey, group: readonly number[]) => {
      const shares = group.map((s) => 100 * notApprovedShare(bySeed.get(s)![key]));
      return `${Math.min(...shares).toFixed(1)}–${Math.max(...shares).toFixed(1)}`;
    };
    console.log(
      `\n## Cold start — default rules, no labels, no model (${COLD_START_SIM.customers} customers × ${COLD_START_SIM.days} days, fraud rate ${COLD_START_SIM.fraudRate} per seed)`,
    );
    console.log(
      `${seeds.length} seeds, ${transactions} transactions scored in ${seconds.toFixed(1)} s (memory velocity store). Not approved (review or decline):`,
    );
    const held = [...FIRST_HELD_OUT_SEEDS, ...HELD_OUT_SEEDS];
    console.log(
      `| scenario | tuning ${TUNING_SEEDS[0]}–${TUNING_SEEDS.at(-1)}, all (per seed) | ${held.join(' | ')} | held out ${HELD_OUT_SEEDS[0]}–${HELD_OUT_SEEDS.at(-1)}, all |`,
    );
    console.log(`|---|---:|${held.map(() => '---:').join('|')}|---:|`);
    for (const [key, label] of rows) {
      const tuning = pooled(key, TUNING_SEEDS);
      const heldOut = pooled(key, HELD_OUT_SEEDS);
      console.log(
        `| ${label} | ${pct(tuning)} (${range(key, TUNING_SEEDS)}) | ${held.map((s) => pct(bySeed.get(s)![key])).join(' | ')} | ${pct(heldOut)} (${heldOut.notApproved}/${heldOut.transactions}) |`,
      );
    }
  } finally {
    await c.close();
  }
}
