import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainer, type Container } from '../../src/container.js';
import {
  handbookProtocol,
  runHandbookBenchmark,
  type HandbookRun,
} from '../../src/modules/risk/simulation/handbook-benchmark.js';
import { loadConfig } from '../../src/platform/config/config.js';

/**
 * A small configuration of the handbook benchmark, end to end: generated, scored in event-time order
 * through the real scorer and stores with labels arriving a week late, trained and evaluated on the
 * protocol's windows. The full one is `npm run bench -- handbook`.
 */
describe('handbook benchmark (small configuration)', () => {
  let c: Container;
  let run: HandbookRun;
  beforeAll(async () => {
    c = await createContainer(
      loadConfig({
        LOG_LEVEL: 'silent',
        PAYLENS_DATA_DIR: 'memory://',
        PAYLENS_CUSTOMER_KEY_SALT: 'test-salt-0123456789',
      }),
    );
    const tenant = (await c.tenants.create('handbook'))!;
    run = await runHandbookBenchmark(
      c.risk,
      tenant.id,
      c.customerKey,
      { customers: 500, terminals: 1000, terminalsPerDay: 1, customersPerDay: 1, seed: 21 },
      { ...handbookProtocol, trainStartDay: 30, warmupDays: 30, topK: 20, gbdt: { trees: 80 } },
    );
  }, 300_000);
  afterAll(async () => {
    await c.close();
  });

  it('splits as the protocol says: a training week, a delay week, a test week without known-compromised cards', () => {
    expect(run.split.train).toBeGreaterThan(3000);
    expect(run.split.trainFrauds).toBeGreaterThan(10);
    expect(run.split.test).toBeGreaterThan(3000);
    expect(run.split.testFrauds).toBeGreaterThan(10);
    expect(run.split.excluded).toBeGreaterThan(0);
    expect(run.test.every((r) => r.day >= 44 && r.day < 51)).toBe(true);
  });

  it('the trained model beats the rules alone on the test week', () => {
    const [rules, model, blended] = run.results;
    expect(rules!.scorer).toMatch(/rules only/);
    expect(model!.rocAuc!).toBeGreaterThan(rules!.rocAuc! + 0.03);
    expect(blended!.rocAuc!).toBeGreaterThan(rules!.rocAuc! + 0.03);
    expect(blended!.averagePrecision!).toBeGreaterThan(1.5 * rules!.averagePrecision!);
    expect(blended!.cardPrecision!).toBeGreaterThanOrEqual(rules!.cardPrecision!);
  });

  it("ranks the test week better than the handbook's own 15 features fitted on the same transactions", () => {
    const [, , blended] = run.results;
    const [logistic, trees] = run.baselines;
    expect(logistic!.scorer).toMatch(/Logistic regression/);
    expect(trees!.scorer).toMatch(/Gradient-boosted trees/);
    for (const baseline of [logistic!, trees!]) {
      expect(blended!.rocAuc!).toBeGreaterThan(baseline.rocAuc!);
      expect(blended!.averagePrecision!).toBeGreaterThan(baseline.averagePrecision!);
    }
  });

  it('learns the terminal risk from late labels: the merchant fraud counts are among what the trees use', () => {
    const used = new Set(
      run.model.trees.flatMap((t) => t.feature.filter((f) => f >= 0).map((f) => run.model.featureNames[f])),
    );
    expect([...used].some((f) => f?.startsWith('merchant_fraud') || f?.startsWith('merchant_settled'))).toBe(true);
    expect(used.has('amount_usd')).toBe(true);
  });
});
