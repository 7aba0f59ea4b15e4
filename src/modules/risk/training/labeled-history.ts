import type { QualityReport } from '../model/model-training.js';
import type { StoredAssessment } from '../risk.repository.js';

/**
 * A rescore replaces, never doubles, a transaction: fed rows in event-time order, the map keeps each
 * transaction's latest assessment, at that assessment's place in the order.
 */
export function keepLatest(latest: Map<string, StoredAssessment>, assessment: StoredAssessment): void {
  latest.delete(assessment.transactionId);
  latest.set(assessment.transactionId, assessment);
}

/** The share of the labelled period (the most recent transactions) a new model is judged on. */
export const HOLDOUT_FRACTION = 0.2;

export interface HoldoutSplit {
  train: StoredAssessment[];
  holdout: StoredAssessment[];
  /** Event times of the held-out window: `from` inclusive, `to` the last transaction's time. */
  holdoutFrom: Date;
  holdoutTo: Date;
}

const classesOf = (items: StoredAssessment[]) => ({
  frauds: items.filter((a) => a.label !== null && a.label !== 'legit').length,
  legit: items.filter((a) => a.label === 'legit').length,
});

/**
 * Holds out the most recent slice of the labelled period by event time, so a new model is judged on
 * transactions later than any it learned from, as it will be used. The cut never splits one instant.
 * Both sides need both classes: a model cannot be fitted, nor an AUC computed, on one class.
 */
export function splitByEventTime(
  labeled: readonly StoredAssessment[],
  fraction = HOLDOUT_FRACTION,
): HoldoutSplit | { problem: string } {
  const sorted = [...labeled].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  let cut = Math.min(sorted.length - 1, Math.floor(sorted.length * (1 - fraction)));
  while (cut > 0 && cut < sorted.length && sorted[cut]!.occurredAt.getTime() === sorted[cut - 1]!.occurredAt.getTime())
    cut++;
  const train = sorted.slice(0, cut);
  const holdout = sorted.slice(cut);
  const t = classesOf(train);
  const h = classesOf(holdout);
  if (t.frauds === 0 || t.legit === 0 || h.frauds === 0 || h.legit === 0) {
    return {
      problem:
        `training needs labelled frauds (fraud or chargeback) and legit transactions both before and in the held-out window ` +
        `(the most recent ${Math.round(fraction * 100)} % by event time); found ${t.frauds} fraud / ${t.legit} legit before it and ${h.frauds} / ${h.legit} in it`,
    };
  }
  return { train, holdout, holdoutFrom: holdout[0]!.occurredAt, holdoutTo: holdout.at(-1)!.occurredAt };
}

export interface ActivationVerdict {
  activate: boolean;
  reason: string;
}

const f3 = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));

/**
 * A new version replaces the active configuration only if it ranks the held-out transactions at
 * least as well by both ROC AUC and average precision, and strictly better by one: a model that
 * gains on one measure by losing on the other is kept, not activated.
 */
export function judge(candidate: QualityReport, active: QualityReport, activeName: string): ActivationVerdict {
  const measures = `held-out ROC AUC ${f3(candidate.rocAuc)} vs ${f3(active.rocAuc)}, average precision ${f3(candidate.prAuc)} vs ${f3(active.prAuc)} for ${activeName}`;
  if (candidate.rocAuc === null || candidate.prAuc === null || active.rocAuc === null || active.prAuc === null) {
    return { activate: false, reason: `${measures}: not comparable, kept inactive` };
  }
  const notWorse = candidate.rocAuc >= active.rocAuc && candidate.prAuc >= active.prAuc;
  const better = candidate.rocAuc > active.rocAuc || candidate.prAuc > active.prAuc;
  if (notWorse && better) return { activate: true, reason: `${measures}: better, activated` };
  const lower = [
    candidate.rocAuc < active.rocAuc ? 'ROC AUC' : null,
    candidate.prAuc < active.prAuc ? 'average precision' : null,
  ].filter((m) => m !== null);
  return {
    activate: false,
    reason: `${measures}: ${lower.length > 0 ? `lower ${lower.join(' and ')}` : 'no better'}, kept inactive`,
  };
}
