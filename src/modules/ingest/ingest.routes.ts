import { z } from 'zod';
import { AppError } from '../../platform/errors/app-error.js';
import { cursorParam, pageOf, pageQuery, timeRangeQuery, toTimeRange } from '../../platform/http/list-query.js';
import { prefers } from '../../platform/http/prefer.js';
import { acceptRawBodies } from '../../platform/http/raw-body.js';
import { trustedOkSerializer } from '../../platform/http/trusted-serializer.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import {
  eventStatuses,
  eventTypes,
  failureReasons,
  paymentEventSchema,
  type ConnectorRegistry,
} from '../normalize/index.js';
import { tenantOf } from '../tenancy/index.js';
import type { DeadLetterService } from './dead-letter.service.js';
import {
  batchResponseSchema,
  ingestResponseSchema,
  rawEventActionSchema,
  rawEventInfoSchema,
  type RawEventInfo,
} from './ingest.schemas.js';
import { BodyIntake, MAX_BATCH_ITEMS, type BodyIntakeDeps } from './intake.facade.js';
import { maskPans } from './pan-mask.js';
import { formatOf } from './payload-parser.js';
import type { PaymentEventRepository } from './payment-event.repository.js';
import type { RawEvent, RawEventStatus } from './raw-event.js';
import type { RawEventRepository } from './raw-event.repository.js';

/** What the ingest routes use, and nothing more. */
export interface IngestRouteDeps {
  intake: BodyIntakeDeps['intake'];
  registry: ConnectorRegistry;
  paymentEvents: Pick<PaymentEventRepository, 'findById' | 'findByRawEvent' | 'list'>;
  rawEvents: Pick<RawEventRepository, 'actionsOf' | 'findById' | 'listByStatus'>;
  deadLetters: Pick<DeadLetterService, 'discard' | 'replay'>;
  maxBatchBodyBytes: number;
}

const providerQuery = z.object({ provider: z.string().min(1).max(64).optional() });
const intakeHeaders = z
  .object({
    'idempotency-key': z.string().min(1).max(255).optional(),
    prefer: z
      .string()
      .max(1024)
      .optional()
      .describe(
        '`respond-async` (RFC 7240): answer 202 once the payload is stored durably, before it is normalized and scored; the queue worker does that within moments, and `GET /v1/raw-events/{id}` shows when',
      ),
  })
  .passthrough();

/** The preference the intake routes honour; the answer names it in `Preference-Applied`. */
const RESPOND_ASYNC = 'respond-async';
const idParams = z.object({ id: z.string().max(64) });
const rawEventPage = pageOf(rawEventInfoSchema);

const listQuerySchema = z.object({
  provider: z.string().min(1).max(64).optional(),
  status: z.enum(eventStatuses).optional(),
  failureReason: z.enum(failureReasons).optional(),
  type: z.enum(eventTypes).optional(),
  transactionalId: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe("The source's own id of the event (a data-lake row's transactional_id)"),
  ...timeRangeQuery.shape,
  ...pageQuery.shape,
});

