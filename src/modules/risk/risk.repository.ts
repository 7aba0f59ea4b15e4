import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import { combinedWrite, type WriteRows } from '../../platform/db/combined-writes.js';
import { insertJsonRows, type ColumnSpec } from '../../platform/db/json-rows.js';
import type { Database } from '../../database.js';
import { newId } from '../../platform/ids.js';
import { coerceFeatures, type Features } from './features.js';
import type { RiskModel } from './model/risk-model.js';
import type { Decision, Reason, RiskLevel, RuleSet, Verdict } from './rules/rules.js';
import type { RiskAssessmentsTable } from './risk.tables.js';
import type { RiskSource } from './risk-subject.js';
import { isoTimestamp, toDate } from '../../platform/db/timestamps.js';
import { afterCursor, keysetPage, type KeysetCursor } from '../../platform/db/keyset-cursor.js';
import { keepLatest } from './training/labeled-history.js';
import type { LabelSource, ProviderLabel } from './provider-labels.js';

const assessmentColumns: ColumnSpec = {
  id: 'text',
  tenant_id: 'text',
  transaction_id: 'text',
  event_id: 'text',
  source: 'text',
  occurred_at: 'timestamptz',
  scored_at: 'timestamptz',
  score: 'double precision',
  rules_score: 'double precision',
  model_score: 'double precision',
  risk_level: 'text',
  decision: 'text',
  reasons: 'jsonb',
  features: 'jsonb',
  rules_version: 'integer',
  model_version: 'integer',
  amount_usd_minor: 'bigint',
  latency_ms: 'double precision',
  merchant_id: 'text',
  declined: 'boolean',
};

const assessmentsWrite = combinedWrite('risk_assessments', 'risk_assessments', assessmentColumns);

export const labelValues = ['fraud', 'legit', 'chargeback'] as const;
export type LabelValue = (typeof labelValues)[number];

export type NewAssessmentRow = Insertable<RiskAssessmentsTable>;

/** Scored payments at one merchant in one window (see merchantActivity). */
export interface MerchantWindow {
  attempts: number;
  failed: number;
  flagged: number;
  newCards: number;
  newCardFailures: number;
}

export interface MerchantActivity {
  merchant: string;
  recent: MerchantWindow;
  baseline: MerchantWindow;
}

/** A label and its provenance: an analyst through the API, or a provider's dispute or fraud warning. */
export interface LabelDetail {
  label: LabelValue;
  source: LabelSource;
  provider: string | null;
  /** The provider's reason code, verbatim (a dispute's reason, a warning's fraud type). */
  reasonCode: string | null;
  /** The ingested event that gave it. */
  eventId: string | null;
  labeledAt: string;
}

/** A stored verdict with what it was scored on. */
export interface StoredAssessment extends Verdict {
  transactionId: string;
  occurredAt: Date;
  features: Features;
  rulesVersion: number;
  modelVersion: number | null;
  label: LabelValue | null;
}

/** An assessment read back on its own (the list and history routes): the verdict and where it came from. */
export interface AssessmentRecord extends StoredAssessment {
  id: string;
  eventId: string | null;
  source: RiskSource;
  scoredAt: Date;
  amountUsdMinor: number;
  latencyMs: number;
}

/** Event time: `from` inclusive, `to` exclusive. */
export interface TimeRange {
  from?: Date | undefined;
  to?: Date | undefined;
}

export interface AssessmentFilter extends TimeRange {
  decision?: Decision | undefined;
  riskLevel?: RiskLevel | undefined;
  source?: RiskSource | undefined;
  /** true: only labeled transactions; false: only unlabeled ones (what is left to review). */
  labeled?: boolean | undefined;
}

export interface RuleSetVersion {
  version: number;
  ruleSet: RuleSet;
  createdBy: string;
  createdAt: string;
}

export interface StoredModel {
  version: number;
  model: RiskModel;
  metrics: Record<string, unknown>;
  trainingSize: number;
  active: boolean;
  createdAt: string;
}

function toRuleSetVersion(row: {
  version: number;
  definition: unknown;
  created_by: string;
  created_at: Date | string;
}): RuleSetVersion {
  return {
    version: Number(row.version),
    ruleSet: row.definition as RuleSet,
    createdBy: row.created_by,
    createdAt: isoTimestamp(row.created_at),
  };
}

