import { cardPrecisionAtK, prAuc, rocAuc } from '../model/evaluation.js';
import { modelProbability, trainModel, type TrainingExample } from '../model/model-training.js';
import type { GbdtModel, GbdtOptions } from '../model/gbdt.js';
import type { Risk } from '../risk.factory.js';
import type { CustomerKeyHasher } from '../risk-subject.js';
import { predictLogistic, trainLogistic } from '../model/logistic-regression.js';
import { predictGbdt, trainGbdt } from '../model/gbdt.js';
import { decide, defaultRuleSet } from '../rules/rules.js';
import { DAY_MS } from '../velocity/velocity-store.js';
import { handbookFeatureNames, handbookFeatures } from './handbook-baseline.js';
import { handbookRequest, simulateHandbook, type HandbookOptions } from './handbook-simulator.js';
import { replayStream, type ReplayedTransaction, type StreamTransaction } from './replay.js';

/**
 * The published baselines of the handbook's chapter 3.4 ("Baseline fraud detection system",
 * section "Performances using standard prediction models", test set): the same simulator, training
 * week 2018-07-25 – 07-31, one-week delay, test week 2018-08-08 – 08-14, 15 engineered features.
 */
export const handbookPublishedBaselines = [
  { scorer: 'Logistic regression', rocAuc: 0.871, averagePrecision: 0.606, cardPrecision100: 0.291 },
  { scorer: 'Decision tree, depth 2', rocAuc: 0.763, averagePrecision: 0.496, cardPrecision100: 0.241 },
  { scorer: 'Decision tree, unlimited depth', rocAuc: 0.788, averagePrecision: 0.309, cardPrecision100: 0.243 },
  { scorer: 'Random forest', rocAuc: 0.867, averagePrecision: 0.658, cardPrecision100: 0.287 },
  { scorer: 'XGBoost', rocAuc: 0.862, averagePrecision: 0.639, cardPrecision100: 0.273 },
] as const;

export interface ProtocolOptions {
  /** First training day, counted from the stream's start (the handbook: 2018-07-25 is day 115). */
  trainStartDay: number;
  /** Scoring starts this many days before training: enough for the 30-day windows plus the delay (the days before are generated, not scored). */
  warmupDays: number;
  trainDays: number;
  delayDays: number;
  testDays: number;
  topK: number;
  gbdt?: Partial<GbdtOptions>;
}

/**
 * The handbook's windows. Scoring starts 38 days before training: the longest feature window (the
 * merchant's settled 30 days, which end LABEL_SETTLE_DAYS = 7 days before the transaction's day)
 * is full from the first training day on. The trees' depth and L2 penalty were chosen on seed 1
 * (`BENCH_HANDBOOK_TUNE=1 npm run bench -- handbook`); the figures in docs/benchmarks.md are seed 2's.
 */
export const handbookProtocol: ProtocolOptions = {
  trainStartDay: 115,
  warmupDays: 38,
  trainDays: 7,
  delayDays: 7,
  testDays: 7,
  topK: 100,
  gbdt: { maxDepth: 3, lambda: 5 },
};

/** The seed the trees were tuned on, and the seed the published figures come from (never tuned on). */
export const HANDBOOK_TUNING_SEED = 1;
export const HANDBOOK_REPORTED_SEED = 2;

export interface ScorerQuality {
  scorer: string;
  rocAuc: number | null;
  averagePrecision: number | null;
  cardPrecision: number | null;
}

export interface ProtocolSplit {
  train: ReplayedTransaction[];
  test: ReplayedTransaction[];
  /** Test transactions left out because their card was known compromised at (test day − delay). */
  excluded: number;
}

/**
 * The handbook's split: a training window, then the delay, then the test window, from which every
 * card with a fraud known by (test day − delay) — frauds from the training window on — is removed.
 */
export function protocolSplit(rows: ReplayedTransaction[], p: ProtocolOptions): ProtocolSplit {
  const testStart = p.trainStartDay + p.trainDays + p.delayDays;
  const train = rows.filter((r) => r.day >= p.trainStartDay && r.day < p.trainStartDay + p.trainDays);
  const frauds = rows
    .filter((r) => r.label === 1 && r.day >= p.trainStartDay)
    .map((r) => ({ card: r.card, day: r.day }));
  const test: ReplayedTransaction[] = [];
  let excluded = 0;
  for (let day = testStart; day < testStart + p.testDays; day++) {
    const known = new Set(frauds.filter((f) => f.day < day - p.delayDays).map((f) => f.card));
    for (const r of rows) {
      if (r.day !== day) continue;
      if (known.has(r.card)) excluded++;
      else test.push(r);
    }
  }
  return { train, test, excluded };
}

