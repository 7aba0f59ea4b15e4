import { seededRandom } from '../simulation/traffic-simulator.js';

/**
 * Gradient-boosted regression trees on the logistic loss (second-order, XGBoost-style gains),
 * grown level by level over per-feature histograms, with Platt calibration fitted on the latest
 * slice of the training examples. Pure and deterministic: the same rows, options and seed give the
 * same model, bit for bit. A model is plain JSON (stored as a model version).
 */
export interface GbdtOptions {
  trees: number;
  maxDepth: number;
  learningRate: number;
  /** L2 penalty on leaf values. */
  lambda: number;
  /** A split must leave at least this much hessian (≈ examples × p(1−p)) on each side. */
  minChildHessian: number;
  /** Unsupervised candidate thresholds per feature (row quantiles and distinct values); class boundaries come on top. */
  maxBins: number;
  /** Share of rows each tree sees, drawn with the seed; 1 uses every row. */
  subsample: number;
  seed: number;
  /** Share of the examples, the latest ones, held out to fit the calibration. */
  calibrationShare: number;
}

export const defaultGbdtOptions: GbdtOptions = {
  trees: 150,
  maxDepth: 4,
  learningRate: 0.1,
  lambda: 1,
  minChildHessian: 0.5,
  maxBins: 128,
  subsample: 1,
  seed: 1,
  calibrationShare: 0.2,
};

