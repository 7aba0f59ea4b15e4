import { z } from 'zod';
import { safeEqual } from '../../platform/crypto/hashing.js';
import { AppError } from '../../platform/errors/app-error.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { bearerToken } from '../../platform/http/bearer.js';
import type { ApiKeyService } from './api-key.service.js';
import type { TenantRepository } from './tenant.repository.js';

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
