import type { ApiKeyService } from './api-key.service.js';
import type { TenantRepository } from './tenant.repository.js';

export const DEMO_TENANT = 'demo';

export interface BootstrapResult {
  tenantId: string;
  /** Set only when a key was generated now: it is shown once and never again. */
  generatedKey: string | null;
}

/** On first start with no tenant, create `demo` with one key (the configured one, or a fresh one). */
export async function bootstrapFirstTenant(
  tenants: TenantRepository,
  keys: ApiKeyService,
  configuredKey: string | undefined,
): Promise<BootstrapResult | null> {
  if ((await tenants.count()) > 0) return null;
  const tenant = (await tenants.create(DEMO_TENANT)) ?? (await tenants.findByName(DEMO_TENANT));
  if (!tenant) return null;
  if ((await keys.list(tenant.id)).length > 0) return null;
  const issued = await keys.issue(tenant.id, 'bootstrap', { secret: configuredKey });
  return { tenantId: tenant.id, generatedKey: configuredKey ? null : issued.secret };
}
