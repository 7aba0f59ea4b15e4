import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../database.js';
import type { PipelineHook } from '../ingest/index.js';
import type { PaymentEvent } from '../normalize/index.js';
import { providerLabelOf, type ProviderLabel } from './provider-labels.js';
import type { LabelValue, NewAssessmentRow, RiskRepository } from './risk.repository.js';
import { isScorable, subjectFromEvent } from './risk-subject.js';
import type { RiskScorer } from './risk-scorer.js';

export interface RiskHookDeps {
  scorer: RiskScorer;
  repo: RiskRepository;
  logger: Logger;
  /** The payment a capture belongs to (PayPal disputes name the capture; its payment is known by the order). */
  paymentOfCapture: (
    trx: Transaction<Database> | Kysely<Database>,
    tenantId: string,
    provider: string,
    captureId: string,
  ) => Promise<string | null>;
  /** Told of provider labels once their events are stored (label risk counts them per merchant); must not throw. */
  onLabels?: (tenantId: string, labels: { transactionId: string; label: LabelValue }[]) => void;
}

/**
 * Scores authorizations and sales inline, before they are stored: the verdict rides on the event
 * (`risk`) and its assessment row is written in the same transaction as the event, so a duplicate
 * delivery (not stored) leaves no assessment behind. Risk never fails ingestion: on an error the
 * event is stored with `risk: null` and the error logged.
 *
 * Disputes and issuer fraud warnings label the payment they name, in the same transaction: the
 * label lands on the transaction the payment's assessment was made for.
 */
export function riskPipelineHook({ scorer, repo, logger, paymentOfCapture, onLabels }: RiskHookDeps): PipelineHook {
  const pending = new WeakMap<PaymentEvent, NewAssessmentRow>();
  const labelled = new WeakMap<PaymentEvent, { transactionId: string; label: LabelValue }>();

  /** Ingested payments are assessed under their provider payment id; a PayPal dispute's capture leads to its order. */
  async function transactionOf(trx: Transaction<Database>, l: ProviderLabel): Promise<string> {
    if (await repo.hasAssessment(l.tenantId, l.paymentId, trx)) return l.paymentId;
    return (await paymentOfCapture(trx, l.tenantId, l.provider, l.paymentId)) ?? l.paymentId;
  }

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
    writes(events) {
      return [
        repo.assessmentsWrite(events.map((e) => pending.get(e)).filter((r): r is NewAssessmentRow => r !== undefined)),
      ];
    },
    async inTransaction(trx, events) {
      const labels: (ProviderLabel & { transactionId: string })[] = [];
      for (const event of events) {
        const label = providerLabelOf(event);
        if (!label) continue;
        const transactionId = await transactionOf(trx, label);
        labels.push({ ...label, transactionId });
        labelled.set(event, { transactionId, label: label.label });
      }
      if (labels.length > 0) await repo.upsertProviderLabels(trx, labels);
    },
    afterStore(events) {
      if (!onLabels) return;
      const byTenant = new Map<string, { transactionId: string; label: LabelValue }[]>();
      for (const event of events) {
        const label = labelled.get(event);
        if (!label) continue;
        const list = byTenant.get(event.tenantId) ?? [];
        list.push(label);
        byTenant.set(event.tenantId, list);
      }
      for (const [tenantId, labels] of byTenant) onLabels(tenantId, labels);
    },
  };
}
