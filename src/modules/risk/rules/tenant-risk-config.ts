import { LRUCache } from 'lru-cache';
import { UNCOUNTED_LOOKUPS, type CacheLookups } from '../../../platform/metrics/metrics.js';
import type { ListRepository } from '../lists/list.repository.js';
import type { VersionedModel } from '../model/model-training.js';
import type { RiskRepository } from '../risk.repository.js';
import { buildListIndex, type ListIndex } from '../risk-subject.js';
import { defaultRuleSet, type RuleSet } from './rules.js';

export interface TenantRiskConfig {
  ruleSet: RuleSet;
  rulesVersion: number;
  model: VersionedModel | null;
  lists: ListIndex;
}

/**
 * Per-tenant rules, active model and lists, cached so scoring costs no database round trip. A
 * change made through this instance invalidates at once; other instances pick it up within the TTL
 * (and one reload). An entry past its TTL is still served while its reload runs in the background:
 * a score never waits for the database behind a long query (a model training reading its history,
 * a slow disk) once its tenant's configuration is loaded.
 */
export class TenantRiskConfigCache {
  private readonly cache: LRUCache<string, { config: Promise<TenantRiskConfig>; loadedAt: number; reloading: boolean }>;

  constructor(
    private readonly risk: RiskRepository,
    private readonly lists: ListRepository,
    private readonly lookups: CacheLookups = UNCOUNTED_LOOKUPS,
    private readonly ttlMs = 5_000,
  ) {
    this.cache = new LRUCache({ max: 10_000 });
  }

  get(tenantId: string): Promise<TenantRiskConfig> {
    const entry = this.cache.get(tenantId);
    if (!entry) {
      this.lookups.miss();
      return this.loadInto(tenantId).config;
    }
    // A stale entry served while it reloads is a hit: the score did not wait for the database.
    this.lookups.hit();
    if (!entry.reloading && Date.now() - entry.loadedAt > this.ttlMs) {
      entry.reloading = true;
      const next = this.load(tenantId);
      next.then(
        () => {
          // Unless invalidated meanwhile: then a newer load already stands in its place.
          if (this.cache.get(tenantId) === entry)
            this.cache.set(tenantId, { config: next, loadedAt: Date.now(), reloading: false });
        },
        () => (entry.reloading = false),
      );
    }
    return entry.config;
  }

  invalidate(tenantId: string): void {
    this.cache.delete(tenantId);
  }

  private loadInto(tenantId: string) {
    const entry = { config: this.load(tenantId), loadedAt: Date.now(), reloading: false };
    this.cache.set(tenantId, entry);
    // A failed first load must not be cached: the next request retries.
    entry.config.catch(() => {
      if (this.cache.get(tenantId) === entry) this.cache.delete(tenantId);
    });
    return entry;
  }

  private async load(tenantId: string): Promise<TenantRiskConfig> {
    const [rules, model, matchers] = await Promise.all([
      this.risk.latestRuleSet(tenantId),
      this.risk.activeModel(tenantId),
      this.lists.matchers(tenantId),
    ]);
    return {
      ruleSet: rules?.ruleSet ?? defaultRuleSet,
      rulesVersion: rules?.version ?? 0,
      model: model ? { version: model.version, model: model.model } : null,
      lists: buildListIndex(matchers),
    };
  }
}
