import { precisionRecall } from '../model/evaluation.js';
import { isFraud, storedHits } from '../model/model-training.js';
import type { StoredAssessment } from '../risk.repository.js';
import { decide, decisions, type Decision, type RuleSet } from './rules.js';

export interface BacktestSide {
  decisions: Record<Decision, number>;
  /** Against labels, when any: "flagged" means review or decline; "declined" means decline only. */
  flagged: { precision: number | null; recall: number | null };
  declined: { precision: number | null; recall: number | null };
}

export interface BacktestReport {
  transactions: number;
  labeled: number;
  changed: number;
  transitions: Record<string, number>;
  before: BacktestSide;
  after: BacktestSide;
}

function side(items: { decision: Decision; label: 0 | 1 | null }[]): BacktestSide {
  const counts = Object.fromEntries(decisions.map((d) => [d, 0])) as Record<Decision, number>;
  for (const i of items) counts[i.decision]++;
  const labeled = items.filter((i): i is { decision: Decision; label: 0 | 1 } => i.label !== null);
  return {
    decisions: counts,
    flagged: precisionRecall(labeled, (i) => i.decision !== 'approve'),
    declined: precisionRecall(labeled, (i) => i.decision === 'decline'),
  };
}

/**
 * Replays a candidate rule set over stored assessments: their features as they were at scoring
 * time and the model probability then used, so only the rules (and thresholds) change.
 */
export function backtest(history: StoredAssessment[], candidate: RuleSet): BacktestReport {
  const transitions: Record<string, number> = {};
  let changed = 0;
  const before: { decision: Decision; label: 0 | 1 | null }[] = [];
  const after: { decision: Decision; label: 0 | 1 | null }[] = [];
  for (const a of history) {
    const label = a.label === null ? null : isFraud(a.label);
    const verdict = decide(candidate, a.features, a.modelScore, a.modelVersion, storedHits(a.features));
    before.push({ decision: a.decision, label });
    after.push({ decision: verdict.decision, label });
    if (verdict.decision !== a.decision) {
      changed++;
      const key = `${a.decision}->${verdict.decision}`;
      transitions[key] = (transitions[key] ?? 0) + 1;
    }
  }
  return {
    transactions: history.length,
    labeled: history.filter((a) => a.label !== null).length,
    changed,
    transitions,
    before: side(before),
    after: side(after),
  };
}
