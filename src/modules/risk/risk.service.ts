import { AppError } from '../../platform/errors/app-error.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import type { AssessmentRecorder } from './assessment-recorder.js';
import type { LabelRiskStore } from './velocity/label-risk-store.js';
import { backtest, type BacktestReport } from './rules/backtest.js';
import type { ListAction, ListEntry, ListRepository, ListType } from './lists/list.repository.js';
import {
  evaluateVersions,
  isFraud,
  quality,
  rescore,
  trainOnAssessments,
  type QualityReport,
  type VersionQuality,
} from './model/model-training.js';
import type { KeysetCursor } from '../../platform/db/keyset-cursor.js';
import type {
  AssessmentFilter,
  AssessmentRecord,
  LabelValue,
  RiskRepository,
  RuleSetVersion,
  StoredModel,
  TimeRange,
} from './risk.repository.js';
import { listMatchKey, type CustomerKeyHasher } from './risk-subject.js';
import { defaultRuleSet, type RuleSet } from './rules/rules.js';
import type { TenantRiskConfigCache } from './rules/tenant-risk-config.js';

export interface TrainResult {
  model: StoredModel;
  training: QualityReport;
}

/** Version 0: the built-in rules, in force until a tenant saves its own. */
const defaultVersion: RuleSetVersion = {
  version: 0,
  ruleSet: defaultRuleSet,
  createdBy: 'paylens',
  createdAt: new Date(0).toISOString(),
};

/** Everything about risk besides scoring itself: rules, lists, labels, models, backtests. */
export class RiskService {
  constructor(
    private readonly repo: RiskRepository,
    private readonly lists: ListRepository,
    private readonly config: TenantRiskConfigCache,
    private readonly recorder: AssessmentRecorder,
    private readonly hash: CustomerKeyHasher,
    private readonly labelRisk: LabelRiskStore,
  ) {}

  async currentRules(tenantId: string): Promise<RuleSetVersion> {
    return (await this.repo.latestRuleSet(tenantId)) ?? defaultVersion;
  }

  async ruleVersions(tenantId: string): Promise<RuleSetVersion[]> {
    const stored = await this.repo.ruleSetVersions(tenantId);
    return [...stored, defaultVersion];
  }

  /** The next version; two writers racing for the same version number: the second gets a conflict. */
  async putRules(tenantId: string, ruleSet: RuleSet, actor: string): Promise<RuleSetVersion> {
    const saved = await this.repo.insertRuleSet(tenantId, ruleSet, actor).catch((error: unknown) => {
      if (isUniqueViolation(error))
        throw new AppError('conflict', 'The rule set changed concurrently; read it again and retry');
      throw error;
    });
    this.config.invalidate(tenantId);
    return saved;
  }

  /** False when no assessment exists for the transaction (labels are for scored transactions). */
  async label(tenantId: string, transactionId: string, label: LabelValue): Promise<boolean> {
    if (!(await this.repo.hasAssessment(tenantId, transactionId))) {
      await this.recorder.flush();
      if (!(await this.repo.hasAssessment(tenantId, transactionId))) return false;
    }
    await this.recordLabels(tenantId, [{ transactionId, label }]);
    return true;
  }

  /**
   * Labels given through the API or in bulk: stored, then counted for their merchants
   * (countLabels). The last label given for a transaction wins.
   */
  async recordLabels(tenantId: string, labels: Parameters<RiskRepository['upsertLabels']>[1]): Promise<void> {
    const latest = [...new Map(labels.map((l) => [l.transactionId, l])).values()];
    if (latest.length === 0) return;
    await this.repo.upsertLabels(tenantId, latest);
    await this.countLabels(
      tenantId,
      latest.map((l) => l.transactionId),
    );
  }

  /**
   * Every stored label reaches the label-risk store through here (the API, a batch, a dispute or
   * fraud warning once its event is stored): the transaction's label as stored now counts for its
   * merchant at its event time, so the merchant's label risk moves on the next score, without a
   * model or a restart.
   */
  async countLabels(tenantId: string, transactionIds: string[]): Promise<void> {
    for (const t of await this.repo.labelledAtMerchants(tenantId, transactionIds)) {
      await this.labelRisk.recordLabel({
        tenantId,
        merchant: t.merchantId,
        transactionId: t.transactionId,
        at: t.occurredAt.getTime(),
        fraud: t.label !== null && isFraud(t.label) === 1,
      });
    }
  }