export const examplesOf = (rows: ReplayedTransaction[]): TrainingExample[] =>
  rows.map((r) => ({ features: r.features, label: r.label }));

/** Rules alone (the default rule set, no model), the model alone, and both as Paylens blends them. */
export function scorerQualities(test: ReplayedTransaction[], model: GbdtModel | null, topK: number): ScorerQuality[] {
  const measure = (scorer: string, score: (r: ReplayedTransaction) => number): ScorerQuality => {
    const items = test.map((r) => ({ score: score(r), label: r.label, day: r.day, card: r.card }));
    return {
      scorer,
      rocAuc: rocAuc(items),
      averagePrecision: prAuc(items),
      cardPrecision: cardPrecisionAtK(items, topK),
    };
  };
  const out = [measure('rules only (default rule set)', (r) => decide(defaultRuleSet, r.features, null, null).score)];
  if (model) {
    const versioned = { version: 1, model };
    out.push(measure('model only (gradient-boosted trees)', (r) => modelProbability(versioned, r.features)!));
    out.push(
      measure(
        `rules + model (modelWeight ${defaultRuleSet.modelWeight}, as scored)`,
        (r) => decide(defaultRuleSet, r.features, modelProbability(versioned, r.features), 1).score,
      ),
    );
  }
  return out;
}

/**
 * The handbook's own features on the same transactions and windows, fitted with Paylens's logistic
 * regression and trees: what its baselines reach on this very data (the published figures come from
 * the handbook's own draw of the simulator).
 */
export function baselineQualities(scored: ScoredHandbook, p: ProtocolOptions): ScorerQuality[] {
  const { train, test } = scored.split;
  const x = (rows: ReplayedTransaction[]) => rows.map((r) => scored.baselineFeatures.get(r.transactionId)!);
  const [xTrain, xTest] = [x(train), x(test)];
  const labels = train.map((r) => r.label);
  const lr = trainLogistic(handbookFeatureNames, xTrain, labels);
  const trees = trainGbdt(handbookFeatureNames, xTrain, labels, p.gbdt);
  const measure = (scorer: string, scores: number[]): ScorerQuality => {
    const items = test.map((r, i) => ({ score: scores[i]!, label: r.label, day: r.day, card: r.card }));
    return {
      scorer,
      rocAuc: rocAuc(items),
      averagePrecision: prAuc(items),
      cardPrecision: cardPrecisionAtK(items, p.topK),
    };
  };
  return [
    measure(
      'Logistic regression',
      xTest.map((v) => predictLogistic(lr, v)),
    ),
    measure(
      `Gradient-boosted trees (${JSON.stringify(p.gbdt ?? {})})`,
      xTest.map((v) => predictGbdt(trees, v)),
    ),
  ];
}

export interface HandbookStream {
  stream: StreamTransaction[];
  transactions: number;
  frauds: number;
  byScenario: [number, number, number];
  /** The handbook's own 15 features of the transactions from the training window on, by transaction id. */
  baselineFeatures: Map<string, number[]>;
}

/** The handbook's transactions up to the end of the protocol's test window (from the warm-up on), as Paylens score requests; counts cover every generated day. */
export function handbookStream(sim: Partial<HandbookOptions>, p: ProtocolOptions): HandbookStream {
  const days = p.trainStartDay + p.trainDays + p.delayDays + p.testDays;
  const seed = sim.seed ?? 0;
  const txs = simulateHandbook({ ...sim, days });
  const byScenario: [number, number, number] = [0, 0, 0];
  for (const t of txs) if (t.scenario > 0) byScenario[t.scenario - 1]! += 1;
  const first = Math.max(0, p.trainStartDay - p.warmupDays);
  const baseline = handbookFeatures(txs, p.delayDays);
  const baselineFeatures = new Map<string, number[]>();
  txs.forEach((t, i) => {
    if (t.day >= p.trainStartDay) baselineFeatures.set(handbookRequest(t, seed).transactionId, baseline[i]!);
  });
  return {
    stream: txs
      .filter((t) => t.day >= first)
      .map((t) => ({ request: handbookRequest(t, seed), fraud: t.fraud, card: String(t.customer), day: t.day })),
    transactions: txs.length,
    frauds: byScenario[0] + byScenario[1] + byScenario[2],
    byScenario,
    baselineFeatures,
  };
}

/** The stream scored in event-time order, split as the protocol says. */
export interface ScoredHandbook extends HandbookStream {
  split: ProtocolSplit;
  scoreSeconds: number;
}

/**
 * Every transaction scored in event-time order through `risk` (labels reach its label-risk store
 * after the delay), split into the protocol's training and test windows.
 */