type AssessmentRow = Pick<
  Selectable<RiskAssessmentsTable>,
  | 'transaction_id'
  | 'occurred_at'
  | 'score'
  | 'rules_score'
  | 'model_score'
  | 'risk_level'
  | 'decision'
  | 'reasons'
  | 'features'
  | 'rules_version'
  | 'model_version'
> & { label: string | null };

const storedAssessmentColumns = [
  'a.transaction_id',
  'a.occurred_at',
  'a.scored_at',
  'a.score',
  'a.rules_score',
  'a.model_score',
  'a.risk_level',
  'a.decision',
  'a.reasons',
  'a.features',
  'a.rules_version',
  'a.model_version',
  'l.label',
] as const;

function toStoredAssessment(r: AssessmentRow): StoredAssessment {
  return {
    transactionId: r.transaction_id,
    occurredAt: toDate(r.occurred_at),
    score: Number(r.score),
    rulesScore: Number(r.rules_score),
    modelScore: r.model_score === null ? null : Number(r.model_score),
    riskLevel: r.risk_level as RiskLevel,
    decision: r.decision as Decision,
    reasons: r.reasons as Reason[],
    features: coerceFeatures(r.features),
    rulesVersion: Number(r.rules_version),
    modelVersion: r.model_version === null ? null : Number(r.model_version),
    label: (r.label as LabelValue | null) ?? null,
  };
}

function toAssessmentRecord(r: Selectable<RiskAssessmentsTable> & { label: string | null }): AssessmentRecord {
  return {
    ...toStoredAssessment(r),
    id: r.id,
    eventId: r.event_id,
    source: r.source as RiskSource,
    scoredAt: toDate(r.scored_at),
    amountUsdMinor: Number(r.amount_usd_minor),
    latencyMs: Number(r.latency_ms),
  };
}

