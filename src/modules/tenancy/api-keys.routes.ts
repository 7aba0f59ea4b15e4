import { z } from 'zod';
import type { Container } from '../../container.js';
import { AppError } from '../../platform/errors/app-error.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import type { ApiKeyRecord } from './api-key.repository.js';
import { tenantOf } from './auth.plugin.js';

const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
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
  };
}

export async function apiKeyRoutes(app: App, container: Container): Promise<void> {
  app.get('/api-keys', { schema: { summary: 'List API keys (never their secrets)', tags: ['api-keys'], response: { 200: z.object({ data: z.array(apiKeySchema) }) } } }, async (request) => ({
    data: (await container.apiKeys.list(tenantOf(request))).map(present),
  }));

  app.post(
    '/api-keys',
    {
      config: { audit: 'api_key.create' },
      schema: {
        summary: 'Create an API key; the secret is in this response only',
        tags: ['api-keys'],
        body: z.object({ name: z.string().min(1).max(100) }),
        response: { 201: z.object({ apiKey: apiKeySchema, secret: z.string() }), ...problemResponses(401, 422) },
      },
    },
    async (request, reply) => {
      const issued = await container.apiKeys.issue(tenantOf(request), request.body.name);
      return reply.code(201).send({ apiKey: present(issued.key), secret: issued.secret });
    },
  );

  app.post(
    '/api-keys/:id/rotate',
    {
      config: { audit: 'api_key.rotate' },
      schema: {
        summary: 'Replace a key; the old one keeps working for the grace period',
        tags: ['api-keys'],
        params: z.object({ id: z.string().max(64) }),
        body: z.object({ gracePeriodSeconds: z.number().int().min(0).max(30 * 86400).default(86400) }).default({ gracePeriodSeconds: 86400 }),
        response: { 201: z.object({ apiKey: apiKeySchema, secret: z.string() }), ...problemResponses(401, 404, 422) },
      },
    },
    async (request, reply) => {
      const issued = await container.apiKeys.rotate(request.params.id, tenantOf(request), request.body.gracePeriodSeconds);
      if (!issued) throw new AppError('not_found', `No active API key ${request.params.id}`);
      return reply.code(201).send({ apiKey: present(issued.key), secret: issued.secret });
    },
  );

  app.delete(
    '/api-keys/:id',
    {
      config: { audit: 'api_key.revoke' },
      schema: {
        summary: 'Revoke a key at once',
        tags: ['api-keys'],
        params: z.object({ id: z.string().max(64) }),
        response: { 200: apiKeySchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const revoked = await container.apiKeys.revoke(request.params.id, tenantOf(request));
      if (!revoked) throw new AppError('not_found', `No API key ${request.params.id}`);
      return present(revoked);
    },
  );
}