export async function scoreHandbook(
  risk: Risk,
  tenantId: string,
  hash: CustomerKeyHasher,
  sim: Partial<HandbookOptions>,
  p: ProtocolOptions = handbookProtocol,
): Promise<ScoredHandbook> {
  const hb = handbookStream(sim, p);
  const t0 = performance.now();
  const rows = await replayStream(risk, tenantId, hash, hb.stream, {
    labelDelayMs: p.delayDays * DAY_MS,
    keep: (t) => t.day >= p.trainStartDay,
  });
  return { ...hb, split: protocolSplit(rows, p), scoreSeconds: (performance.now() - t0) / 1000 };
}

export interface HandbookRun extends Omit<HandbookStream, 'baselineFeatures'> {
  /** The test window as scored, for measuring other scorers on it. */
  test: ReplayedTransaction[];
  split: { train: number; trainFrauds: number; test: number; testFrauds: number; excluded: number };
  /** Paylens: rules, model, both. */
  results: ScorerQuality[];
  /** The handbook's features on the same transactions (baselineQualities). */
  baselines: ScorerQuality[];
  model: GbdtModel;
  scoreSeconds: number;
  trainSeconds: number;
}

/**
 * The model trained on the training window's features and labels as scored, and rules / model / both
 * measured on the test window (and, unless told not to, the handbook's features on the same windows).
 */
export function fitHandbook(
  scored: ScoredHandbook,
  p: ProtocolOptions = handbookProtocol,
  withBaselines = true,
): HandbookRun {
  const { split } = scored;
  const t1 = performance.now();
  const model = trainModel(examplesOf(split.train), p.gbdt);
  const trainSeconds = (performance.now() - t1) / 1000;
  return {
    stream: scored.stream,
    transactions: scored.transactions,
    frauds: scored.frauds,
    byScenario: scored.byScenario,
    test: split.test,
    split: {
      train: split.train.length,
      trainFrauds: split.train.filter((r) => r.label === 1).length,
      test: split.test.length,
      testFrauds: split.test.filter((r) => r.label === 1).length,
      excluded: split.excluded,
    },
    results: scorerQualities(split.test, model, p.topK),
    baselines: withBaselines ? baselineQualities(scored, p) : [],
    model,
    scoreSeconds: scored.scoreSeconds,
    trainSeconds,
  };
}

/** The whole benchmark: scoreHandbook, then fitHandbook. */
export async function runHandbookBenchmark(
  risk: Risk,
  tenantId: string,
  hash: CustomerKeyHasher,
  sim: Partial<HandbookOptions>,
  p: ProtocolOptions = handbookProtocol,
): Promise<HandbookRun> {
  return fitHandbook(await scoreHandbook(risk, tenantId, hash, sim, p), p);
}

const f3 = (v: number | null) => (v === null ? '–' : v.toFixed(3));

/** The benchmark as a Markdown table: the handbook's published baselines, then Paylens on the same protocol. */
export function handbookTable(run: HandbookRun, p: ProtocolOptions = handbookProtocol): string[] {
  const testStart = p.trainStartDay + p.trainDays + p.delayDays;
  return [
    `${run.transactions} transactions over ${testStart + p.testDays} days, ${run.frauds} fraud (${((100 * run.frauds) / run.transactions).toFixed(2)} %: scenario 1 ${run.byScenario[0]}, 2 ${run.byScenario[1]}, 3 ${run.byScenario[2]}); scored from day ${Math.max(0, p.trainStartDay - p.warmupDays)} in ${run.scoreSeconds.toFixed(1)} s, each fraud labelled ${p.delayDays} days after it happened`,
    `train days ${p.trainStartDay}–${p.trainStartDay + p.trainDays - 1}: ${run.split.train} tx, ${run.split.trainFrauds} fraud (${run.model.trees.length} trees in ${run.trainSeconds.toFixed(1)} s); test days ${testStart}–${testStart + p.testDays - 1}: ${run.split.test} tx, ${run.split.testFrauds} fraud (${run.split.excluded} left out: cards known compromised)`,
    '',
    `| scorer | ROC AUC | average precision | card precision@${p.topK} |`,
    '|---|---:|---:|---:|',
    ...handbookPublishedBaselines.map(
      (b) =>
        `| handbook (published): ${b.scorer} | ${b.rocAuc.toFixed(3)} | ${b.averagePrecision.toFixed(3)} | ${b.cardPrecision100.toFixed(3)} |`,
    ),
    ...run.baselines.map(
      (q) =>
        `| handbook's 15 features, these transactions: ${q.scorer} | ${f3(q.rocAuc)} | ${f3(q.averagePrecision)} | ${f3(q.cardPrecision)} |`,
    ),
    ...run.results.map(
      (q) => `| Paylens: ${q.scorer} | ${f3(q.rocAuc)} | ${f3(q.averagePrecision)} | ${f3(q.cardPrecision)} |`,
    ),
  ];
}