/** One tree as flat arrays; node 0 is the root, `feature` −1 marks a leaf. Every node keeps its value, for path contributions. */
export interface GbdtTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface GbdtModel {
  kind: 'gbdt';
  featureNames: string[];
  /** Log-odds every tree adds to. */
  base: number;
  trees: GbdtTree[];
  /** Platt scaling of the margin: p = σ(a·margin + b), a > 0 so the order is kept. */
  calibration: { a: number; b: number };
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Bins are 16-bit: the unsupervised cuts plus the class boundaries stay under this many. */
const MAX_CUTS = 65_535;

/**
 * Thresholds of one feature: x ≤ t[k] falls in bin ≤ k. Midpoints between distinct values when
 * few; otherwise cuts at row quantiles (where most traffic is), cuts spread over the distinct values
 * (so a rare tail gets its own), and every class boundary: the midpoint between neighbouring values
 * unless both hold examples of one and the same class. A split that best separates the classes only
 * ever falls on such a boundary (Fayyad & Irani), so a rule such as "every amount above 220 is fraud"
 * gets its exact cut however few examples lie near it.
 */
function thresholdsOf(values: Float64Array, labels: ArrayLike<number>, maxBins: number): number[] {
  const order = Int32Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const distinct: number[] = [];
  /** Per distinct value: 1 legitimate only, 2 fraud only, 3 both. */
  const classes: number[] = [];
  for (const i of order) {
    const v = values[i]!;
    const c = labels[i] === 1 ? 2 : 1;
    if (distinct.length === 0 || distinct[distinct.length - 1] !== v) {
      distinct.push(v);
      classes.push(c);
    } else classes[classes.length - 1]! |= c;
  }
  const midpoint = (k: number) => (distinct[k]! + distinct[k + 1]!) / 2;
  if (distinct.length <= maxBins) return distinct.slice(0, -1).map((_, k) => midpoint(k));
  const cuts = new Set<number>();
  const half = Math.floor(maxBins / 2);
  for (let q = 1; q < half; q++) cuts.add(values[order[Math.floor((q * order.length) / half)]!]!);
  for (let q = 1; q < maxBins - half; q++) cuts.add(distinct[Math.floor((q * distinct.length) / (maxBins - half))]!);
  for (let k = 0; k + 1 < distinct.length && cuts.size < MAX_CUTS; k++)
    if (classes[k] === 3 || classes[k] !== classes[k + 1]) cuts.add(midpoint(k));
  const top = distinct[distinct.length - 1]!;
  return [...cuts].filter((v) => v < top).sort((a, b) => a - b);
}

function binOf(thresholds: number[], x: number): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= thresholds[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface GrowingNode {
  index: number;
  rows: Int32Array;
  g: number;
  h: number;
  depth: number;
}

/** Fits trees to the gradients of the current margins; returns the margins' increments per training row. */
function growTree(
  bins: Uint16Array[],
  thresholds: number[][],
  grad: Float64Array,
  hess: Float64Array,
  rows: Int32Array,
  o: GbdtOptions,
): { tree: GbdtTree; leafOf: Map<number, Int32Array> } {
  const tree: GbdtTree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const leafOf = new Map<number, Int32Array>();
  const newNode = (g: number, h: number) => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push((-g / (h + o.lambda)) * o.learningRate);
    return tree.feature.length - 1;
  };
  let g0 = 0;
  let h0 = 0;
  for (const r of rows) {
    g0 += grad[r]!;
    h0 += hess[r]!;
  }
  let level: GrowingNode[] = [{ index: newNode(g0, h0), rows, g: g0, h: h0, depth: 0 }];
  const maxBins = Math.max(1, ...thresholds.map((t) => t.length + 1));
  const hg = new Float64Array(maxBins);
  const hh = new Float64Array(maxBins);
  while (level.length > 0) {
    const next: GrowingNode[] = [];
    for (const node of level) {
      if (node.depth >= o.maxDepth || node.rows.length < 2) {
        leafOf.set(node.index, node.rows);
        continue;
      }
      const parentScore = (node.g * node.g) / (node.h + o.lambda);
      let bestGain = 1e-12;
      let bestFeature = -1;
      let bestBin = -1;
      for (let j = 0; j < bins.length; j++) {
        const nb = thresholds[j]!.length + 1;
        if (nb < 2) continue;
        hg.fill(0, 0, nb);
        hh.fill(0, 0, nb);
        const col = bins[j]!;
        for (const r of node.rows) {
          const b = col[r]!;
          hg[b]! += grad[r]!;
          hh[b]! += hess[r]!;
        }
        let gl = 0;
        let hl = 0;
        for (let k = 0; k < nb - 1; k++) {
          gl += hg[k]!;
          hl += hh[k]!;
          const gr = node.g - gl;
          const hr = node.h - hl;
          if (hl < o.minChildHessian || hr < o.minChildHessian) continue;
          const gain = (gl * gl) / (hl + o.lambda) + (gr * gr) / (hr + o.lambda) - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = j;
            bestBin = k;
          }
        }
      }
      if (bestFeature < 0) {
        leafOf.set(node.index, node.rows);
        continue;
      }
      const col = bins[bestFeature]!;
      let nLeft = 0;
      for (const r of node.rows) if (col[r]! <= bestBin) nLeft++;
      const leftRows = new Int32Array(nLeft);
      const rightRows = new Int32Array(node.rows.length - nLeft);
      let gl = 0;
      let hl = 0;
      let li = 0;
      let ri = 0;
      for (const r of node.rows) {
        if (col[r]! <= bestBin) {
          leftRows[li++] = r;
          gl += grad[r]!;
          hl += hess[r]!;
        } else rightRows[ri++] = r;
      }
      const left = newNode(gl, hl);
      const right = newNode(node.g - gl, node.h - hl);
      tree.feature[node.index] = bestFeature;
      tree.threshold[node.index] = thresholds[bestFeature]![bestBin]!;
      tree.left[node.index] = left;
      tree.right[node.index] = right;
      next.push({ index: left, rows: leftRows, g: gl, h: hl, depth: node.depth + 1 });
      next.push({ index: right, rows: rightRows, g: node.g - gl, h: node.h - hl, depth: node.depth + 1 });
    }
    level = next;
  }
  return { tree, leafOf };
}

function treeLeaf(tree: GbdtTree, values: ArrayLike<number>): number {
  let n = 0;
  while (tree.feature[n]! >= 0)
    n = (values[tree.feature[n]!] ?? 0) <= tree.threshold[n]! ? tree.left[n]! : tree.right[n]!;
  return n;
}

/** The raw log-odds before calibration. */
export function gbdtMargin(model: GbdtModel, values: ArrayLike<number>): number {
  let m = model.base;
  for (const tree of model.trees) m += tree.value[treeLeaf(tree, values)]!;
  return m;
}

/** Calibrated fraud probability. */
export function predictGbdt(model: GbdtModel, values: ArrayLike<number>): number {
  return sigmoid(model.calibration.a * gbdtMargin(model, values) + model.calibration.b);
}

/**
 * Path contributions (Saabas): each split on the way to a leaf moves the prediction from the
 * node's value to the child's, and that move is credited to the split's feature. In calibrated
 * log-odds, `expected + Σ contributions` is exactly logit(p).
 */