function rawEventInfo(raw: RawEvent): RawEventInfo {
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

function bodyBytes(body: unknown, emptyCode: 'invalid_json' | 'invalid_body'): string {
  if (!Buffer.isBuffer(body)) throw new AppError(emptyCode, 'The body is empty');
  return body.toString('utf8');
}

/**
 * Intake (single events, batches), the normalized events, and the raw events behind them (dead
 * letters). Bodies are read as raw bytes whatever their type: the stored copy is the payload as sent.
 */
export async function ingestRoutes(app: App, deps: IngestRouteDeps): Promise<void> {
  acceptRawBodies(app);
  const bodies = new BodyIntake(deps);

  app.post(
    '/events',
    {
      // The same summaries and events as the batch route's items, which it already writes unchecked.
      serializerCompiler: trustedOkSerializer,
      schema: {
        summary: 'Ingest one provider payload',
        description:
          'The body is the provider payload exactly as received (JSON, XML, CSV with a header row, or NDJSON). The raw payload is stored durably, with card numbers masked, before the answer. Sending the same provider event again answers 200 with the original result and `Idempotent-Replayed: true`. A body holding several records (NDJSON lines, CSV rows, an XML list) answers 200 like `/v1/events/batch`, one item per record in order. With `Prefer: respond-async` the payload is stored as `queued` and answered 202 (no events yet); the queue worker normalizes and scores it.',
        tags: ['events'],
        querystring: providerQuery,
        headers: intakeHeaders,
        response: {
          200: z.union([ingestResponseSchema, batchResponseSchema]),
          201: ingestResponseSchema,
          202: ingestResponseSchema,
          ...problemResponses(400, 401, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const contentType = request.headers['content-type'];
      const format = formatOf(contentType);
      const text = bodyBytes(request.body, format === 'json' ? 'invalid_json' : 'invalid_body');
      const respondAsync = prefers(request.headers.prefer, RESPOND_ASYNC);
      if (respondAsync) reply.header('Preference-Applied', RESPOND_ASYNC);
      const outcome = await bodies.ingestOneOrList(
        {
          tenantId: tenantOf(request),
          source: 'api',
          contentType,
          providerHint: request.query.provider,
          idempotencyKey: request.headers['idempotency-key'],
          respondAsync,
        },
        text,
        format,
        MAX_BATCH_ITEMS,
      );
      if (outcome.kind === 'list') return reply.code(200).send(outcome.result);
      const { replayed, rawEvent, events } = outcome.result;
      if (replayed) reply.header('Idempotent-Replayed', 'true');
      return reply.code(replayed ? 200 : rawEvent.status === 'queued' ? 202 : 201).send({ rawEvent, events });
    },
  );

  app.post(
    '/events/batch',
    {
      bodyLimit: deps.maxBatchBodyBytes,
      serializerCompiler: trustedOkSerializer,
      schema: {
        summary: `Ingest up to ${MAX_BATCH_ITEMS} provider payloads at once`,
        description:
          'The body is a JSON array of payloads or NDJSON (one per line); CSV and XML lists are accepted too. Every item is stored as its own raw event with the single-event rules (dedupe, PAN masking) and answered in order: 201 stored, 200 duplicate, 4xx with a problem. A malformed body is refused whole with the line at fault. With `Prefer: respond-async` every item is stored as `queued` and answered 202; the queue worker normalizes and scores them.',
        tags: ['events'],
        querystring: providerQuery,
        headers: intakeHeaders,
        response: { 200: batchResponseSchema, ...problemResponses(400, 401, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      const text = bodyBytes(request.body, 'invalid_body');
      const respondAsync = prefers(request.headers.prefer, RESPOND_ASYNC);
      if (respondAsync) reply.header('Preference-Applied', RESPOND_ASYNC);
      const input = {
        tenantId: tenantOf(request),
        source: 'batch' as const,
        providerHint: request.query.provider,
        idempotencyKey: request.headers['idempotency-key'],
        respondAsync,
      };
      // The hint is checked before the type: an unknown provider answers 400 whatever was sent.
      bodies.checkProviderHint(input.providerHint);
      const format = formatOf(request.headers['content-type']);
      return bodies.ingestList(input, text, format, { maxItems: MAX_BATCH_ITEMS });
    },
  );

  app.get(
    '/events/:id',
    {
      schema: {
        summary: 'Read one normalized event',
        tags: ['events'],
        params: idParams,
        response: { 200: paymentEventSchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const event = await deps.paymentEvents.findById(tenantOf(request), request.params.id);
      if (!event) throw new AppError('not_found', `No event ${request.params.id}`);
      return event;
    },
  );

  app.get(
    '/events',
    {
      schema: {
        summary: 'List normalized events, newest first',
        description:
          'Filters combine with AND; `from` is inclusive and `to` exclusive on the provider time. Pass `nextCursor` back as `cursor` for the next page.',
        tags: ['events'],
        querystring: listQuerySchema,
        response: { 200: pageOf(paymentEventSchema), ...problemResponses(401, 422) },
      },
    },
    async (request) => {
      const q = request.query;
      return deps.paymentEvents.list(
        tenantOf(request),
        {
          provider: q.provider,
          status: q.status,
          failureReason: q.failureReason,
          type: q.type,
          transactionalId: q.transactionalId,
          ...toTimeRange(q),
        },
        q.limit,
        cursorParam(q.cursor, 'evt'),
      );
    },
  );

  const rawEventsPage = async (tenantId: string, statuses: RawEventStatus[], query: z.infer<typeof pageQuery>) => {
    const page = await deps.rawEvents.listByStatus(tenantId, statuses, query.limit, cursorParam(query.cursor, 'raw'));
    return { data: page.data.map(rawEventInfo), nextCursor: page.nextCursor };
  };

  app.get(
    '/unprocessed',
    {
      schema: {
        summary: 'Raw events waiting for a normalization retry, newest first',
        tags: ['dead letters'],
        querystring: pageQuery,
        response: { 200: rawEventPage, ...problemResponses(401, 422) },
      },
    },
    async (request) => rawEventsPage(tenantOf(request), ['unprocessed'], request.query),
  );

  app.get(
    '/dead-letters',
    {
      schema: {
        summary: 'Raw events that failed every normalization attempt, newest first',
        tags: ['dead letters'],
        querystring: pageQuery,
        response: { 200: rawEventPage, ...problemResponses(401, 422) },
      },
    },
    async (request) => rawEventsPage(tenantOf(request), ['dead'], request.query),
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
            actions: z.array(rawEventActionSchema),
          }),
          ...problemResponses(401, 404),
        },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const raw = await deps.rawEvents.findById(tenantId, request.params.id);
      if (!raw) throw new AppError('not_found', `No raw event ${request.params.id}`);
      return {
        ...rawEventInfo(raw),
        contentType: raw.contentType,
        // Stored copies are masked at intake; masking again guards rows written before a masking fix.
        payload: maskPans(raw.payload).text,
        events: await deps.paymentEvents.findByRawEvent(tenantId, raw.id),
        actions: await deps.rawEvents.actionsOf(tenantId, raw.id),
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
      const { rawEvent, events } = await deps.deadLetters.replay(
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
      const result = await deps.deadLetters.discard(
        tenantOf(request),
        request.params.id,
        request.principal?.keyId ?? null,
      );
      return { ...rawEventInfo(result.rawEvent), discardedAt: result.discardedAt, discardedBy: result.discardedBy };
    },
  );
}
