import type { FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.js';
import type { ApiKeyService, Principal } from './api-key.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/** onRequest hook: resolves the API key to its tenant or answers 401. */
export function apiKeyAuth(keys: ApiKeyService) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request);
    if (!token) throw new AppError('unauthorized', 'Send an API key as Authorization: Bearer pl_…');
    const principal = await keys.authenticate(token);
    if (!principal) throw new AppError('unauthorized', 'The API key is invalid, expired or revoked');
    request.principal = principal;
  };
}

export function tenantOf(request: FastifyRequest): string {
  if (!request.principal) throw new AppError('unauthorized');
  return request.principal.tenantId;
}

/** Who made the call, for audit trails: the API key id. */
export const actorOf = (request: { principal: { keyId: string } | null }) => request.principal?.keyId ?? 'unknown';
