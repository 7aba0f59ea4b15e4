/** A fitted model: standardization, weights and bias over named features. */
export interface LogisticModel {
  featureNames: string[];
  means: number[];
  stds: number[];
  weights: number[];
  bias: number;
}

export interface TrainOptions {
  /** L2 penalty on the weights (not the bias). */
  l2: number;
  learningRate: number;
  iterations: number;
}

export const defaultTrainOptions: TrainOptions = { l2: 0.001, learningRate: 0.5, iterations: 600 };

/** Heavy-tailed counts and amounts are compressed before standardization so one outlier does not set the scale. */
export function transformValue(value: number): number {
  return Math.sign(value) * Math.log1p(Math.abs(value));
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * Logistic regression by full-batch gradient descent on standardized features with L2. Zero
 * initialization and a fixed number of iterations make it deterministic: the same data gives the
 * same model, bit for bit. Positive examples are weighted up to balance the classes, because fraud is rare.
 */
export function trainLogistic(
  featureNames: string[],
  rows: number[][],
  labels: number[],
  options: TrainOptions = defaultTrainOptions,
): LogisticModel {
  if (rows.length === 0) throw new Error('no training rows');
  if (rows.length !== labels.length) throw new Error('rows and labels differ in length');
  const d = featureNames.length;
  const n = rows.length;
  const x = rows.map((r) => r.map(transformValue));
  const means = new Array<number>(d).fill(0);
  const stds = new Array<number>(d).fill(0);
  for (const r of x) for (let j = 0; j < d; j++) means[j]! += r[j]! / n;
  for (const r of x) for (let j = 0; j < d; j++) stds[j]! += (r[j]! - means[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) stds[j] = Math.sqrt(stds[j]!) || 1;
  const z = x.map((r) => r.map((v, j) => (v - means[j]!) / stds[j]!));

  const positives = labels.filter((l) => l === 1).length;
  const negatives = n - positives;
  const posWeight = positives > 0 && negatives > 0 ? negatives / positives : 1;
  const sampleWeight = labels.map((l) => (l === 1 ? posWeight : 1));
  const totalWeight = sampleWeight.reduce((a, b) => a + b, 0);

  const weights = new Array<number>(d).fill(0);
  let bias = 0;
  const grad = new Array<number>(d);
  for (let it = 0; it < options.iterations; it++) {
    grad.fill(0);
    let gradBias = 0;
    for (let i = 0; i < n; i++) {
      const row = z[i]!;
      let s = bias;
      for (let j = 0; j < d; j++) s += weights[j]! * row[j]!;
      const err = (sigmoid(s) - labels[i]!) * sampleWeight[i]!;
      gradBias += err;
      for (let j = 0; j < d; j++) grad[j]! += err * row[j]!;
    }
    for (let j = 0; j < d; j++)
      weights[j]! -= options.learningRate * (grad[j]! / totalWeight + options.l2 * weights[j]!);
    bias -= options.learningRate * (gradBias / totalWeight);
  }
  return { featureNames: [...featureNames], means, stds, weights, bias };
}

export function predictLogistic(model: LogisticModel, values: number[]): number {
  let s = model.bias;
  for (let j = 0; j < model.weights.length; j++)
    s += model.weights[j]! * ((transformValue(values[j] ?? 0) - model.means[j]!) / model.stds[j]!);
  return sigmoid(s);
}
