import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../../platform/errors/app-error.js';
import { bearerToken } from '../../platform/http/bearer.js';
import { rateLimited, type RequestLimits } from '../../platform/http/rate-limit.js';
import type { ApiKeyService, Principal } from './api-key.service.js';
import { requiredScope, scopeNote, type Scope } from './scopes.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface AuthDeps {
  keys: ApiKeyService;
  limits: RequestLimits;
}

/**
 * Resolves an API key for a route that needs `scope`: 401 for a missing, unknown, expired or revoked
 * key; 403 `forbidden` from an address outside the key's allowlist; 403 `insufficient_scope`; 429
 * once the key has used its requests for the minute.
 */
export async function authorize(
  deps: AuthDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  token: string | null,
  scope: Scope,
): Promise<Principal> {
  if (!token) throw new AppError('unauthorized', 'Send an API key as Authorization: Bearer pl_…');
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

/** onRequest hook of the /v1 routes: the request's API key, checked against the route's scope. */
export function apiKeyAuth(deps: AuthDeps) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    request.principal = await authorize(
      deps,
      request,
      reply,
      bearerToken(request),
      request.routeOptions.config.scope ?? 'manage',
    );
  };
}

/** onRoute hook of the /v1 routes: fixes each route's scope and says it in the route's OpenAPI description. */
export function declareScope(route: RouteOptions): void {
  const method = Array.isArray(route.method) ? route.method[0]! : route.method;
  const scope = route.config?.scope ?? requiredScope(method, route.url);
  route.config = { ...route.config, scope };
  const description = route.schema?.description;
  route.schema = {
    ...route.schema,
    description: description ? `${description}\n\n${scopeNote(scope)}` : scopeNote(scope),
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized');
  return request.principal;
}

export function tenantOf(request: FastifyRequest): string {
  return principalOf(request).tenantId;
}

/** Who made the call, for audit trails: the API key id. */
export const actorOf = (request: { principal: { keyId: string } | null }) => request.principal?.keyId ?? 'unknown';
