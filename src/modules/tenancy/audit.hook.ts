import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from './audit.service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Records every successful call of the route in the tenant's audit log under this action name. */
    audit?: string;
  }
}

/** What the call acted on: the id in the path, else the id or version of what it made (never the rest of the answer). */
function targetOf(params: unknown, payload: unknown): string | null {
  const path = params as Record<string, string | number | undefined>;
  const fromPath = path.id ?? path.version;
  if (fromPath !== undefined) return String(fromPath);
  if (typeof payload !== 'string' || !payload.startsWith('{')) return null;
  try {
    const body = JSON.parse(payload) as { id?: unknown; apiKey?: { id?: unknown }; version?: unknown; jobId?: unknown };
    const id = body.id ?? body.apiKey?.id ?? body.version ?? body.jobId;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
  } catch {
    return null;
  }
}

/** Reads of card data (masked, but still the payload as the provider sent it): recorded as data access. */
const DATA_ACCESS: Record<string, string> = {
  'GET /v1/raw-events/:id': 'raw_event.view',
};

export function dataAccessAction(method: string, url: string): string | undefined {
  return DATA_ACCESS[`${method} ${url}`];
}

/** The caller as an audit entry records it: who (key or user), from which address, with which client. */
export function actorDetails(request: FastifyRequest): Record<string, unknown> {
  const principal = request.principal;
  const userAgent = request.headers['user-agent'];
  return {
    actorType: principal?.kind ?? 'anonymous',
    ...(principal?.user ? { email: principal.user.email, sessionId: principal.user.sessionId } : {}),
    clientAddress: request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 300) : null,
  };
}

/**
 * onSend for a route that names an audit action (attached in buildApp): an entry for every successful
 * call, stored before the answer leaves, so a 2xx means the entry is stored. The change itself is
 * already made by then, so a failed audit write is logged rather than turned into an error answer.
 */
export function auditTrail(audit: AuditLog, action: string) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    if (reply.statusCode >= 400 || !request.principal) return payload;
    try {
      await audit.record(request.principal.tenantId, {
        actor: request.principal.keyId,
        action,
        target: targetOf(request.params, payload),
        details: {
          ...actorDetails(request),
          method: request.method,
          route: request.routeOptions.url ?? null,
          status: reply.statusCode,
          requestId: request.id,
        },
      });
    } catch (error) {
      request.log.error({ err: error, action }, 'audit entry could not be stored');
    }
    return payload;
  };
}
