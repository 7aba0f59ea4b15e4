import { describe, expect, it } from 'vitest';
import {
  generateBlindStream,
  pooled,
  runBlindStream,
  type BlindResult,
  type ScenarioRow,
} from '../../bench/blind-stream.js';
import { callApi, appForSuite } from '../harness/app.js';

/**
 * Cold start on a stream written blind (bench/blind-stream.ts: modelled from the API contract
 * before the risk rules were read), scored through POST /v1/risk/score/batch in event-time order
 * with chargebacks posted through POST /v1/risk/labels when due. The rules were tuned on its seeds
 * 1–5 and then 101–105 (the first held-out set, measured once, short on takeovers through a proxy,
 * then looked into); 201–205 were measured with a version in between; these tests assert the #11
 * targets on seeds 301–305, first scored with these rules. Figures: docs/benchmarks.md "A stream
 * written blind".
 *
 * Attack shares are pooled over the five seeds (a seed holds 12–25 takeover or stolen-card
 * transactions); card testing after a burst's 10th attempt and the false positives hold on every
 * seed. "Ordinary" here is ordinary customers away from the compromised terminal: once its frauds
 * are labelled every payment there is held, its customers' too (about half of its traffic is fraud).
 */
const HELD_OUT_SEEDS = [301, 302, 303, 304, 305];

const share = (r: ScenarioRow | undefined) => (r ? r.notApproved / r.transactions : Number.NaN);
const row = (rows: ScenarioRow[], scenario: string) => rows.find((r) => r.scenario === scenario);
const said = (r: ScenarioRow | undefined) => `${r?.scenario}: ${r?.notApproved}/${r?.transactions} not approved`;

describe('cold start on the blind stream, held-out seeds 301–305', () => {
  const t = appForSuite('pglite');
  const results: BlindResult[] = [];

  it('scores every seed through the API', async () => {
    for (const seed of HELD_OUT_SEEDS) {
      const { apiKey } = await t.newTenant(`blind-${seed}`);
      const stream = generateBlindStream(seed);
      results.push(
        await runBlindStream(stream, {
          post: async (path, body) => {
            const res = await callApi(t, 'POST', path, body, apiKey);
            return { status: res.statusCode, json: res.json() as unknown };
          },
        }),
      );
    }
    expect(results).toHaveLength(HELD_OUT_SEEDS.length);
  }, 240_000);

  it('holds 80 % or more of takeovers (abroad and through a same-country proxy) and of stolen cards on new accounts', () => {
    const rows = pooled(results.map((r) => r.rows));
    for (const scenario of ['account_takeover_abroad', 'account_takeover_proxy', 'stolen_card_new_account']) {
      const r = row(rows, scenario);
      expect(r?.transactions ?? 0, scenario).toBeGreaterThan(40);
      expect(share(r), said(r)).toBeGreaterThanOrEqual(0.8);
    }
  });

  it('holds every card-testing attempt after the 10th of its burst, from one IP or spread, on every seed', () => {
    for (const result of results)
      for (const scenario of ['card_testing_one_ip after 10th', 'card_testing_spread after 10th']) {
        const r = row(result.rows, scenario);
        expect(r?.transactions ?? 0, `seed ${result.seed}: ${scenario}`).toBeGreaterThan(10);
        expect(share(r), `seed ${result.seed}: ${said(r)}`).toBe(1);
      }
  });

  it('holds the compromised terminal once its frauds are labelled', () => {
    const r = row(pooled(results.map((x) => x.rows)), 'compromised_merchant after labels');
    expect(r?.transactions ?? 0).toBeGreaterThan(100);
    expect(share(r), said(r)).toBeGreaterThanOrEqual(0.9);
  });

  it('leaves 98 % of ordinary customers and 90 % of genuine first-time customers approved, on every seed', () => {
    for (const result of results) {
      const ordinary = row(result.rows, 'ordinary elsewhere');
      const firstTime = row(result.rows, 'first_time');
      expect(ordinary?.transactions ?? 0).toBeGreaterThan(1000);
      expect(firstTime?.transactions ?? 0).toBeGreaterThan(100);
      expect(share(ordinary), `seed ${result.seed}: ${said(ordinary)}`).toBeLessThanOrEqual(0.02);
      expect(share(firstTime), `seed ${result.seed}: ${said(firstTime)}`).toBeLessThanOrEqual(0.1);
    }
  });

  it('ranks the stream above the naive four-rule scorer', () => {
    for (const result of results) {
      expect(result.rocAuc, `seed ${result.seed}`).toBeGreaterThan(result.naive.rocAuc);
      expect(result.averagePrecision, `seed ${result.seed}`).toBeGreaterThan(result.naive.averagePrecision);
    }
  });
});
