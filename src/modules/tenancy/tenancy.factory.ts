import type { Kysely } from 'kysely';
import type { Database } from '../../database.js';
import type { CacheLookups } from '../../platform/metrics/metrics.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { ApiKeyService } from './api-key.service.js';
import { AuditRepository } from './audit.repository.js';
import { AuditLog } from './audit.service.js';
import { TenantRepository } from './tenant.repository.js';

export interface TenancyDeps {
  db: Kysely<Database>;
  /** How long a verified key is trusted before it is read again (a revocation elsewhere takes effect within it). */
  apiKeyCacheTtlMs: number;
  clock: () => Date;
  /** Told whether each key lookup was answered from the cache. */
  apiKeyLookups?: CacheLookups;
}

/** Tenants, their API keys and their audit log. */
export function createTenancy(deps: TenancyDeps) {
  return {
    tenants: new TenantRepository(deps.db),
    apiKeys: new ApiKeyService(new ApiKeyRepository(deps.db), deps.apiKeyCacheTtlMs, deps.clock, deps.apiKeyLookups),
    audit: new AuditLog(new AuditRepository(deps.db), deps.clock),
  };
}
