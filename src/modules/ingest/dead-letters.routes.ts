import { z } from 'zod';
import type { Container } from '../../container.js';
import { AppError } from '../../platform/errors/app-error.js';
import { cursorParam, pageOf, pageQuery } from '../../platform/http/list-query.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { paymentEventSchema } from '../normalize/index.js';
import { tenantOf } from '../tenancy/index.js';
import { maskPans } from './pan-mask.js';
import { rawEventStatuses, type RawEvent, type RawEventStatus } from './raw-event.js';

export const rawEventInfoSchema = z.object({
  id: z.string(),
  provider: z.string().nullable(),
  providerEventId: z.string().nullable(),
  status: z.enum(rawEventStatuses),
  error: z.string().nullable(),
  attempts: z.number().int().describe('Normalization attempts so far'),
  receivedAt: z.string(),
  nextAttemptAt: z.string().nullable().describe('When the worker retries it (unprocessed only)'),
  source: z.string(),
});

export function rawEventInfo(raw: RawEvent): z.infer<typeof rawEventInfoSchema> {
  return {
    id: raw.id,
    provider: raw.provider,
    providerEventId: raw.providerEventId,
    status: raw.status,
    error: raw.error,
    attempts: raw.attempts,
    receivedAt: raw.receivedAt.toISOString(),
    nextAttemptAt: raw.nextAttemptAt ? raw.nextAttemptAt.toISOString() : null,
    source: raw.source,
  };
}

const listResponse = pageOf(rawEventInfoSchema);
const idParams = z.object({ id: z.string().max(64) });
const actionSchema = z.object({ action: z.string(), keyId: z.string().nullable(), at: z.string() });

/** Raw events that could not be normalized: list, inspect, replay, discard. */
export async function deadLetterRoutes(app: App, container: Container): Promise<void> {
  const listPage = async (tenantId: string, statuses: RawEventStatus[], query: z.infer<typeof pageQuery>) => {
    const page = await container.rawEvents.listByStatus(
      tenantId,
      statuses,
      query.limit,
      cursorParam(query.cursor, 'raw'),
    );
    return { data: page.data.map(rawEventInfo), nextCursor: page.nextCursor };
  };

  app.get(
    '/unprocessed',
    {
      schema: {
        summary: 'Raw events waiting for a normalization retry, newest first',
        tags: ['dead letters'],
        querystring: pageQuery,
        response: { 200: listResponse, ...problemResponses(401, 422) },
      },
    },
    async (request) => listPage(tenantOf(request), ['unprocessed'], request.query),
  );

  app.get(
    '/dead-letters',
    {
      schema: {
        summary: 'Raw events that failed every normalization attempt, newest first',
        tags: ['dead letters'],
        querystring: pageQuery,
        response: { 200: listResponse, ...problemResponses(401, 422) },
      },
    },
    async (request) => listPage(tenantOf(request), ['dead'], request.query),
  );

  app.get(
    '/raw-events/:id',
    {
      schema: {
        summary: 'One raw event: its stored payload (card numbers masked), its normalized events and operator actions',
        tags: ['dead letters'],
        params: idParams,
        response: {
          200: rawEventInfoSchema.extend({
            contentType: z.string(),
            payload: z.string(),
            events: z.array(paymentEventSchema),
            actions: z.array(actionSchema),
          }),
          ...problemResponses(401, 404),
        },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const raw = await container.rawEvents.findById(tenantId, request.params.id);
      if (!raw) throw new AppError('not_found', `No raw event ${request.params.id}`);
      return {
        ...rawEventInfo(raw),
        contentType: raw.contentType,
        // Stored copies are masked at intake; masking again guards rows written before a masking fix.
        payload: maskPans(raw.payload).text,
        events: await container.paymentEvents.findByRawEvent(tenantId, raw.id),
        actions: await container.rawEvents.actionsOf(tenantId, raw.id),
      };
    },
  );

  app.post(
    '/dead-letters/:id/replay',
    {
      config: { audit: 'dead_letter.replay' },
      schema: {
        summary: 'Normalize a dead or unprocessed event again, now',
        description:
          'Idempotent: replaying an event that is already normalized answers its existing events; events are never doubled. A discarded event answers 409.',
        tags: ['dead letters'],
        params: idParams,
        response: {
          200: z.object({ rawEvent: rawEventInfoSchema, events: z.array(paymentEventSchema) }),
          ...problemResponses(401, 404, 409),
        },
      },
    },
    async (request) => {
      const { rawEvent, events } = await container.deadLetters.replay(
        tenantOf(request),
        request.params.id,
        request.principal?.keyId ?? null,
      );
      return { rawEvent: rawEventInfo(rawEvent), events };
    },
  );

  app.delete(
    '/dead-letters/:id',
    {
      config: { audit: 'dead_letter.discard' },
      schema: {
        summary:
          'Discard a dead or unprocessed event (recorded: the event stays, marked discarded with when and by which key)',
        tags: ['dead letters'],
        params: idParams,
        response: {
          200: rawEventInfoSchema.extend({
            discardedAt: z.string(),
            discardedBy: z.string().nullable().describe('Id of the API key that discarded it'),
          }),
          ...problemResponses(401, 404, 409),
        },
      },
    },
    async (request) => {
      const result = await container.deadLetters.discard(
        tenantOf(request),
        request.params.id,
        request.principal?.keyId ?? null,
      );
      return { ...rawEventInfo(result.rawEvent), discardedAt: result.discardedAt, discardedBy: result.discardedBy };
    },
  );
}
