import type { Logger } from 'pino';
import type { PipelineHook } from '../ingest/pipeline-hooks.js';
import type { PaymentEvent } from '../normalize/canonical.js';
import type { NewAssessmentRow, RiskRepository } from './risk.repository.js';
import { isScorable, subjectFromEvent } from './risk-subject.js';
import type { RiskScorer } from './risk-scorer.js';

/**
 * Scores authorizations and sales inline, before they are stored: the verdict rides on the event
 * (`risk`) and its assessment row is written in the same transaction as the event, so a duplicate
 * delivery (not stored) leaves no assessment behind. Risk never fails ingestion: on an error the
 * event is stored with `risk: null` and the error logged.
 */
export function riskPipelineHook(scorer: RiskScorer, repo: RiskRepository, logger: Logger): PipelineHook {
  const pending = new WeakMap<PaymentEvent, NewAssessmentRow>();
  return {
    name: 'risk',
    async beforeStore(events) {
      for (const event of events) {
        if (!isScorable(event)) continue;
        try {
          const { assessment, row } = await scorer.assess(subjectFromEvent(event));
          event.risk = {
            score: assessment.score,
            riskLevel: assessment.riskLevel,
            decision: assessment.decision,
            reasons: assessment.reasons,
            modelVersion: assessment.modelVersion,
            rulesVersion: assessment.rulesVersion,
          };
          pending.set(event, row);
        } catch (error) {
          logger.error({ err: error, eventId: event.id }, 'inline risk scoring failed; storing the event unscored');
        }
      }
    },
    async inTransaction(trx, events) {
      const rows = events.map((e) => pending.get(e)).filter((r): r is NewAssessmentRow => r !== undefined);
      if (rows.length > 0) await repo.insertAssessments(trx, rows);
    },
  };
}
