import { z } from 'zod';
import type { Container } from '../../container.js';
import { AppError } from '../../platform/errors/app-error.js';
import { trustedOkSerializer } from '../../platform/http/trusted-serializer.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { tenantOf } from '../tenancy/index.js';
import { checkBatchSize, checkProviderHint, ingestRecords, MAX_BATCH_ITEMS } from './batch-intake.js';
import { batchResponseSchema } from './ingest.schemas.js';
import { parseBody } from './payload-parser.js';

/** Registered inside the ingest scope so it shares its raw-bytes body parser. */
export function batchRoute(app: App, container: Container): void {
  app.post(
    '/events/batch',
    {
      bodyLimit: container.config.MAX_BATCH_BODY_BYTES,
      serializerCompiler: trustedOkSerializer,
      schema: {
        summary: `Ingest up to ${MAX_BATCH_ITEMS} provider payloads at once`,
        description:
          'The body is a JSON array of payloads or NDJSON (one per line); CSV and XML lists are accepted too. Every item is stored as its own raw event with the single-event rules (dedupe, PAN masking) and answered in order: 201 stored, 200 duplicate, 4xx with a problem. A malformed body is refused whole with the line at fault.',
        tags: ['events'],
        querystring: z.object({ provider: z.string().min(1).max(64).optional() }),
        headers: z.object({ 'idempotency-key': z.string().min(1).max(255).optional() }).passthrough(),
        response: { 200: batchResponseSchema, ...problemResponses(400, 401, 413, 415, 422, 503) },
      },
    },
    async (request) => {
      const body = request.body;
      if (!Buffer.isBuffer(body)) throw new AppError('invalid_body', 'The body is empty');
      checkProviderHint(container.registry, request.query.provider);
      const parsed = parseBody(body.toString('utf8'), request.headers['content-type'], { jsonArrays: true });
      checkBatchSize(parsed.records.length);
      return ingestRecords(
        container.intake,
        {
          tenantId: tenantOf(request),
          source: 'batch',
          providerHint: request.query.provider,
          idempotencyKey: request.headers['idempotency-key'],
        },
        parsed,
      );
    },
  );
}
