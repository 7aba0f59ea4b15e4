import { predictLogistic, transformValue, type LogisticModel } from './logistic-regression.js';
import { explainGbdt, predictGbdt, type GbdtModel } from './gbdt.js';

/**
 * A stored model version: gradient-boosted trees (`kind: 'gbdt'`, what training makes now) or a
 * logistic regression (versions stored before the trees carry no `kind` and still load).
 */
export type RiskModel = GbdtModel | (LogisticModel & { kind?: 'logistic' });

export const isGbdt = (model: RiskModel): model is GbdtModel => model.kind === 'gbdt';

export function predictModel(model: RiskModel, values: number[]): number {
  return isGbdt(model) ? predictGbdt(model, values) : predictLogistic(model, values);
}

/** One feature's push on the fraud log-odds for one transaction (positive: towards fraud). */
export interface Contribution {
  feature: string;
  value: number;
  contribution: number;
}

/**
 * Signed contributions in log-odds, largest first (trees: path contributions; logistic
 * regression: weight × standardized value). `expected` plus all of them is logit(p).
 */
export function explainModel(model: RiskModel, values: number[]): { expected: number; contributions: Contribution[] } {
  let expected: number;
  let raw: number[];
  if (isGbdt(model)) {
    ({ expected, contributions: raw } = explainGbdt(model, values));
  } else {
    expected = model.bias;
    raw = model.weights.map((w, j) => w * ((transformValue(values[j] ?? 0) - model.means[j]!) / model.stds[j]!));
  }
  const contributions = raw
    .map((contribution, j) => ({ feature: model.featureNames[j]!, value: values[j] ?? 0, contribution }))
    .filter((c) => c.contribution !== 0)
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return { expected, contributions };
}
