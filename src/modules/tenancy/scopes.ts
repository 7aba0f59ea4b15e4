import { z } from 'zod';

/**
 * What an API key may do. A route needs exactly one scope: `ingest` sends payment events, `score`
 * asks for risk scores and reports their outcomes (labels), `read` reads everything the tenant has
 * (events, raw payloads, payments, analytics, alerts, risk, audit, the live feed) and `manage`
 * changes configuration (API keys, webhook endpoints, rules, lists, models, dead letters, alert settings).
 */
export const SCOPES = ['ingest', 'score', 'read', 'manage'] as const;
export type Scope = (typeof SCOPES)[number];

export const scopeSchema = z.enum(SCOPES);

/**
 * What a signed-in person may do, finer than a key's scopes: a route needs one permission, and a
 * role is a set of them (ROLE_PERMISSIONS). `self` is the person's own account (GET /v1/me, TOTP).
 * `ingest` and `score` belong to machines: no role holds them.
 */
export const PERMISSIONS = [
  'self',
  'view',
  'view_payloads',
  'label',
  'dead_letters',
  'lists',
  'configure',
  'api_keys',
  'audit',
  'users',
  'ingest',
  'score',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['viewer', 'analyst', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

const VIEWER: readonly Permission[] = ['self', 'view'];
const ANALYST: readonly Permission[] = [...VIEWER, 'view_payloads', 'label', 'dead_letters', 'lists'];
const ADMIN: readonly Permission[] = [...ANALYST, 'configure', 'api_keys', 'audit', 'users'];

/**
 * Each role's permissions. An owner can do what an admin can, and is the only one who may make,
 * change or disable an owner (enforced where users are changed); a tenant always keeps one owner.
 */
export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  viewer: new Set(VIEWER),
  analyst: new Set(ANALYST),
  admin: new Set(ADMIN),
  owner: new Set(ADMIN),
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope an API key needs for the route; derived from the method and path unless a route names one. */
    scope?: Scope;
    /** The permission a signed-in user's role needs for the route; derived like the scope. */
    permission?: Permission;
    /** Reachable without credentials (sign-in, invitations, SSO): the route checks what it needs itself. */
    public?: boolean;
  }
}

/** Writes that are not configuration changes, and one POST that changes nothing. */
const SCOPE_EXCEPTIONS: Record<string, Scope> = {
  'POST /v1/events': 'ingest',
  'POST /v1/events/batch': 'ingest',
  'POST /v1/risk/score': 'score',
  'POST /v1/risk/score/batch': 'score',
  'POST /v1/risk/labels': 'score',
  'POST /v1/risk/rules/backtest': 'read',
  // Keys are configuration even to look at: who may list them may manage them.
  'GET /v1/api-keys': 'manage',
  'GET /v1/users': 'manage',
  'GET /v1/sso': 'manage',
  // Signing out changes nothing of the tenant's.
  'POST /v1/auth/logout': 'read',
};

/**
 * The route → permission table for people. Routes not listed: a GET needs `view`, a route needing
 * `ingest` or `score` needs that permission (no role has it), and any other write `configure`.
 */
const PERMISSION_EXCEPTIONS: Record<string, Permission> = {
  'GET /v1/me': 'self',
  'POST /v1/auth/logout': 'self',
  'GET /v1/raw-events/:id': 'view_payloads',
  'POST /v1/risk/labels': 'label',
  'POST /v1/dead-letters/:id/replay': 'dead_letters',
  'DELETE /v1/dead-letters/:id': 'dead_letters',
  'POST /v1/lists': 'lists',
  'DELETE /v1/lists/:id': 'lists',
  'GET /v1/lists/audit': 'audit',
  'GET /v1/audit': 'audit',
  'GET /v1/audit/verify': 'audit',
};

/** Prefixes whose every route needs one permission. */
const PERMISSION_PREFIXES: ReadonlyArray<[string, Permission]> = [
  ['/v1/me/', 'self'],
  ['/v1/api-keys', 'api_keys'],
  ['/v1/users', 'users'],
  ['/v1/sso', 'users'],
];

function verbOf(method: string): string {
  // A HEAD route is its GET's twin and needs what the GET needs.
  return method === 'HEAD' ? 'GET' : method;
}

/** The scope a /v1 route needs: reads need `read`, every other write `manage`, except the routes listed above. */
export function requiredScope(method: string, url: string): Scope {
  const verb = verbOf(method);
  return SCOPE_EXCEPTIONS[`${verb} ${url}`] ?? (verb === 'GET' ? 'read' : 'manage');
}

/** The permission a /v1 route needs from a signed-in user's role. */
export function requiredPermission(method: string, url: string, scope: Scope): Permission {
  const verb = verbOf(method);
  const listed = PERMISSION_EXCEPTIONS[`${verb} ${url}`];
  if (listed) return listed;
  for (const [prefix, permission] of PERMISSION_PREFIXES) if (url.startsWith(prefix)) return permission;
  if (scope === 'ingest' || scope === 'score') return scope;
  return verb === 'GET' || scope === 'read' ? 'view' : 'configure';
}

/** The roles whose permissions include `permission`. */
export function rolesWith(permission: Permission): Role[] {
  return ROLES.filter((role) => ROLE_PERMISSIONS[role].has(permission));
}

export function scopeNote(scope: Scope, permission?: Permission): string {
  const key = `Requires an API key with the \`${scope}\` scope (403 \`insufficient_scope\` otherwise)`;
  if (!permission) return `${key}.`;
  const roles = rolesWith(permission);
  const people =
    roles.length === 0
      ? 'signed-in users cannot call it'
      : `or a signed-in user whose role is ${roles.map((r) => `\`${r}\``).join(', ')} (permission \`${permission}\`; 403 \`forbidden\` otherwise)`;
  return `${key}, ${people}.`;
}
