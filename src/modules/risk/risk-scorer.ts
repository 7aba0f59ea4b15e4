import { newId } from '../../platform/ids.js';
import { withSpan } from '../../platform/tracing.js';
import { computeFeatures, storedFeatures, type Features } from './features.js';
import { explainModelReason, modelProbability } from './model/model-training.js';
import type { AssessmentRecorder } from './assessment-recorder.js';
import type { NewAssessmentRow } from './risk.repository.js';
import { listHits, velocityEventOf, type RiskSubject } from './risk-subject.js';
import { decide, type Decision, type Reason, type RiskLevel } from './rules/rules.js';
import type { TenantRiskConfigCache } from './rules/tenant-risk-config.js';
import { unknownHistory, type VelocityStore } from './velocity/velocity-store.js';
import { noLabelRisk, type LabelRiskStore } from './velocity/label-risk-store.js';

export interface Assessment {
  transactionId: string;
  score: number;
  riskLevel: RiskLevel;
  decision: Decision;
  reasons: Reason[];
  features: Features;
  modelVersion: number | null;
  rulesVersion: number;
  latencyMs: number;
}

export interface ScoredSubject {
  assessment: Assessment;
  row: NewAssessmentRow;
}

/** Told of every verdict (metrics): closed values only, never the tenant. */
export type VerdictObserver = (verdict: { score: number; decision: Decision; source: string }) => void;

/**
 * How the scorer reaches a shared (Redis) history: through that dependency's circuit breaker, with a
 * timeout. When the history cannot be read the verdict is still given, from unknownHistory, and says
 * so (velocity_degraded: 1): a score must answer in time whether Redis does or not.
 */
export interface HistoryGuard {
  run<T>(action: () => Promise<T>): Promise<T>;
  /** Told of each answer given without the history (a closed set: what it was needed for). */
  degraded(use: 'velocity' | 'label_risk'): void;
}

const direct: HistoryGuard = { run: (action) => action(), degraded: () => undefined };

/** Scores one transaction: lists → velocity features → rules (+ model) → verdict. */
export class RiskScorer {
  constructor(
    private readonly config: TenantRiskConfigCache,
    private readonly velocity: VelocityStore,
    private readonly labelRisk: LabelRiskStore,
    private readonly recorder: AssessmentRecorder,
    private readonly clock: () => Date,
    private readonly onVerdict: VerdictObserver = () => undefined,
    private readonly history: HistoryGuard = direct,
  ) {}

  /** Scores and feeds the velocity history, without storing the assessment (the caller decides where). */
  async assess(subject: RiskSubject): Promise<ScoredSubject> {
    const scored = await withSpan('risk.score', { 'paylens.risk.source': subject.source }, () =>
      this.evaluate(subject),
    );
    this.onVerdict({ score: scored.assessment.score, decision: scored.assessment.decision, source: subject.source });
    return scored;
  }

  private async evaluate(subject: RiskSubject): Promise<ScoredSubject> {
    const started = performance.now();
    const config = await this.config.get(subject.tenantId);
    const now = this.clock();
    const hits = listHits(subject, config.lists, now.getTime());
    const event = velocityEventOf(subject);
    const { merchantId } = subject;
    let degraded = false;
    const [snapshot, labels] = await Promise.all([
      this.history
        .run(() => this.velocity.observe(event))
        .catch(() => {
          degraded = true;
          this.history.degraded('velocity');
          return unknownHistory(event.at);
        }),
      merchantId
        ? this.history
            .run(() =>
              this.labelRisk.observe({
                tenantId: subject.tenantId,
                merchant: merchantId,
                transactionId: event.transactionId,
                at: event.at,
              }),
            )
            .catch(() => {
              degraded = true;
              this.history.degraded('label_risk');
              return noLabelRisk;
            })
        : noLabelRisk,
    ]);
    const features = computeFeatures(
      {
        at: event.at,
        amountUsdMinor: subject.amountUsdMinor,
        cardCountry: subject.cardCountry,
        ipCountry: subject.ipCountry,
        hasCustomer: subject.customerKey !== null,
        hasCard: subject.cardKey !== null,
        hasDevice: subject.deviceId !== null,
        listBlock: hits.some((h) => h.action === 'block'),
        listAllow: hits.some((h) => h.action === 'allow'),
        email: subject.email,
        velocityDegraded: degraded,
      },
      snapshot,
      labels,
    );
    const model = config.model;
    const probability = modelProbability(model, features);
    const verdict = decide(config.ruleSet, features, probability, model?.version ?? null, hits);
    if (model && probability !== null && verdict.decision !== 'approve')
      explainModelReason(verdict.reasons, model, features, probability);
    // Our own decline is a failed attempt for the fraudster too: it feeds the card-testing counters.
    // An ingested event already happened, so its own status is the outcome, never our advice.
    if (verdict.decision === 'decline' && !subject.declined && subject.source !== 'ingest')
      await this.history.run(() => this.velocity.recordDecline(event)).catch(() => this.history.degraded('velocity'));
    const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
    const assessment: Assessment = {
      transactionId: subject.transactionId,
      score: verdict.score,
      riskLevel: verdict.riskLevel,
      decision: verdict.decision,
      reasons: verdict.reasons,
      features,
      modelVersion: model?.version ?? null,
      rulesVersion: config.rulesVersion,
      latencyMs,
    };
    const row: NewAssessmentRow = {
      id: newId('rsk', now.getTime()),
      tenant_id: subject.tenantId,
      transaction_id: subject.transactionId,
      event_id: subject.eventId,
      source: subject.source,
      occurred_at: subject.occurredAt,
      scored_at: now,
      score: verdict.score,
      rules_score: verdict.rulesScore,
      model_score: verdict.modelScore,
      risk_level: verdict.riskLevel,
      decision: verdict.decision,
      reasons: JSON.stringify(verdict.reasons),
      features: storedFeatures(features),
      rules_version: config.rulesVersion,
      model_version: model?.version ?? null,
      amount_usd_minor: subject.amountUsdMinor,
      latency_ms: latencyMs,
      merchant_id: subject.merchantId,
      declined: subject.declined,
    };
    return { assessment, row };
  }

  /** Scores and records the assessment (written behind the answer). */
  async score(subject: RiskSubject): Promise<Assessment> {
    const { assessment, row } = await this.assess(subject);
    this.recorder.record(row);
    return assessment;
  }
}
