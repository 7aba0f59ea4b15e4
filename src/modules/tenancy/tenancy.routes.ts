import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { safeEqual } from '../../platform/crypto/hashing.js';
import { AppError } from '../../platform/errors/app-error.js';
import { bearerToken } from '../../platform/http/bearer.js';
import { parseCidr } from '../../platform/http/client-address.js';
import { cursorParam, pageOf, pageQuery, timeRangeQuery, toTimeRange } from '../../platform/http/list-query.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import type { ApiKeyRecord } from './api-key.repository.js';
import type { ApiKeyService } from './api-key.service.js';
import { chainBreakReasons } from './audit-chain.js';
import type { AuditLog } from './audit.service.js';
import { principalOf, tenantOf } from './auth.plugin.js';
import { SCOPES, scopeSchema, type Scope } from './scopes.js';
import type { TenantRepository } from './tenant.repository.js';

/*
 * Three plugins, one per door: the operator's tenant creation (admin token, under /admin/v1), and the
 * tenant's own API keys and audit log (API key or session, under /v1). app.ts registers each in its scope.
 */

export const tenantNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _');

/** What the operator routes use: the admin token (the routes refuse every call without one), tenants and keys. */
export interface AdminRoutesDeps {
  adminToken: string | undefined;
  tenants: Pick<TenantRepository, 'create'>;
  apiKeys: Pick<ApiKeyService, 'issue'>;
}

/** Operator routes, enabled only when PAYLENS_ADMIN_TOKEN is set. */
export async function adminRoutes(app: App, { adminToken, tenants, apiKeys }: AdminRoutesDeps): Promise<void> {
  app.addHook('onRequest', async (request) => {
    const token = bearerToken(request);
    if (!adminToken || !token || !safeEqual(token, adminToken))
      throw new AppError('unauthorized', 'Send the admin token as Authorization: Bearer …');
  });

  app.post(
    '/tenants',
    {
      schema: {
        summary: 'Create a tenant and its first API key',
        tags: ['admin'],
        body: z.object({ name: tenantNameSchema }),
        response: {
          201: z.object({
            tenant: z.object({ id: z.string(), name: z.string() }),
            apiKey: z.string().describe('Shown once'),
          }),
          ...problemResponses(401, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const tenant = await tenants.create(request.body.name);
      if (!tenant) throw new AppError('conflict', `Tenant ${request.body.name} exists already`);
      const issued = await apiKeys.issue(tenant.id, 'default');
      return reply.code(201).send({ tenant: { id: tenant.id, name: tenant.name }, apiKey: issued.secret });
    },
  );
}

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

const entrySchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  at: z.string(),
  actor: z.string().describe('The API key id that made the call'),
  action: z.string(),
  target: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});

/** Wire shapes (the dashboard imports them as types). */
export type AuditEntryView = z.output<typeof entrySchema>;

const linkSchema = z.object({ seq: z.number().int(), hash: z.string() });

const chainReportSchema = z.object({
  valid: z.boolean(),
  entries: z.number().int().describe('Entries verified before the first break (all of them when valid)'),
  last: linkSchema.nullable().describe('The last verified entry'),
  broken: z.object({ seq: z.number().int(), reason: z.enum(chainBreakReasons) }).nullable(),
});
export type ChainReportView = z.output<typeof chainReportSchema>;

/** What the audit routes use: the tenant's audit log. */
export interface AuditRoutesDeps {
  audit: Pick<AuditLog, 'list' | 'verify'>;
}

export async function auditRoutes(app: App, { audit }: AuditRoutesDeps): Promise<void> {
  app.get(
    '/audit',
    {
      schema: {
        summary: 'Who changed what and when: the tenant audit log, newest first',
        description:
          'Every successful configuration change through the tenant API (API keys, webhook endpoints, risk rules, list entries, model activation, dead-letter replays and discards, alert settings and resends) is an entry in a per-tenant hash chain. Pass `nextCursor` back as `cursor` for the next page.',
        tags: ['audit'],
        querystring: z.object({
          action: z.string().max(64).optional(),
          actor: z.string().max(64).optional(),
          ...timeRangeQuery.shape,
          ...pageQuery.shape,
        }),
        response: { 200: pageOf(entrySchema), ...problemResponses(401, 422) },
      },
    },
    async (request) => {
      const q = request.query;
      return audit.list(
        tenantOf(request),
        { action: q.action, actor: q.actor, ...toTimeRange(q) },
        q.limit,
        cursorParam(q.cursor, 'aud'),
      );
    },
  );

  app.get(
    '/audit/verify',
    {
      schema: {
        summary: 'Recompute the audit hash chain and report the first altered entry, if any',
        description:
          'Each entry hashes the one before it, so an edited, removed or reordered entry breaks the chain from there on. Entries cut off the end leave a valid, shorter chain: keep the reported last `seq` and `hash` elsewhere to notice that.',
        tags: ['audit'],
        response: {
          200: chainReportSchema,
          ...problemResponses(401),
        },
      },
    },
    async (request) => audit.verify(tenantOf(request)),
  );
}
