import * as oidc from 'openid-client';
import type { Kysely, Selectable } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from '../../database.js';
import { sha256Hex } from '../../platform/crypto/hashing.js';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import { AppError, fieldError } from '../../platform/errors/app-error.js';
import { newId } from '../../platform/ids.js';
import type { OutboundHttp } from '../../platform/net/outbound-client.js';
import { toDate } from '../../platform/db/timestamps.js';
import { ROLES, type Role } from '../tenancy/index.js';
import {
  normalizeEmail,
  type AccessService,
  type AuditRecorder,
  type Caller,
  type TenantLookup,
} from './access.service.js';
import type { SsoRequestsTable } from './access.tables.js';
import type { UserRecord, UserRepository } from './user.repository.js';

/** A tenant's OpenID Connect settings as an admin sets them (the client secret is write-only). */
export interface SsoSettings {
  issuer: string;
  clientId: string;
  /** Where the role is read from in the ID token or userinfo claims, e.g. `groups` or `paylens_role`. */
  roleClaim: string;
  /** Claim value (a group name, or a role name) → role. An owner is only ever made in Paylens. */
  roleMapping: Record<string, Exclude<Role, 'owner'>>;
  /** The role of a user no mapping matches; null refuses them. */
  defaultRole: Exclude<Role, 'owner'> | null;
  /** Creates users on their first SSO sign-in; without it only invited or existing users get in. */
  jitProvisioning: boolean;
}

interface StoredSettings extends SsoSettings {
  clientSecret: string;
}

export interface SsoDeps {
  db: Kysely<Database>;
  users: UserRepository;
  access: AccessService;
  audit: AuditRecorder;
  tenants: TenantLookup;
  /** The issuer is a tenant's setting: every call to it goes through the outbound policy. */
  http: OutboundHttp;
  secretBox(): Promise<SecretBox | null>;
  clock: () => Date;
}

const REQUEST_TTL_MS = 10 * 60_000;
const RANK: Record<Role, number> = { viewer: 0, analyst: 1, admin: 2, owner: 3 };

/** Why an SSO sign-in was refused, as a word the dashboard can show (never the provider's own text). */
export class SsoRefused extends Error {
  constructor(readonly reason: 'not_configured' | 'flow' | 'provider' | 'no_role' | 'not_invited' | 'disabled') {
    super(reason);
  }
}

/** The role a token's claims map to: the highest role any of the claim's values maps to. */
export function mappedRole(settings: SsoSettings, claims: Record<string, unknown>): Role | null {
  const raw = claims[settings.roleClaim];
  const values = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  let best: Role | null = null;
  for (const value of values) {
    if (typeof value !== 'string') continue;
    const role = Object.hasOwn(settings.roleMapping, value) ? settings.roleMapping[value] : undefined;
    if (role && (best === null || RANK[role] > RANK[best])) best = role;
  }
  return best;
}

/** Who a refused SSO sign-in was, as far as the callback got: for the failed sign-in's audit entry. */
interface Seen {
  email: string | null;
  user: UserRecord | null;
}

/** OpenID Connect sign-in per tenant: authorization code with PKCE, through openid-client. */
export class SsoService {
  private readonly configs = new LRUCache<string, Promise<oidc.Configuration>>({ max: 1000, ttl: 10 * 60_000 });

  constructor(private readonly deps: SsoDeps) {}

  async settings(tenantId: string): Promise<SsoSettings | null> {
    const stored = await this.stored(tenantId);
    if (!stored) return null;
    const { clientSecret: _secret, ...visible } = stored;
    return visible;
  }

