import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../platform/errors/app-error.js';
import { parseCidr } from '../../platform/http/client-address.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import type { ApiKeyRecord } from './api-key.repository.js';
import type { ApiKeyService } from './api-key.service.js';
import { principalOf, tenantOf } from './auth.plugin.js';
import { SCOPES, scopeSchema, type Scope } from './scopes.js';

const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  scopes: z.array(scopeSchema),
  allowedCidrs: z.array(z.string()).nullable(),
});

const cidrSchema = z
  .string()
  .max(64)
  .refine((v) => parseCidr(v) !== null, 'must be an IP address or CIDR, e.g. 203.0.113.0/24 or 2001:db8::/32');

const newKeySchema = z.object({
  name: z.string().min(1).max(100),
  scopes: z
    .array(scopeSchema)
    .min(1)
    .max(SCOPES.length)
    .optional()
    .describe(
      "What the key may do: ingest (POST /v1/events, /v1/events/batch), score (POST /v1/risk/score, /score/batch, /labels), read (every GET and the live feed), manage (every other change, and the key list). A key grants only scopes it holds itself; the caller's scopes when omitted.",
    ),
  allowedCidrs: z
    .array(cidrSchema)
    .min(1)
    .max(100)
    .optional()
    .describe('Client addresses the key may be used from (CIDRs); any address when omitted'),
});

function present(key: ApiKeyRecord): z.infer<typeof apiKeySchema> {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    scopes: key.scopes,
    allowedCidrs: key.allowedCidrs,
  };
}

/** A key hands on only what it holds: creating or rotating a key with a scope the caller lacks would widen its own reach. */
function grantable(request: FastifyRequest, scopes: readonly Scope[]): Scope[] {
  const principal = principalOf(request);
  // A person whose role manages keys (admin, owner) may issue any scope; only keys are bounded by their own.
  const held = principal.kind === 'user' ? SCOPES : principal.scopes;
  const missing = scopes.filter((s) => !held.includes(s));
  if (missing.length > 0)
    throw new AppError('insufficient_scope', `A key cannot grant scopes it lacks: ${missing.join(', ')}`, {
      requiredScope: missing[0],
    });
  return [...new Set(scopes)];
}

/** What the API-key routes use: the key service. */
export interface ApiKeyRoutesDeps {
  apiKeys: Pick<ApiKeyService, 'list' | 'issue' | 'get' | 'rotate' | 'revoke'>;
}

export async function apiKeyRoutes(app: App, { apiKeys }: ApiKeyRoutesDeps): Promise<void> {
  app.get(
    '/api-keys',
    {
      schema: {
        summary: 'List API keys (never their secrets)',
        tags: ['api-keys'],
        response: { 200: z.object({ data: z.array(apiKeySchema) }), ...problemResponses(401, 403) },
      },
    },
    async (request) => ({
      data: (await apiKeys.list(tenantOf(request))).map(present),
    }),
  );

  app.post(
    '/api-keys',
    {
      config: { audit: 'api_key.create' },
      schema: {
        summary: 'Create an API key; the secret is in this response only',
        description:
          'The new key gets the scopes asked for (those of the calling key when none are named; never one the calling key lacks) and, optionally, an allowlist of client addresses.',
        tags: ['api-keys'],
        body: newKeySchema,
        response: { 201: z.object({ apiKey: apiKeySchema, secret: z.string() }), ...problemResponses(401, 403, 422) },
      },
    },
    async (request, reply) => {
      const { name, scopes, allowedCidrs } = request.body;
      const caller = principalOf(request);
      const granted = grantable(request, scopes ?? (caller.kind === 'user' ? SCOPES : caller.scopes));
      const issued = await apiKeys.issue(tenantOf(request), name, { scopes: granted, allowedCidrs });
      return reply.code(201).send({ apiKey: present(issued.key), secret: issued.secret });
    },
  );

  app.post(
    '/api-keys/:id/rotate',
    {
      config: { audit: 'api_key.rotate' },
      schema: {
        summary: 'Replace a key; the old one keeps working for the grace period',
        description:
          'The replacement keeps the name, scopes and allowlist (so the calling key must hold every scope of the rotated one). A key can be rotated once: a key already rotated (even within its grace period), expired or revoked answers 409, and its end is never moved.',
        tags: ['api-keys'],
        params: z.object({ id: z.string().max(64) }),
        body: z
          .object({
            gracePeriodSeconds: z
              .number()
              .int()
              .min(0)
              .max(30 * 86400)
              .default(86400),
          })
          .default({ gracePeriodSeconds: 86400 }),
        response: {
          201: z.object({ apiKey: apiKeySchema, secret: z.string() }),
          ...problemResponses(401, 403, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const target = await apiKeys.get(request.params.id, tenantOf(request));
      if (target) grantable(request, target.scopes);
      const outcome = await apiKeys.rotate(request.params.id, tenantOf(request), request.body.gracePeriodSeconds);
      if ('refused' in outcome) {
        if (outcome.refused === 'not_found') throw new AppError('not_found', `No API key ${request.params.id}`);
        throw new AppError(
          'conflict',
          `API key ${request.params.id} was already rotated, or has expired or been revoked; its end is final`,
        );
      }
      const issued = outcome.rotated;
      return reply.code(201).send({ apiKey: present(issued.key), secret: issued.secret });
    },
  );

  app.delete(
    '/api-keys/:id',
    {
      config: { audit: 'api_key.revoke' },
      schema: {
        summary: 'Revoke a key at once',
        description: 'The key stops working at once on every instance, and its open live-feed connections are closed.',
        tags: ['api-keys'],
        params: z.object({ id: z.string().max(64) }),
        response: { 200: apiKeySchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const revoked = await apiKeys.revoke(request.params.id, tenantOf(request));
      if (!revoked) throw new AppError('not_found', `No API key ${request.params.id}`);
      return present(revoked);
    },
  );
}
