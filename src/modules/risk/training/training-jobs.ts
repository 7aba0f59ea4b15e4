import type { Logger } from 'pino';
import { newId } from '../../../platform/ids.js';
import { isoTimestamp, toDateOrNull } from '../../../platform/db/timestamps.js';
import type { QualityReport } from '../model/model-training.js';
import type { RiskRepository, RuleSetVersion, TimeRange } from '../risk.repository.js';
import { HOLDOUT_FRACTION, judge } from './labeled-history.js';
import type { JobStatus, TrainingJobRepository, TrainingJobRow } from './training-job.repository.js';
import { TrainingThread } from './training-thread.js';

export interface TrainingJobsDeps {
  repo: RiskRepository;
  jobs: TrainingJobRepository;
  /** Makes assessments scored just before the request part of the history (the recorder writes behind). */
  flushAssessments: () => Promise<void>;
  currentRules: (tenantId: string) => Promise<RuleSetVersion>;
  /** Scoring picks up a newly activated version from its next score on. */
  activated: (tenantId: string) => void;
  logger: Pick<Logger, 'error'>;
  clock: () => Date;
}

/** What a finished job reports: the version it stored and whether (and why) it became active. */
export interface TrainingResult {
  version: number;
  activated: boolean;
  reason: string;
  trainingSize: number;
  holdout: {
    from: string;
    to: string;
    candidate: QualityReport;
    active: QualityReport;
    comparedWith: { rulesVersion: number; modelVersion: number | null };
  };
}

export interface TrainingJobView {
  jobId: string;
  status: JobStatus;
  from: string | null;
  to: string | null;
  requestedBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  result: TrainingResult | null;
  error: string | null;
}

const HEARTBEAT_MS = 10_000;
/** A queued or running job not heard of for this long belongs to an instance that stopped. */
const STALE_MS = 6 * HEARTBEAT_MS;

/**
 * Model training on the running server: a request queues a job and is answered at once; jobs run
 * one at a time per instance, the fitting in a worker thread, so scoring and ingestion keep their
 * latency. The new version is stored either way and activated only if it beats the active
 * configuration on the held-out window (labeled-history.ts).
 */
export class TrainingJobs {
  private queue: Promise<void> = Promise.resolve();
  /** Jobs this instance holds (queued or running): their heartbeats say they are alive. */
  private readonly held = new Set<string>();
  private thread: TrainingThread | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly deps: TrainingJobsDeps) {}

  async start(tenantId: string, range: TimeRange, requestedBy: string): Promise<TrainingJobView> {
    const now = this.deps.clock();
    const row = await this.deps.jobs.insert({
      id: newId('trj', now.getTime()),
      tenantId,
      range,
      requestedBy,
      createdAt: now,
    });
    this.hold(row.id);
    this.queue = this.queue.then(() => this.run(row));
    return present(row, now);
  }

  async get(tenantId: string, jobId: string): Promise<TrainingJobView | null> {
    const row = await this.deps.jobs.find(tenantId, jobId);
    return row ? present(row, this.deps.clock()) : null;
  }

  /** Stops a running fit and fails the jobs this instance still holds, then waits for the queue. */
  async close(): Promise<void> {
    this.closed = true;
    await this.thread?.stop();
    await this.queue;
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  private hold(id: string): void {
    this.held.add(id);
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      for (const jobId of this.held) {
        this.deps.jobs
          .heartbeat(jobId, this.deps.clock())
          .catch((error: unknown) => this.deps.logger.error({ err: error, jobId }, 'training job heartbeat failed'));
      }
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private async run(job: TrainingJobRow): Promise<void> {
    const { deps } = this;
    const tenantId = job.tenant_id;
    const range: TimeRange = {
      from: toDateOrNull(job.range_from) ?? undefined,
      to: toDateOrNull(job.range_to) ?? undefined,
    };
    let thread: TrainingThread | null = null;
    try {
      if (this.closed) throw new Error('the server stopped before the job started');
      await deps.jobs.started(job.id, deps.clock());
      await deps.flushAssessments();
      const [rules, active] = await Promise.all([deps.currentRules(tenantId), deps.repo.activeModel(tenantId)]);
      thread = this.thread = TrainingThread.start();
      for await (const page of deps.repo.labeledPages(tenantId, range)) thread.send(page);
      const outcome = await thread.train({
        ruleSet: rules.ruleSet,
        active: active ? { version: active.version, model: active.model } : null,
        holdoutFraction: HOLDOUT_FRACTION,
      });
      if (!outcome.ok) {
        await deps.jobs.finished(job.id, deps.clock(), { status: 'failed', error: outcome.problem });
        return;
      }
      const comparedWith = { rulesVersion: rules.version, modelVersion: active?.version ?? null };
      const verdict = judge(
        outcome.holdout.candidate,
        outcome.holdout.active,
        `rules v${rules.version}${active ? ` + model v${active.version}` : ' alone'}`,
      );
      const holdout = { ...outcome.holdout, comparedWith };
      const metrics = {
        training: outcome.training,
        holdout,
        activated: verdict.activate,
        reason: verdict.reason,
        from: range.from?.toISOString() ?? null,
        to: range.to?.toISOString() ?? null,
        jobId: job.id,
      };
      const stored = await deps.repo.insertModel(
        tenantId,
        outcome.model,
        metrics,
        outcome.trainingSize,
        verdict.activate,
      );
      if (verdict.activate) deps.activated(tenantId);
      const result: TrainingResult = {
        version: stored.version,
        activated: verdict.activate,
        reason: verdict.reason,
        trainingSize: outcome.trainingSize,
        holdout,
      };
      await deps.jobs.finished(job.id, deps.clock(), { status: 'succeeded', result: { ...result } });
    } catch (error) {
      const message = this.closed
        ? 'the server stopped before the job finished'
        : error instanceof Error
          ? error.message
          : String(error);
      deps.logger.error({ err: error, jobId: job.id }, 'model training job failed');
      await deps.jobs
        .finished(job.id, deps.clock(), { status: 'failed', error: message })
        .catch((e: unknown) => deps.logger.error({ err: e, jobId: job.id }, 'training job state could not be stored'));
    } finally {
      this.held.delete(job.id);
      if (thread) {
        if (this.thread === thread) this.thread = null;
        await thread.stop();
      }
    }
  }
}

function present(row: TrainingJobRow, now: Date): TrainingJobView {
  const open = row.status === 'queued' || row.status === 'running';
  const heartbeat = toDateOrNull(row.heartbeat_at);
  const lost = open && heartbeat !== null && now.getTime() - heartbeat.getTime() > STALE_MS;
  const at = (value: Date | string | null) => (value === null ? null : isoTimestamp(value));
  return {
    jobId: row.id,
    status: lost ? 'failed' : (row.status as JobStatus),
    from: at(row.range_from),
    to: at(row.range_to),
    requestedBy: row.requested_by,
    createdAt: isoTimestamp(row.created_at),
    startedAt: at(row.started_at),
    finishedAt: at(row.finished_at),
    result: (row.result as TrainingResult | null) ?? null,
    error: lost ? 'the instance running the job stopped before it finished' : row.error,
  };
}
