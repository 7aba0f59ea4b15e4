import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../database.js';
import { GroupCommitter } from '../../platform/db/group-commit.js';
import type { NewAssessmentRow, RiskRepository } from './risk.repository.js';

/**
 * Writes scored assessments behind the answer, many rows per transaction: a score must not wait for
 * a commit. `flush()` (also on shutdown) makes everything queued durable.
 */
export class AssessmentRecorder {
  private readonly committer: GroupCommitter<NewAssessmentRow, null>;

  constructor(
    db: Kysely<Database>,
    repo: RiskRepository,
    private readonly logger: Logger,
  ) {
    this.committer = new GroupCommitter(
      async (rows) => {
        await repo.insertAssessments(db, rows);
        return rows.map(() => null);
      },
      { maxBatch: 500, maxDelayMs: 20, concurrency: 1 },
    );
  }

  record(row: NewAssessmentRow): void {
    this.committer
      .submit(row)
      .catch((error: unknown) =>
        this.logger.error({ err: error, transactionId: row.transaction_id }, 'risk assessment could not be stored'),
      );
  }

  flush(): Promise<void> {
    return this.committer.flush();
  }

  close(): Promise<void> {
    return this.committer.close();
  }
}
