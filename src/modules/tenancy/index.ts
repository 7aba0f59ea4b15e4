export { ApiKeyRepository } from './api-key.repository.js';
export type { ApiKeyRecord } from './api-key.repository.js';
export { ApiKeyService } from './api-key.service.js';
export { actorDetails, auditTrail } from './audit.hook.js';
export { AuditRepository } from './audit.repository.js';
export { AuditLog } from './audit.service.js';
export {
  CSRF_HEADER,
  SESSION_COOKIE,
  actorOf,
  apiKeyAuth,
  authorize,
  declareScope,
  principalOf,
  tenantOf,
} from './auth.plugin.js';
export type { AuthDeps, SessionResolver } from './auth.plugin.js';
export type { Principal, SignedInUser } from './api-key.service.js';
export { DEMO_TENANT, bootstrapFirstTenant } from './bootstrap.js';
export { PERMISSIONS, ROLES, ROLE_PERMISSIONS, SCOPES, roleSchema, scopeNote, scopeSchema } from './scopes.js';
export type { Permission, Role, Scope } from './scopes.js';
export { TenantRepository, type Tenant } from './tenant.repository.js';
export { createTenancy } from './tenancy.factory.js';
export type { TenancyDeps } from './tenancy.factory.js';
export { adminRoutes, apiKeyRoutes, auditRoutes, tenantNameSchema } from './tenancy.routes.js';
export type { AdminRoutesDeps, ApiKeyRoutesDeps, AuditRoutesDeps } from './tenancy.routes.js';
