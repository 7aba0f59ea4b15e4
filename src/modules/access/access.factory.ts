import type { Kysely } from 'kysely';
import type { Database } from '../../database.js';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import type { OutboundHttp } from '../../platform/net/outbound-client.js';
import { AccessService, type AccessSettings, type AuditRecorder, type TenantLookup } from './access.service.js';
import { SessionRepository } from './session.repository.js';
import { SsoService } from './sso.service.js';
import { UserRepository } from './user.repository.js';

export interface AccessFactoryDeps {
  db: Kysely<Database>;
  audit: AuditRecorder;
  tenants: TenantLookup;
  /** Encrypts TOTP and SSO client secrets at rest. */
  secretBox(): Promise<SecretBox | null>;
  /** Calls to the tenants' OpenID providers. */
  http: OutboundHttp;
  /** Told the sessions that ended (disable, role change, sign-out, timeout), to close their live feeds. */
  onSessionsEnded(tenantId: string, sessionIds: readonly string[]): void;
  clock: () => Date;
  settings: Omit<AccessSettings, 'lockoutFailures' | 'lockoutWindowMs'>;
}

/** At most 10 failed password sign-ins per account within 15 minutes, then the account waits. */
const LOCKOUT = { lockoutFailures: 10, lockoutWindowMs: 15 * 60_000 };

export function createAccess(deps: AccessFactoryDeps) {
  const users = new UserRepository(deps.db);
  const service = new AccessService({
    users,
    sessions: new SessionRepository(deps.db),
    audit: deps.audit,
    tenants: deps.tenants,
    secretBox: deps.secretBox,
    onSessionsEnded: deps.onSessionsEnded,
    clock: deps.clock,
    settings: { ...deps.settings, ...LOCKOUT },
  });
  const sso = new SsoService({
    db: deps.db,
    users,
    access: service,
    audit: deps.audit,
    tenants: deps.tenants,
    http: deps.http,
    secretBox: deps.secretBox,
    clock: deps.clock,
  });
  return { service, sso, publicUrl: deps.settings.publicUrl };
}

export type Access = ReturnType<typeof createAccess>;