export class RiskRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** One statement whatever the batch size (see insertJsonRows); prepared once per connection on PostgreSQL. */
  async insertAssessments(trx: Kysely<Database> | Transaction<Database>, rows: NewAssessmentRow[]): Promise<void> {
    if (rows.length > 0) await insertJsonRows('risk_assessments', assessmentColumns, rows).execute(trx);
  }

  /** The insert of assessments as a part of the statement that stores their events. */
  assessmentsWrite(rows: NewAssessmentRow[]): WriteRows {
    return { write: assessmentsWrite, rows };
  }

  async hasAssessment(
    tenantId: string,
    transactionId: string,
    trx: Kysely<Database> | Transaction<Database> = this.db,
  ): Promise<boolean> {
    const row = await trx
      .selectFrom('risk_assessments')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('transaction_id', '=', transactionId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Stored assessments in event-time order with their labels; the latest assessment of a
   * transaction stands for it (a rescore replaces, never doubles, it).
   */
  async assessments(tenantId: string, range: TimeRange & { labeledOnly?: boolean } = {}): Promise<StoredAssessment[]> {
    let q = this.withLabels(tenantId, range).select(storedAssessmentColumns);
    if (range.labeledOnly) q = q.where('l.label', 'is not', null);
    const rows = await q.orderBy('a.occurred_at').orderBy('a.scored_at').orderBy('a.id').execute();
    const latest = new Map<string, StoredAssessment>();
    for (const r of rows) keepLatest(latest, toStoredAssessment(r));
    return [...latest.values()];
  }

  /**
   * The labelled transactions `assessments({labeledOnly: true})` reads (each once, as its latest
   * assessment in the range), a page of labels at a time in transaction-id order: model training
   * reads history of any size without holding it, or copying it between threads, in one piece. Each
   * page walks the labels' primary key and looks its transactions up by id, so its cost does not
   * grow with the history (or depend on the planner's statistics); sort the result by event time.
   */
  async *labeledPages(tenantId: string, range: TimeRange, pageSize = 200): AsyncGenerator<StoredAssessment[]> {
    let after = '';
    for (;;) {
      const labels = await this.db
        .selectFrom('risk_labels')
        .select('transaction_id')
        .where('tenant_id', '=', tenantId)
        .where('transaction_id', '>', after)
        .orderBy('transaction_id')
        .limit(pageSize)
        .execute();
      if (labels.length === 0) return;
      const rows = await this.withLabels(tenantId, range)
        .select(storedAssessmentColumns)
        .where(
          'a.transaction_id',
          'in',
          labels.map((l) => l.transaction_id),
        )
        .orderBy('a.transaction_id')
        .orderBy('a.occurred_at')
        .orderBy('a.scored_at')
        .orderBy('a.id')
        .execute();
      // Rows come per transaction in time order: the last of each is its latest assessment.
      const page = rows.filter((r, i) => rows[i + 1]?.transaction_id !== r.transaction_id).map(toStoredAssessment);
      if (page.length > 0) yield page;
      if (labels.length < pageSize) return;
      after = labels.at(-1)!.transaction_id;
    }
  }

  /** Every stored assessment (a rescore is a row of its own), newest first by event time, a page at a time. */
  async listAssessments(
    tenantId: string,
    filter: AssessmentFilter,
    limit: number,
    cursor: KeysetCursor | null,
  ): Promise<{ data: AssessmentRecord[]; nextCursor: string | null }> {
    let q = this.withLabels(tenantId, filter).selectAll('a').select('l.label');
    if (filter.decision) q = q.where('a.decision', '=', filter.decision);
    if (filter.riskLevel) q = q.where('a.risk_level', '=', filter.riskLevel);
    if (filter.source) q = q.where('a.source', '=', filter.source);
    if (filter.labeled !== undefined) q = q.where('l.label', filter.labeled ? 'is not' : 'is', null);
    if (cursor) q = q.where(afterCursor('a.occurred_at', 'a.id', cursor));
    const rows = await q
      .orderBy('a.occurred_at', 'desc')
      .orderBy('a.id', 'desc')
      .limit(limit + 1)
      .execute();
    return keysetPage(rows, limit, toAssessmentRecord, (last) => ({ at: last.occurredAt.toISOString(), id: last.id }));
  }

  /** One transaction's assessments, the latest scoring first. */
  async assessmentsOf(tenantId: string, transactionId: string): Promise<AssessmentRecord[]> {
    const rows = await this.withLabels(tenantId)
      .selectAll('a')
      .select('l.label')
      .where('a.transaction_id', '=', transactionId)
      .orderBy('a.scored_at', 'desc')
      .orderBy('a.id', 'desc')
      .execute();
    return rows.map(toAssessmentRecord);
  }

  /** A tenant's assessments joined with their labels, within an event-time range; callers choose the columns. */
  private withLabels(tenantId: string, range: TimeRange = {}) {
    let q = this.db
      .selectFrom('risk_assessments as a')
      .leftJoin('risk_labels as l', (j) =>
        j.onRef('l.tenant_id', '=', 'a.tenant_id').onRef('l.transaction_id', '=', 'a.transaction_id'),
      )
      .where('a.tenant_id', '=', tenantId);
    if (range.from) q = q.where('a.occurred_at', '>=', range.from);
    if (range.to) q = q.where('a.occurred_at', '<', range.to);
    return q;
  }

  /** A replaced label takes the new value and the time it was given. */
  async upsertLabels(tenantId: string, labels: { transactionId: string; label: LabelValue }[]): Promise<void> {
    for (let i = 0; i < labels.length; i += 500) {
      await this.db
        .insertInto('risk_labels')
        .values(
          labels
            .slice(i, i + 500)
            .map((l) => ({ tenant_id: tenantId, transaction_id: l.transactionId, label: l.label, source: 'api' })),
        )
        .onConflict((c) =>
          c.columns(['tenant_id', 'transaction_id']).doUpdateSet((eb) => ({
            label: eb.ref('excluded.label'),
            created_at: eb.ref('excluded.created_at'),
            source: eb.ref('excluded.source'),
            provider: null,
            reason_code: null,
            event_id: null,
          })),
        )
        .execute();
    }
  }

  /**
   * Labels a provider gave (disputes, fraud warnings), stored in the transaction that stores their
   * events, one at a time in delivery order. The latest word wins, except that a fraud warning does
   * not replace a chargeback: the dispute says more (the scheme's reason code).
   */
  async upsertProviderLabels(
    trx: Transaction<Database>,
    labels: (ProviderLabel & { transactionId: string })[],
  ): Promise<void> {
    for (const l of labels) {
      await trx
        .insertInto('risk_labels')
        .values({
          tenant_id: l.tenantId,
          transaction_id: l.transactionId,
          label: l.label,
          source: l.source,
          provider: l.provider,
          reason_code: l.reasonCode,
          event_id: l.eventId,
        })
        .onConflict((c) =>
          c
            .columns(['tenant_id', 'transaction_id'])
            .doUpdateSet((eb) => ({
              label: eb.ref('excluded.label'),
              created_at: eb.ref('excluded.created_at'),
              source: eb.ref('excluded.source'),
              provider: eb.ref('excluded.provider'),
              reason_code: eb.ref('excluded.reason_code'),
              event_id: eb.ref('excluded.event_id'),
            }))
            .where(sql<boolean>`not (risk_labels.label = 'chargeback' and excluded.source = 'fraud_warning')`),
        )
        .execute();
    }
  }

  /**
   * What risk saw per merchant in a baseline and a recent window (`from` ≤ baseline < `recentFrom` ≤
   * recent < `to`, by event time): scored payments, those that failed (declined by the issuer, or by
   * risk), those flagged (review or decline), those on a card never seen before, and those both.
   */
  async merchantActivity(tenantId: string, from: Date, recentFrom: Date, to: Date): Promise<MerchantActivity[]> {
    const recent = sql`a.occurred_at >= ${recentFrom}`;
    const baseline = sql`a.occurred_at < ${recentFrom}`;
    const failed = sql`(a.declined or a.decision = 'decline')`;
    const flagged = sql`a.decision <> 'approve'`;
    const newCard = sql`a.features ? 'first_seen_card'`;
    const newCardFailure = sql`${newCard} and ${failed}`;
    const result = await sql<Record<string, string | number>>`
      select a.merchant_id,
        count(*) filter (where ${recent}) as r_attempts, count(*) filter (where ${recent} and ${failed}) as r_failed,
        count(*) filter (where ${recent} and ${flagged}) as r_flagged, count(*) filter (where ${recent} and ${newCard}) as r_new_cards,
        count(*) filter (where ${recent} and ${newCardFailure}) as r_new_card_failures,
        count(*) filter (where ${baseline}) as b_attempts, count(*) filter (where ${baseline} and ${failed}) as b_failed,
        count(*) filter (where ${baseline} and ${flagged}) as b_flagged, count(*) filter (where ${baseline} and ${newCard}) as b_new_cards,
        count(*) filter (where ${baseline} and ${newCardFailure}) as b_new_card_failures
      from risk_assessments a
      where a.tenant_id = ${tenantId} and a.occurred_at >= ${from} and a.occurred_at < ${to} and a.merchant_id is not null
      group by a.merchant_id
      order by a.merchant_id`.execute(this.db);
    const n = (v: string | number | undefined) => Number(v ?? 0);
    return result.rows.map((r) => ({
      merchant: String(r.merchant_id),
      recent: {
        attempts: n(r.r_attempts),
        failed: n(r.r_failed),
        flagged: n(r.r_flagged),
        newCards: n(r.r_new_cards),
        newCardFailures: n(r.r_new_card_failures),
      },
      baseline: {
        attempts: n(r.b_attempts),
        failed: n(r.b_failed),
        flagged: n(r.b_flagged),
        newCards: n(r.b_new_cards),
        newCardFailures: n(r.b_new_card_failures),
      },
    }));
  }

  /** A transaction's label with where it came from; null when it has none. */
  async labelOf(tenantId: string, transactionId: string): Promise<LabelDetail | null> {
    const row = await this.db
      .selectFrom('risk_labels')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('transaction_id', '=', transactionId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      label: row.label as LabelValue,
      source: row.source as LabelSource,
      provider: row.provider,
      reasonCode: row.reason_code,
      eventId: row.event_id,
      labeledAt: isoTimestamp(row.created_at),
    };
  }

  /**
   * The merchant, event time and stored label of each transaction (its latest assessment) that was
   * scored with a merchant: where and when its label counts for the merchant's label risk. Others are left out.
   */
  async labelledAtMerchants(
    tenantId: string,
    transactionIds: string[],
  ): Promise<{ transactionId: string; merchantId: string; occurredAt: Date; label: LabelValue | null }[]> {
    const out: { transactionId: string; merchantId: string; occurredAt: Date; label: LabelValue | null }[] = [];
    for (let i = 0; i < transactionIds.length; i += 500) {
      const rows = await this.withLabels(tenantId)
        .distinctOn('a.transaction_id')
        .select(['a.transaction_id', 'a.merchant_id', 'a.occurred_at', 'l.label'])
        .where('a.transaction_id', 'in', transactionIds.slice(i, i + 500))
        .orderBy('a.transaction_id')
        .orderBy('a.scored_at', 'desc')
        .orderBy('a.id', 'desc')
        .execute();
      for (const r of rows) {
        if (r.merchant_id !== null)
          out.push({
            transactionId: r.transaction_id,
            merchantId: r.merchant_id,
            occurredAt: toDate(r.occurred_at),
            label: r.label as LabelValue | null,
          });
      }
    }
    return out;
  }

  async latestRuleSet(tenantId: string): Promise<RuleSetVersion | null> {
    const row = await this.db
      .selectFrom('risk_rule_sets')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toRuleSetVersion(row) : null;
  }

  async ruleSetVersions(tenantId: string): Promise<RuleSetVersion[]> {
    const rows = await this.db
      .selectFrom('risk_rule_sets')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(toRuleSetVersion);
  }

  /** Appends a version (the unique (tenant, version) key makes two concurrent writers fail rather than overwrite). */
  async insertRuleSet(tenantId: string, ruleSet: RuleSet, createdBy: string): Promise<RuleSetVersion> {
    const latest = await this.latestRuleSet(tenantId);
    const version = (latest?.version ?? 0) + 1;
    const row = await this.db
      .insertInto('risk_rule_sets')
      .values({
        id: newId('rul'),
        tenant_id: tenantId,
        version,
        definition: JSON.stringify(ruleSet),
        created_by: createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRuleSetVersion(row);
  }

  async activeModel(tenantId: string): Promise<StoredModel | null> {
    const row = await this.db
      .selectFrom('risk_models')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('active', '=', true)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? this.toModel(row) : null;
  }

  async models(tenantId: string): Promise<StoredModel[]> {
    const rows = await this.db
      .selectFrom('risk_models')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('version', 'desc')
      .execute();
    return rows.map((r) => this.toModel(r));
  }

  /** Stores a new model version and (unless told not to) makes it the active one, in one transaction. */
  async insertModel(
    tenantId: string,
    model: RiskModel,
    metrics: Record<string, unknown>,
    trainingSize: number,
    activate = true,
  ): Promise<StoredModel> {
    return this.db.transaction().execute(async (trx) => {
      const last = await trx
        .selectFrom('risk_models')
        .select('version')
        .where('tenant_id', '=', tenantId)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      const version = Number(last?.version ?? 0) + 1;
      if (activate)
        await trx.updateTable('risk_models').set({ active: false }).where('tenant_id', '=', tenantId).execute();
      const row = await trx
        .insertInto('risk_models')
        .values({
          id: newId('mdl'),
          tenant_id: tenantId,
          version,
          model: JSON.stringify(model),
          metrics: JSON.stringify(metrics),
          training_size: trainingSize,
          active: activate,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return this.toModel(row);
    });
  }

  /** Makes a stored version the active one (a rollback, or forward again); null when there is no such version. */
  async activateModel(tenantId: string, version: number): Promise<StoredModel | null> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('risk_models')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('version', '=', version)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return null;
      await trx
        .updateTable('risk_models')
        .set({ active: false })
        .where('tenant_id', '=', tenantId)
        .where('active', '=', true)
        .execute();
      const activated = await trx
        .updateTable('risk_models')
        .set({ active: true })
        .where('id', '=', row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return this.toModel(activated);
    });
  }

  private toModel(row: {
    version: number;
    model: unknown;
    metrics: unknown;
    training_size: number;
    active: boolean;
    created_at: Date | string;
  }): StoredModel {
    return {
      version: Number(row.version),
      model: row.model as RiskModel,
      metrics: row.metrics as Record<string, unknown>,
      trainingSize: Number(row.training_size),
      active: Boolean(row.active),
      createdAt: isoTimestamp(row.created_at),
    };
  }
}
