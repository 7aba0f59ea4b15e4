import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../../../database.js';
import type { RiskTrainingJobsTable } from '../risk.tables.js';
import type { TimeRange } from '../risk.repository.js';

export const jobStatuses = ['queued', 'running', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof jobStatuses)[number];

export type TrainingJobRow = Selectable<RiskTrainingJobsTable>;

/** Training jobs live in the database so that any instance answers for a job another one runs. */
export class TrainingJobRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(job: {
    id: string;
    tenantId: string;
    range: TimeRange;
    requestedBy: string;
    createdAt: Date;
  }): Promise<TrainingJobRow> {
    return this.db
      .insertInto('risk_training_jobs')
      .values({
        id: job.id,
        tenant_id: job.tenantId,
        status: 'queued',
        range_from: job.range.from ?? null,
        range_to: job.range.to ?? null,
        requested_by: job.requestedBy,
        created_at: job.createdAt,
        started_at: null,
        finished_at: null,
        heartbeat_at: job.createdAt,
        result: null,
        error: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async find(tenantId: string, id: string): Promise<TrainingJobRow | null> {
    return (
      (await this.db
        .selectFrom('risk_training_jobs')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst()) ?? null
    );
  }

  async started(id: string, at: Date): Promise<void> {
    await this.db
      .updateTable('risk_training_jobs')
      .set({ status: 'running', started_at: at, heartbeat_at: at })
      .where('id', '=', id)
      .execute();
  }

  async heartbeat(id: string, at: Date): Promise<void> {
    await this.db
      .updateTable('risk_training_jobs')
      .set({ heartbeat_at: at })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
  }

  async finished(
    id: string,
    at: Date,
    outcome: { status: 'succeeded'; result: Record<string, unknown> } | { status: 'failed'; error: string },
  ): Promise<void> {
    await this.db
      .updateTable('risk_training_jobs')
      .set({
        status: outcome.status,
        finished_at: at,
        heartbeat_at: at,
        result: outcome.status === 'succeeded' ? JSON.stringify(outcome.result) : null,
        error: outcome.status === 'failed' ? outcome.error : null,
      })
      .where('id', '=', id)
      .execute();
  }
}
