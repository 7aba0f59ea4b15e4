import type { Features } from '../features.js';
import type { Risk } from '../risk.factory.js';
import { subjectFromRequest, type CustomerKeyHasher, type ScoreRequest } from '../risk-subject.js';

/** One labelled transaction of a generated stream, in event-time order. */
export interface StreamTransaction {
  request: ScoreRequest & { occurredAt: string };
  fraud: 0 | 1;
  /** The card (or customer) it charged, for card precision. */
  card: string;
  /** Day since the stream's start. */
  day: number;
}

/** What scoring saw: the features as computed at the time, with the truth beside them. */
export interface ReplayedTransaction {
  transactionId: string;
  at: number;
  day: number;
  card: string;
  label: 0 | 1;
  features: Features;
}

export interface ReplayOptions {
  /** A fraud's label reaches Paylens this long after the transaction (the feedback delay). */
  labelDelayMs: number;
  /** Which scored transactions to keep (the windows a protocol trains and tests on). */
  keep: (t: StreamTransaction) => boolean;
}

/**
 * Scores a stream in event-time order through the real pipeline (risk.scorer: velocity and label
 * stores, features, rules), without storing assessments, and hands each fraud's label to the
 * label-risk store once the delay has passed in event time, as the label API would.
 */
export async function replayStream(
  risk: Risk,
  tenantId: string,
  hash: CustomerKeyHasher,
  stream: Iterable<StreamTransaction>,
  options: ReplayOptions,
): Promise<ReplayedTransaction[]> {
  const kept: ReplayedTransaction[] = [];
  const awaitingLabel: { tenantId: string; merchant: string; transactionId: string; at: number }[] = [];
  let labelled = 0;
  const now = new Date();
  for (const t of stream) {
    const subject = subjectFromRequest(tenantId, t.request, hash, now, 'simulate');
    const at = subject.occurredAt.getTime();
    while (labelled < awaitingLabel.length && awaitingLabel[labelled]!.at <= at - options.labelDelayMs) {
      await risk.labelRisk.recordLabel({ ...awaitingLabel[labelled++]!, fraud: true });
    }
    const { assessment } = await risk.scorer.assess(subject);
    if (t.fraud === 1 && subject.merchantId)
      awaitingLabel.push({ tenantId, merchant: subject.merchantId, transactionId: subject.transactionId, at });
    if (options.keep(t))
      kept.push({
        transactionId: subject.transactionId,
        at,
        day: t.day,
        card: t.card,
        label: t.fraud,
        features: assessment.features,
      });
  }
  return kept;
}
