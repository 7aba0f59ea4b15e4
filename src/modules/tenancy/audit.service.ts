import type { KeysetCursor } from '../../platform/db/keyset-cursor.js';
import { checkChain, GENESIS, type ChainBreak, type ChainedEntry, type ChainLink } from './audit-chain.js';
import type { AuditFilter, AuditRepository, NewAuditEntry } from './audit.repository.js';

export interface ChainReport {
  valid: boolean;
  entries: number;
  last: ChainLink | null;
  broken: ChainBreak | null;
}

const VERIFY_PAGE = 1000;

/** Who changed what, per tenant, in a tamper-evident hash chain. */
export class AuditLog {
  constructor(
    private readonly repo: AuditRepository,
    private readonly clock: () => Date,
  ) {}

  record(tenantId: string, entry: NewAuditEntry): Promise<ChainedEntry> {
    return this.repo.append(tenantId, entry, this.clock());
  }

  list(tenantId: string, filter: AuditFilter, limit: number, cursor: KeysetCursor | null) {
    return this.repo.list(tenantId, filter, limit, cursor);
  }

  /** Recomputes the whole chain, a page at a time; the first break is where the log was altered. */
  async verify(tenantId: string): Promise<ChainReport> {
    let last = GENESIS;
    for (;;) {
      const page = await this.repo.chainAfter(tenantId, last.seq, VERIFY_PAGE);
      const checked = checkChain(page, last);
      last = checked.last;
      if (checked.broken || page.length < VERIFY_PAGE) {
        return {
          valid: checked.broken === null,
          entries: last.seq,
          last: last.seq > 0 ? last : null,
          broken: checked.broken,
        };
      }
    }
  }
}