  /** Reads what was just scored too: the recorder writes behind the answers, so it is flushed first. */
  async listAssessments(tenantId: string, filter: AssessmentFilter, limit: number, cursor: KeysetCursor | null) {
    await this.recorder.flush();
    return this.repo.listAssessments(tenantId, filter, limit, cursor);
  }

  async assessmentsOf(tenantId: string, transactionId: string): Promise<AssessmentRecord[]> {
    await this.recorder.flush();
    return this.repo.assessmentsOf(tenantId, transactionId);
  }

  async backtest(tenantId: string, candidate: RuleSet, range: TimeRange): Promise<BacktestReport> {
    await this.recorder.flush();
    return backtest(await this.repo.assessments(tenantId, range), candidate);
  }

  /** Fits a model on labeled history in the range, stores it as the next version and activates it. */
  async train(tenantId: string, range: TimeRange): Promise<TrainResult | null> {
    await this.recorder.flush();
    const labeled = await this.repo.assessments(tenantId, { ...range, labeledOnly: true });
    const classes = new Set(labeled.map((a) => isFraud(a.label!)));
    if (classes.size < 2) return null;
    const model = trainOnAssessments(labeled);
    const current = await this.currentRules(tenantId);
    const candidate = { version: 0, model };
    const training = quality(
      labeled.map((a) => ({ score: rescore(a, current.ruleSet, candidate), label: isFraud(a.label!) })),
      current.ruleSet.thresholds.high,
      current.ruleSet.thresholds.critical,
    );
    const stored = await this.repo.insertModel(
      tenantId,
      model,
      { training, from: range.from?.toISOString() ?? null, to: range.to?.toISOString() ?? null },
      labeled.length,
    );
    this.config.invalidate(tenantId);
    return { model: stored, training };
  }

  models(tenantId: string): Promise<StoredModel[]> {
    return this.repo.models(tenantId);
  }

  /** Scoring uses the version from the next score on (at once here, within the cache TTL on other instances). */
  async activateModel(tenantId: string, version: number): Promise<StoredModel | null> {
    const model = await this.repo.activateModel(tenantId, version);
    if (model) this.config.invalidate(tenantId);
    return model;
  }

  async evaluate(tenantId: string, range: TimeRange): Promise<VersionQuality[]> {
    await this.recorder.flush();
    const [labeled, versions, active] = await Promise.all([
      this.repo.assessments(tenantId, { ...range, labeledOnly: true }),
      this.ruleVersions(tenantId),
      this.repo.activeModel(tenantId),
    ]);
    const byVersion = new Map(versions.map((v) => [v.version, v.ruleSet]));
    const current = versions[0]!;
    return evaluateVersions(labeled, (v) => (byVersion.get(v) ?? defaultRuleSet).thresholds, {
      ruleSet: current.ruleSet,
      rulesVersion: current.version,
      model: active,
    });
  }

  listEntries(
    tenantId: string,
    filter: { type?: ListType | undefined; action?: ListAction | undefined },
  ): Promise<ListEntry[]> {
    return this.lists.list(tenantId, filter);
  }

  async addListEntry(
    tenantId: string,
    entry: { type: ListType; value: string; action: ListAction; reason: string; expiresAt: Date | null },
    actor: string,
  ): Promise<ListEntry | null> {
    const added = await this.lists.add(
      tenantId,
      { ...entry, matchKey: listMatchKey(entry.type, entry.value, this.hash) },
      actor,
    );
    this.config.invalidate(tenantId);
    return added;
  }

  async removeListEntry(tenantId: string, id: string, actor: string): Promise<ListEntry | null> {
    const removed = await this.lists.remove(tenantId, id, actor);
    this.config.invalidate(tenantId);
    return removed;
  }

  listAudit(tenantId: string, limit: number) {
    return this.lists.audit(tenantId, limit);
  }
}
