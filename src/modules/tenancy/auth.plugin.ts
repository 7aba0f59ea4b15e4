import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { safeEqual } from '../../platform/crypto/hashing.js';
import { AppError } from '../../platform/errors/app-error.js';
import { bearerToken } from '../../platform/http/bearer.js';
import { rateLimited, type RequestLimits } from '../../platform/http/rate-limit.js';
import type { ApiKeyService, Principal } from './api-key.service.js';
import { dataAccessAction } from './audit.hook.js';
import { requiredPermission, requiredScope, rolesWith, scopeNote, type Permission, type Scope } from './scopes.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The dashboard's session cookie (httpOnly, SameSite=Lax, Secure over HTTPS). */
export const SESSION_COOKIE = 'paylens_session';
/** A cookie-authenticated write must carry its session's CSRF token in this header. */
export const CSRF_HEADER = 'x-csrf-token';

/** Finds the signed-in user behind a session cookie; implemented by the access module. */
export interface SessionResolver {
  /** Null for an unknown, ended, idle or expired session, or a disabled user. */
  resolve(token: string): Promise<Principal | null>;
}

export interface AuthDeps {
  keys: ApiKeyService;
  limits: RequestLimits;
  /** Without it only API keys authenticate. */
  sessions?: SessionResolver;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sessionCookie(request: FastifyRequest): string | null {
  const cookies = (request as { cookies?: Record<string, string | undefined> }).cookies;
  const value = cookies?.[SESSION_COOKIE];
  return value ? value : null;
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/**
 * A cookie travels with every request the browser makes to this host, so a cookie-authenticated
 * write must prove it comes from the dashboard: the session's CSRF token in X-CSRF-Token, which a
 * page on another origin cannot read. A request that names another origin is refused outright (this
 * also covers WebSocket upgrades, which carry no custom header).
 */
function checkCookieRequest(request: FastifyRequest, principal: Principal): void {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    if (originHost(origin) !== request.host)
      throw new AppError('csrf_rejected', `Requests from ${origin} may not use the session`);
  }
  if (SAFE_METHODS.has(request.method)) return;
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !principal.user || !safeEqual(sent, principal.user.csrfToken))
    throw new AppError('csrf_rejected', `Send the session's CSRF token (GET /v1/me, csrfToken) as ${CSRF_HEADER}`);
}

/**
 * Resolves the caller of a route that needs `scope` (an API key) or `permission` (a signed-in user):
 * 401 for a missing, unknown, expired or revoked key or session; 403 `forbidden` from an address
 * outside the key's allowlist or for a role without the permission; 403 `insufficient_scope`; 403
 * `csrf_rejected` for a cookie-authenticated write without its token; 429 once the key or user has
 * used its requests for the minute. An Authorization header wins over a session cookie.
 */
export async function authorize(
  deps: AuthDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  token: string | null,
  scope: Scope,
  permission: Permission = requiredPermission(request.method, request.routeOptions.url ?? '', scope),
): Promise<Principal> {
  const cookie = token ? null : sessionCookie(request);
  if (cookie && deps.sessions) return authorizeSession(deps, request, reply, cookie, permission);
  if (!token) throw new AppError('unauthorized', 'Sign in, or send an API key as Authorization: Bearer pl_…');
  const principal = await deps.keys.authenticate(token);
  if (!principal) throw new AppError('unauthorized', 'The API key is invalid, expired or revoked');
  if (!principal.allowsAddress(request.ip)) {
    // A good key from the wrong place is a failed authentication as much as a wrong key.
    await deps.limits.failed(request.ip);
    throw new AppError('forbidden', `This API key may not be used from ${request.ip}`);
  }
  if (!principal.scopes.includes(scope)) {
    throw new AppError(
      'insufficient_scope',
      `This route needs the ${scope} scope; the key has ${principal.scopes.join(', ')}`,
      { requiredScope: scope },
    );
  }
  const wait = await deps.limits.key(principal.keyId);
  if (wait !== null) throw rateLimited(reply, wait, 'This API key has made too many requests');
  return principal;
}

async function authorizeSession(
  deps: AuthDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  cookie: string,
  permission: Permission,
): Promise<Principal> {
  const principal = await deps.sessions!.resolve(cookie);
  if (!principal?.user) throw new AppError('unauthorized', 'The session has ended; sign in again');
  checkCookieRequest(request, principal);
  if (!principal.user.permissions.has(permission)) {
    const roles = rolesWith(permission);
    throw new AppError(
      'forbidden',
      roles.length === 0
        ? 'Signed-in users cannot do this; use an API key'
        : `This needs the role ${roles.join(', ')}; you are ${principal.user.role}`,
      { requiredPermission: permission },
    );
  }
  const wait = await deps.limits.key(principal.keyId);
  if (wait !== null) throw rateLimited(reply, wait, 'Too many requests from this user');
  return principal;
}

/** onRequest hook of the /v1 routes: the request's API key or session, checked against the route's scope or permission. */
export function apiKeyAuth(deps: AuthDeps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const config = request.routeOptions.config;
    if (config.public) return;
    request.principal = await authorize(
      deps,
      request,
      reply,
      bearerToken(request),
      config.scope ?? 'manage',
      config.permission ?? 'configure',
    );
  };
}

/**
 * onRoute hook of the /v1 routes: fixes each route's scope and permission (from the central table in
 * scopes.ts), says them in the route's OpenAPI description, and names the audit action of routes that
 * read card data (see dataAccessAction).
 */
export function declareScope(route: RouteOptions): void {
  const method = Array.isArray(route.method) ? route.method[0]! : route.method;
  const description = route.schema?.description;
  if (route.config?.public) {
    const note = 'Needs no credentials.';
    route.schema = { ...route.schema, description: description ? `${description}\n\n${note}` : note };
    return;
  }
  const scope = route.config?.scope ?? requiredScope(method, route.url);
  const permission = route.config?.permission ?? requiredPermission(method, route.url, scope);
  const audit = route.config?.audit ?? dataAccessAction(method, route.url);
  route.config = { ...route.config, scope, permission, ...(audit ? { audit } : {}) };
  const note = scopeNote(scope, permission);
  route.schema = { ...route.schema, description: description ? `${description}\n\n${note}` : note };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized');
  return request.principal;
}

export function tenantOf(request: FastifyRequest): string {
  return principalOf(request).tenantId;
}

/** Who made the call, for audit trails: the API key's or the signed-in user's id. */
export const actorOf = (request: { principal: { keyId: string } | null }) => request.principal?.keyId ?? 'unknown';
