import { z } from 'zod';
import type { Container } from '../../container.js';
import { AppError } from '../../platform/errors/app-error.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { actorOf, tenantOf } from '../tenancy/index.js';
import { listActions, listTypes } from './list.repository.js';

const entrySchema = z.object({
  id: z.string(),
  type: z.enum(listTypes),
  value: z.string(),
  action: z.enum(listActions),
  reason: z.string(),
  expiresAt: z.string().nullable(),
  createdBy: z.string().describe('API key id that added it'),
  createdAt: z.string(),
});

const auditSchema = z.object({
  id: z.string(),
  entryId: z.string(),
  operation: z.enum(['add', 'remove']),
  type: z.enum(listTypes),
  value: z.string(),
  action: z.enum(listActions),
  reason: z.string().nullable(),
  actor: z.string().describe('API key id'),
  at: z.string(),
});

/** Who made a change: the API key id, recorded with rule versions and list audit records. */

export async function listRoutes(app: App, container: Container): Promise<void> {
  const { risk } = container;

  app.get(
    '/lists',
    {
      schema: {
        summary: 'Block and allow list entries',
        tags: ['risk'],
        querystring: z.object({ type: z.enum(listTypes).optional(), action: z.enum(listActions).optional() }),
        response: { 200: z.object({ data: z.array(entrySchema) }), ...problemResponses(401, 422) },
      },
    },
    async (request) => ({ data: await risk.service.listEntries(tenantOf(request), request.query) }),
  );

  app.post(
    '/lists',
    {
      config: { audit: 'list_entry.add' },
      schema: {
        summary: 'Add a block or allow entry',
        description:
          'Block → decline with the reason; allow → approve whatever the score. Emails and customer ids are matched by their salted hash. Audited.',
        tags: ['risk'],
        body: z.object({
          type: z.enum(listTypes),
          value: z.string().trim().min(1).max(320),
          action: z.enum(listActions),
          reason: z.string().trim().min(1).max(500),
          expiresAt: z.iso.datetime({ offset: true }).optional(),
        }),
        response: { 201: entrySchema, ...problemResponses(401, 409, 422) },
      },
    },
    async (request, reply) => {
      const { expiresAt, ...entry } = request.body;
      const added = await risk.service.addListEntry(
        tenantOf(request),
        { ...entry, expiresAt: expiresAt ? new Date(expiresAt) : null },
        actorOf(request),
      );
      if (!added) throw new AppError('conflict', `${entry.type} ${entry.value} is already on the ${entry.action} list`);
      return reply.code(201).send(added);
    },
  );

  app.delete(
    '/lists/:id',
    {
      config: { audit: 'list_entry.remove' },
      schema: {
        summary: 'Remove a list entry (audited)',
        tags: ['risk'],
        params: z.object({ id: z.string().max(64) }),
        response: { 200: entrySchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const removed = await risk.service.removeListEntry(tenantOf(request), request.params.id, actorOf(request));
      if (!removed) throw new AppError('not_found', `No list entry ${request.params.id}`);
      return removed;
    },
  );

  app.get(
    '/lists/audit',
    {
      schema: {
        summary: 'Who changed the lists, when and what; newest first',
        tags: ['risk'],
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: { 200: z.object({ data: z.array(auditSchema) }), ...problemResponses(401, 422) },
      },
    },
    async (request) => ({ data: await risk.service.listAudit(tenantOf(request), request.query.limit) }),
  );
}
