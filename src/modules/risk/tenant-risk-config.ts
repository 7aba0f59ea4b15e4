import { LRUCache } from 'lru-cache';
import type { ListRepository } from './list.repository.js';
import type { VersionedModel } from './model-training.js';
import type { RiskRepository } from './risk.repository.js';
import { buildListIndex, type ListIndex } from './risk-subject.js';
import { defaultRuleSet, type RuleSet } from './rules.js';

export interface TenantRiskConfig {
  ruleSet: RuleSet;
  rulesVersion: number;
  model: VersionedModel | null;
  lists: ListIndex;
}

/**
 * Per-tenant rules, active model and lists, cached so scoring costs no database round trip. A
 * change made through this instance invalidates at once; other instances pick it up within the TTL.
 */
export class TenantRiskConfigCache {
  private readonly cache: LRUCache<string, Promise<TenantRiskConfig>>;

  constructor(
    private readonly risk: RiskRepository,
    private readonly lists: ListRepository,
    ttlMs = 5_000,
  ) {
    this.cache = new LRUCache({ max: 10_000, ttl: ttlMs });
  }

  get(tenantId: string): Promise<TenantRiskConfig> {
    let entry = this.cache.get(tenantId);
    if (!entry) {
      entry = this.load(tenantId);
      this.cache.set(tenantId, entry);
      // A failed load must not be cached: the next request retries.
      entry.catch(() => this.cache.delete(tenantId));
    }
    return entry;
  }

  invalidate(tenantId: string): void {
    this.cache.delete(tenantId);
  }

  private async load(tenantId: string): Promise<TenantRiskConfig> {
    const [rules, model, matchers] = await Promise.all([this.risk.latestRuleSet(tenantId), this.risk.activeModel(tenantId), this.lists.matchers(tenantId)]);
    return {
      ruleSet: rules?.ruleSet ?? defaultRuleSet,
      rulesVersion: rules?.version ?? 0,
      model: model ? { version: model.version, model: model.model } : null,
      lists: buildListIndex(matchers),
    };
  }
}