export function explainGbdt(
  model: GbdtModel,
  values: ArrayLike<number>,
): { expected: number; contributions: number[] } {
  const contributions = new Array<number>(model.featureNames.length).fill(0);
  let bias = model.base;
  for (const tree of model.trees) {
    let n = 0;
    bias += tree.value[0]!;
    while (tree.feature[n]! >= 0) {
      const child = (values[tree.feature[n]!] ?? 0) <= tree.threshold[n]! ? tree.left[n]! : tree.right[n]!;
      contributions[tree.feature[n]!]! += tree.value[child]! - tree.value[n]!;
      n = child;
    }
  }
  const { a, b } = model.calibration;
  return { expected: a * bias + b, contributions: contributions.map((c) => a * c) };
}

/**
 * Platt scaling by Newton's method on (a, b), with Platt's smoothed targets so a small slice does
 * not drive probabilities to 0 or 1. Falls back to the identity when the slice lacks a class or
 * the fit would reverse the order.
 */
export function fitPlatt(margins: ArrayLike<number>, labels: ArrayLike<number>): { a: number; b: number } {
  const n = margins.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i]!;
  if (pos === 0 || pos === n) return { a: 1, b: 0 };
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (n - pos + 2);
  let a = 1;
  let b = 0;
  for (let it = 0; it < 100; it++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < n; i++) {
      const m = margins[i]!;
      const p = sigmoid(a * m + b);
      const e = p - (labels[i] === 1 ? hi : lo);
      const w = p * (1 - p);
      ga += e * m;
      gb += e;
      haa += w * m * m;
      hab += w * m;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  return Number.isFinite(a) && Number.isFinite(b) && a > 0 ? { a, b } : { a: 1, b: 0 };
}

/**
 * Trains on rows in event-time order (the latest `calibrationShare` of them fit the calibration,
 * as the model will meet later traffic). Labels are 1 for fraud, 0 for legitimate.
 */
export function trainGbdt(
  featureNames: string[],
  rows: number[][],
  labels: number[],
  options: Partial<GbdtOptions> = {},
): GbdtModel {
  const o: GbdtOptions = { ...defaultGbdtOptions, ...options };
  if (rows.length === 0) throw new Error('no training rows');
  if (rows.length !== labels.length) throw new Error('rows and labels differ in length');
  const d = featureNames.length;
  const held = rows.length >= 50 ? Math.floor(rows.length * o.calibrationShare) : 0;
  const n = rows.length - held;

  const thresholds: number[][] = [];
  const bins: Uint16Array[] = [];
  const column = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) column[i] = rows[i]![j] ?? 0;
    const t = thresholdsOf(column, labels, Math.min(MAX_CUTS, Math.max(2, o.maxBins)));
    thresholds.push(t);
    const col = new Uint16Array(n);
    for (let i = 0; i < n; i++) col[i] = binOf(t, column[i]!);
    bins.push(col);
  }

  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i]!;
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, pos / n));
  const base = Math.log(prior / (1 - prior));
  const margin = new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const rnd = seededRandom(o.seed);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const trees: GbdtTree[] = [];
  for (let t = 0; t < o.trees; t++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margin[i]!);
      grad[i] = p - labels[i]!;
      hess[i] = Math.max(p * (1 - p), 1e-12);
    }
    const rowsOfTree = o.subsample < 1 ? all.filter(() => rnd() < o.subsample) : all;
    const { tree, leafOf } = growTree(bins, thresholds, grad, hess, rowsOfTree, o);
    trees.push(tree);
    if (rowsOfTree === all) {
      for (const [leaf, leafRows] of leafOf) for (const r of leafRows) margin[r]! += tree.value[leaf]!;
    } else {
      for (let i = 0; i < n; i++) margin[i]! += tree.value[treeLeaf(tree, rows[i]!)]!;
    }
  }
  const model: GbdtModel = { kind: 'gbdt', featureNames: [...featureNames], base, trees, calibration: { a: 1, b: 0 } };
  if (held > 0) {
    const heldMargins = rows.slice(n).map((r) => gbdtMargin(model, r));
    model.calibration = fitPlatt(heldMargins, labels.slice(n));
  }
  return model;
}

/** How many splits each feature makes across the trees, most used first (a plain reading of what the model looks at). */
export function gbdtSplitCounts(model: GbdtModel): { feature: string; splits: number }[] {
  const counts = new Array<number>(model.featureNames.length).fill(0);
  for (const tree of model.trees) for (const f of tree.feature) if (f >= 0) counts[f]!++;
  return counts
    .map((splits, j) => ({ feature: model.featureNames[j]!, splits }))
    .filter((c) => c.splits > 0)
    .sort((a, b) => b.splits - a.splits);
}
