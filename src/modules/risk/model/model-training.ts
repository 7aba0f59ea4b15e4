import { atThreshold, prAuc, rocAuc, type AtThreshold, type Scored } from './evaluation.js';
import { featureNames, type Features } from '../features.js';
import { trainGbdt, type GbdtModel, type GbdtOptions } from './gbdt.js';
import { explainModel, predictModel, type Contribution, type RiskModel } from './risk-model.js';
import type { LabelValue, StoredAssessment } from '../risk.repository.js';
import { decide, type ListHit, type Reason, type RuleSet } from '../rules/rules.js';

/** The model learns from behaviour only: list hits are overrides, and a missing history (an outage) is no evidence either. */
export const modelFeatureNames = featureNames.filter(
  (n) => n !== 'list_block' && n !== 'list_allow' && n !== 'velocity_degraded',
);

export const isFraud = (label: LabelValue): 0 | 1 => (label === 'legit' ? 0 : 1);

export function featureVector(features: Features, names: readonly string[] = modelFeatureNames): number[] {
  return names.map((n) => features[n as keyof Features] ?? 0);
}

/** One labelled transaction as training sees it. */
export interface TrainingExample {
  features: Features;
  label: 0 | 1;
}

/**
 * The training entry point (the CLI, the server's training worker and the benchmarks call it):
 * gradient-boosted trees over the model features, calibrated on the latest fifth of the
 * examples, so pass them in event-time order. Pure and deterministic.
 */
export function trainModel(examples: TrainingExample[], options: Partial<GbdtOptions> = {}): GbdtModel {
  return trainGbdt(
    [...modelFeatureNames],
    examples.map((e) => featureVector(e.features)),
    examples.map((e) => e.label),
    options,
  );
}

/** Trains on the labelled ones among stored assessments (they come in event-time order). */
export function trainOnAssessments(labeled: StoredAssessment[], options: Partial<GbdtOptions> = {}): GbdtModel {
  return trainModel(
    labeled.filter((a) => a.label !== null).map((a) => ({ features: a.features, label: isFraud(a.label!) })),
    options,
  );
}

export interface QualityReport {
  transactions: number;
  frauds: number;
  rocAuc: number | null;
  prAuc: number | null;
  review: AtThreshold;
  decline: AtThreshold;
}

export function quality(items: Scored[], review: number, decline: number): QualityReport {
  return {
    transactions: items.length,
    frauds: items.filter((i) => i.label === 1).length,
    rocAuc: rocAuc(items),
    prAuc: prAuc(items),
    review: atThreshold(items, review),
    decline: atThreshold(items, decline),
  };
}

/** A model as scoring uses it: the fitted model and the version it is stored as. */
export interface VersionedModel {
  version: number;
  model: RiskModel;
}

/** The model's fraud probability for these features; null without a model. */
export function modelProbability(model: VersionedModel | null, features: Features): number | null {
  return model ? predictModel(model.model, featureVector(features, model.model.featureNames)) : null;
}

/** The features that pushed this transaction's probability most, either way (log-odds), at most `top`. */
export function modelSignals(model: VersionedModel, features: Features, top = 5): Contribution[] {
  return explainModel(model.model, featureVector(features, model.model.featureNames)).contributions.slice(0, top);
}

/**
 * A review or decline made with a model says why the model leaned as it did: the model's reason
 * (added when the rules alone carried the decision) gets its top signed signals.
 */
export function explainModelReason(
  reasons: Reason[],
  model: VersionedModel,
  features: Features,
  probability: number,
): void {
  const signals = modelSignals(model, features);
  const existing = reasons.find((r) => r.code === 'model');
  if (existing) existing.signals = signals;
  else
    reasons.push({
      code: 'model',
      message: `Model v${model.version} puts the fraud probability at ${Math.round(probability * 100)}%`,
      weight: Math.round(probability * 10_000) / 10_000,
      signals,
    });
}

/** Scores stored features again under a rule set and model, as the scorer would now (list hits kept from the stored flags). */
export function rescore(a: StoredAssessment, ruleSet: RuleSet, model: VersionedModel | null): number {
  return decide(
    ruleSet,
    a.features,
    modelProbability(model, a.features),
    model?.version ?? null,
    storedHits(a.features),
  ).score;
}

export function storedHits(features: Features): ListHit[] {
  const hits: ListHit[] = [];
  if (features.list_block === 1)
    hits.push({ type: 'stored', action: 'block', reason: 'on the block list when scored' });
  if (features.list_allow === 1)
    hits.push({ type: 'stored', action: 'allow', reason: 'on the allow list when scored' });
  return hits;
}

export interface VersionQuality extends QualityReport {
  rulesVersion: number | null;
  modelVersion: number | null;
  basis: 'as scored' | 'rescored with the active configuration';
}

/**
 * Quality per (rules version, model version) exactly as scored, plus the active configuration
 * replayed over all labeled history, so a freshly trained model is judged before new traffic arrives.
 */
export function evaluateVersions(
  labeled: StoredAssessment[],
  thresholdsOf: (rulesVersion: number) => RuleSet['thresholds'],
  active: { ruleSet: RuleSet; rulesVersion: number; model: VersionedModel | null },
): VersionQuality[] {
  const all = labeled.filter((a) => a.label !== null);
  const groups = new Map<string, StoredAssessment[]>();
  for (const a of all) {
    const key = `${a.rulesVersion}/${a.modelVersion ?? '-'}`;
    const group = groups.get(key);
    if (group) group.push(a);
    else groups.set(key, [a]);
  }
  const out: VersionQuality[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const t = thresholdsOf(first.rulesVersion);
    out.push({
      rulesVersion: first.rulesVersion,
      modelVersion: first.modelVersion,
      basis: 'as scored',
      ...quality(
        group.map((a) => ({ score: a.score, label: isFraud(a.label!) })),
        t.high,
        t.critical,
      ),
    });
  }
  out.sort((a, b) => (a.rulesVersion ?? 0) - (b.rulesVersion ?? 0) || (a.modelVersion ?? 0) - (b.modelVersion ?? 0));
  if (all.length > 0) {
    out.push({
      rulesVersion: active.rulesVersion,
      modelVersion: active.model?.version ?? null,
      basis: 'rescored with the active configuration',
      ...quality(
        all.map((a) => ({ score: rescore(a, active.ruleSet, active.model), label: isFraud(a.label!) })),
        active.ruleSet.thresholds.high,
        active.ruleSet.thresholds.critical,
      ),
    });
  }
  return out;
}
