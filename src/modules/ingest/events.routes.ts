import { z } from 'zod';
import type { Container } from '../../container.js';
import { AppError } from '../../platform/errors/app-error.js';
import { cursorParam, pageOf, pageQuery, timeRangeQuery, toTimeRange } from '../../platform/http/list-query.js';
import { acceptRawBodies } from '../../platform/http/raw-body.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { eventStatuses, eventTypes, failureReasons, paymentEventSchema } from '../normalize/index.js';
import { tenantOf } from '../tenancy/index.js';
import { checkBatchSize, checkProviderHint, ingestRecords } from './batch-intake.js';
import { batchRoute } from './batch.routes.js';
import { batchResponseSchema, ingestResponseSchema } from './ingest.schemas.js';
import { formatOf, parseAs } from './payload-parser.js';

const listQuerySchema = z.object({
  provider: z.string().min(1).max(64).optional(),
  status: z.enum(eventStatuses).optional(),
  failureReason: z.enum(failureReasons).optional(),
  type: z.enum(eventTypes).optional(),
  ...timeRangeQuery.shape,
  ...pageQuery.shape,
});

/** Ingest routes read the body as raw bytes whatever its type: the stored copy is the payload as sent. */
export async function ingestRoutes(app: App, container: Container): Promise<void> {
  acceptRawBodies(app);

  app.post(
    '/events',
    {
      schema: {
        summary: 'Ingest one provider payload',
        description:
          'The body is the provider payload exactly as received (JSON, XML, CSV with a header row, or NDJSON). The raw payload is stored durably, with card numbers masked, before the answer. Sending the same provider event again answers 200 with the original result and `Idempotent-Replayed: true`. A body holding several records (NDJSON lines, CSV rows, an XML list) answers 200 like `/v1/events/batch`, one item per record in order.',
        tags: ['events'],
        querystring: z.object({ provider: z.string().min(1).max(64).optional() }),
        headers: z.object({ 'idempotency-key': z.string().min(1).max(255).optional() }).passthrough(),
        response: {
          200: z.union([ingestResponseSchema, batchResponseSchema]),
          201: ingestResponseSchema,
          ...problemResponses(400, 401, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const format = formatOf(request.headers['content-type']);
      if (!Buffer.isBuffer(body))
        throw new AppError(format === 'json' ? 'invalid_json' : 'invalid_body', 'The body is empty');
      const input = {
        tenantId: tenantOf(request),
        source: 'api' as const,
        body,
        contentType: request.headers['content-type'],
        providerHint: request.query.provider,
        idempotencyKey: request.headers['idempotency-key'],
      };
      let result;
      if (format === 'json') result = await container.intake.ingest(input);
      else {
        checkProviderHint(container.registry, request.query.provider);
        const parsed = parseAs(format, body.toString('utf8'));
        if (parsed.multi) {
          checkBatchSize(parsed.records.length);
          return reply.code(200).send(await ingestRecords(container.intake, input, parsed));
        }
        // Parsed once here: a single XML document goes to the intake as its record.
        result = await container.intake.ingestRecord(input, parsed.records[0], parsed.texts[0]!);
      }
      if (result.replayed) reply.header('Idempotent-Replayed', 'true');
      return reply.code(result.replayed ? 200 : 201).send({ rawEvent: result.rawEvent, events: result.events });
    },
  );
  batchRoute(app, container);
}

export async function eventReadRoutes(app: App, container: Container): Promise<void> {
  app.get(
    '/events/:id',
    {
      schema: {
        summary: 'Read one normalized event',
        tags: ['events'],
        params: z.object({ id: z.string().max(64) }),
        response: { 200: paymentEventSchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const event = await container.paymentEvents.findById(tenantOf(request), request.params.id);
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
      return container.paymentEvents.list(
        tenantOf(request),
        {
          provider: q.provider,
          status: q.status,
          failureReason: q.failureReason,
          type: q.type,
          ...toTimeRange(q),
        },
        q.limit,
        cursorParam(q.cursor, 'evt'),
      );
    },
  );
}