  async save(tenantId: string, input: SsoSettings & { clientSecret: string }, caller: Caller): Promise<SsoSettings> {
    const problem = this.deps.http.urlProblem(input.issuer);
    if (problem) throw fieldError('issuer', problem);
    const box = await this.box();
    const now = this.deps.clock();
    const row = {
      issuer: input.issuer,
      client_id: input.clientId,
      client_secret: box.encrypt(input.clientSecret, `sso:${tenantId}`),
      role_claim: input.roleClaim,
      role_mapping: JSON.stringify(input.roleMapping),
      default_role: input.defaultRole,
      jit_provisioning: input.jitProvisioning,
      updated_at: now,
    };
    await this.deps.db
      .insertInto('sso_settings')
      .values({ tenant_id: tenantId, ...row })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(row))
      .execute();
    this.configs.delete(tenantId);
    const { clientSecret: _secret, ...visible } = input;
    await this.deps.audit.record(tenantId, {
      actor: caller.actor,
      action: 'sso.update',
      target: null,
      details: { ...caller.details, ...visible },
    });
    return visible;
  }

  /** The provider's authorization URL for a sign-in (or an invitation's acceptance) and the state that binds it. */
  async start(
    tenantName: string,
    invitation: string | null,
    redirectUri: string,
  ): Promise<{ url: string; state: string }> {
    const tenant = await this.deps.tenants.findByName(tenantName);
    const settings = tenant ? await this.stored(tenant.id) : null;
    if (!tenant || !settings) throw new SsoRefused('not_configured');
    const config = await this.configFor(tenant.id, settings);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    await this.deps.db
      .insertInto('sso_requests')
      .values({
        state_hash: sha256Hex(state),
        tenant_id: tenant.id,
        code_verifier: verifier,
        nonce,
        invitation_token: invitation,
        expires_at: new Date(this.deps.clock().getTime() + REQUEST_TTL_MS),
      })
      .execute();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state };
  }

  /**
   * Completes a sign-in: exchanges the code (PKCE, state, nonce checked by openid-client), finds
   * the user (by subject, an invitation, or a verified e-mail address), provisions one when the
   * tenant allows it, applies the mapped role, and opens a session.
   */
  async callback(callbackUrl: URL, state: string, caller: Caller) {
    const request = await this.deps.db
      .deleteFrom('sso_requests')
      .where('state_hash', '=', sha256Hex(state))
      .returningAll()
      .executeTakeFirst();
    if (!request || toDate(request.expires_at) <= this.deps.clock()) throw new SsoRefused('flow');
    const seen: Seen = { email: null, user: null };
    try {
      return await this.complete(request, callbackUrl, state, caller, seen);
    } catch (error) {
      if (error instanceof SsoRefused) {
        await this.deps.audit.record(request.tenant_id, {
          actor: seen.user?.id ?? 'anonymous',
          action: 'auth.sign_in_failed',
          target: seen.user?.id ?? null,
          details: { ...caller.details, email: seen.email, method: 'sso', reason: error.reason },
        });
      }
      throw error;
    }
  }

  private async complete(
    request: Selectable<SsoRequestsTable>,
    callbackUrl: URL,
    state: string,
    caller: Caller,
    seen: Seen,
  ) {
    const settings = await this.stored(request.tenant_id);
    if (!settings) throw new SsoRefused('not_configured');
    const config = await this.configFor(request.tenant_id, settings);
    let claims: Record<string, unknown>;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: request.code_verifier,
        expectedState: state,
        expectedNonce: request.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      // Providers often keep e-mail and groups out of the ID token: the userinfo endpoint has them.
      if (typeof claims.sub === 'string' && (claims.email === undefined || claims[settings.roleClaim] === undefined)) {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        claims = { ...info, ...claims, ...pick(info, ['email', 'email_verified', settings.roleClaim]) };
      }
    } catch {
      throw new SsoRefused('provider');
    }
    const subject = typeof claims.sub === 'string' ? claims.sub : null;
    const email = typeof claims.email === 'string' ? normalizeEmail(claims.email) : null;
    const verified = claims.email_verified === true;
    seen.email = email;
    if (!subject) throw new SsoRefused('provider');
    const tenantId = request.tenant_id;
    const role = mappedRole(settings, claims);

    let user = await this.deps.users.findBySsoSubject(tenantId, subject);
    let how = 'subject';
    if (!user && request.invitation_token) {
      const invited = await this.deps.access.peekInvitation(request.invitation_token);
      // The invitation names an address: the identity must be that address, verified by the provider.
      if (!invited || invited.tenantId !== tenantId || !verified || invited.email !== email)
        throw new SsoRefused('not_invited');
      user = await this.deps.access.takeInvitation(request.invitation_token);
      how = 'invitation';
    }
    if (!user && email && verified) {
      user = await this.deps.users.findByEmail(tenantId, email);
      how = 'email';
    }
    if (!user) {
      const jitRole = role ?? settings.defaultRole;
      if (!settings.jitProvisioning || !email || !verified) throw new SsoRefused('not_invited');
      if (!jitRole) throw new SsoRefused('no_role');
      user = await this.deps.users.insert(
        { id: newId('usr'), tenantId, email, role: jitRole, ssoSubject: subject },
        this.deps.clock(),
      );
      if (!user) throw new SsoRefused('not_invited');
      how = 'provisioned';
      await this.deps.audit.record(tenantId, {
        actor: user.id,
        action: 'user.provision',
        target: user.id,
        details: { ...caller.details, email, role: jitRole, issuer: settings.issuer },
      });
    }
    seen.user = user;
    if (user.disabledAt) throw new SsoRefused('disabled');
    user = await this.link(user, subject, role, settings, caller);
    if (how === 'invitation') {
      await this.deps.audit.record(tenantId, {
        actor: user.id,
        action: 'invitation.accept',
        target: user.id,
        details: { ...caller.details, email: user.email, method: 'sso' },
      });
    }
    return this.deps.access.openSession(user, 'sso', caller);
  }

  /** Records the subject on first use and follows the provider's role (an owner stays an owner). */
  private async link(
    user: UserRecord,
    subject: string,
    role: Role | null,
    settings: StoredSettings,
    caller: Caller,
  ): Promise<UserRecord> {
    if (user.ssoSubject !== null && user.ssoSubject !== subject) throw new SsoRefused('not_invited');
    const nextRole = user.role === 'owner' ? 'owner' : (role ?? (user.ssoSubject ? settings.defaultRole : null));
    const roleChange = nextRole !== null && nextRole !== user.role;
    if (user.ssoSubject === subject && !roleChange) return user;
    const now = this.deps.clock();
    const updated = await this.deps.users.update(
      user.tenantId,
      user.id,
      { ...(user.ssoSubject ? {} : { sso_subject: subject }), ...(roleChange ? { role: nextRole } : {}) },
      now,
    );
    if (roleChange) {
      // As a role change through the API does: the sessions opened under the old role end at once.
      await this.deps.access.endSessionsOf(user.tenantId, user.id);
      await this.deps.audit.record(user.tenantId, {
        actor: user.id,
        action: 'user.role_change',
        target: user.id,
        details: { ...caller.details, email: user.email, from: user.role, to: nextRole, by: 'sso' },
      });
    }
    return updated ?? user;
  }

  private async stored(tenantId: string): Promise<StoredSettings | null> {
    const row = await this.deps.db
      .selectFrom('sso_settings')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      issuer: row.issuer,
      clientId: row.client_id,
      clientSecret: (await this.box()).decrypt(row.client_secret, `sso:${tenantId}`),
      roleClaim: row.role_claim,
      roleMapping: row.role_mapping as SsoSettings['roleMapping'],
      defaultRole: ROLES.includes(row.default_role as Role) ? (row.default_role as SsoSettings['defaultRole']) : null,
      jitProvisioning: row.jit_provisioning,
    };
  }

  private configFor(tenantId: string, settings: StoredSettings): Promise<oidc.Configuration> {
    const cacheKey = `${tenantId}|${settings.issuer}|${settings.clientId}`;
    let config = this.configs.get(cacheKey);
    if (!config) {
      const fetchVia = outboundFetch(this.deps.http);
      const insecure = settings.issuer.startsWith('http:');
      config = oidc
        .discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, undefined, {
          [oidc.customFetch]: fetchVia,
          // http issuers pass only when the outbound policy allows http at all (OUTBOUND_ALLOW_HTTP).
          ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
        })
        .then((c) => {
          c[oidc.customFetch] = fetchVia;
          return c;
        });
      config.catch(() => this.configs.delete(cacheKey));
      this.configs.set(cacheKey, config);
    }
    return config.catch(() => {
      throw new SsoRefused('provider');
    });
  }

  private async box(): Promise<SecretBox> {
    const box = await this.deps.secretBox();
    if (!box) throw new AppError('conflict', 'SSO needs PAYLENS_ENCRYPTION_KEY to keep the client secret encrypted');
    return box;
  }
}

function pick(from: Record<string, unknown>, names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.filter((n) => from[n] !== undefined).map((n) => [n, from[n]]));
}

/** openid-client's fetch, carried out by the outbound client (https and public addresses unless allowed, no redirects). */
function outboundFetch(http: OutboundHttp): oidc.CustomFetch {
  return async (url, options) => {
    const method = options.method === 'POST' ? 'POST' : 'GET';
    const body =
      options.body === undefined || options.body === null
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : options.body instanceof URLSearchParams
            ? options.body.toString()
            : Buffer.from(options.body as ArrayBuffer).toString('utf8');
    const res = await http.request(url, { method, headers: options.headers, ...(body === undefined ? {} : { body }) });
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    return new Response(res.status === 204 || res.status === 304 ? null : new Uint8Array(res.body), {
      status: res.status,
      headers,
    });
  };
}
