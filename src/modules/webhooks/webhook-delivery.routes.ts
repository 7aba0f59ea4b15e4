import { z } from 'zod';
import type { Container } from '../../container.js';
import { AppError } from '../../platform/errors/app-error.js';
import { sendProblem } from '../../platform/errors/problem-handler.js';
import { acceptRawBodies } from '../../platform/http/raw-body.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { rawEventStatuses } from '../ingest/index.js';

const receiptSchema = z.object({
  received: z.literal(true),
  rawEventId: z.string(),
  status: z.enum(rawEventStatuses),
  replayed: z.boolean().describe('True when this delivery was already stored (a provider retry)'),
});

/** Repeated query parameters arrive as arrays; signature schemes read single values. */
function firstValues(query: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (typeof query !== 'object' || query === null) return out;
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value) && typeof value[0] === 'string') out[name] = value[0];
  }
  return out;
}

/**
 * Provider deliveries authenticate by endpoint id and signature, not by API key, so they live
 * outside the /v1 API-key scope. The body is kept as raw bytes: signatures cover them exactly.
 */
export async function webhookDeliveryRoutes(app: App, container: Container): Promise<void> {
  acceptRawBodies(app);

  const deliveries = container.webhookDeliveries;

  app.post(
    '/webhooks/:provider/:endpointId',
    {
      schema: {
        summary: 'Receive a provider webhook',
        description:
          "Point the provider at the `url` of a webhook endpoint. The signature is verified over the raw body with the endpoint secret (and the previous one during a rotation grace period); the payload is stored durably before the 200. Redeliveries answer 200 and store nothing new. Signatures with a time (Stripe, Mercado Pago, PayPal) must be within the endpoint's tolerance (300 s by default) either way; a Mercado Pago x-request-id or PayPal transmission id already accepted answers 200 with the first delivery's receipt (`replayed: true`) and is not processed again, or 409 while that first delivery is still being processed. Adyen gets its `[accepted]` text answer.",
        tags: ['webhooks'],
        security: [],
        params: z.object({ provider: z.string().min(1).max(64), endpointId: z.string().min(1).max(64) }),
        response: {
          200: {
            description: 'Stored (or already stored); JSON receipt, or the text answer the provider expects',
            content: { 'application/json': { schema: receiptSchema }, 'text/plain': { schema: z.string() } },
          },
          ...problemResponses(400, 401, 404, 409, 413, 503),
        },
      },
    },
    async (request, reply) => {
      const outcome = await deliveries.deliver({
        provider: request.params.provider,
        endpointId: request.params.endpointId,
        rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        headers: request.headers,
        query: firstValues(request.query),
        contentType: request.headers['content-type'],
      });
      switch (outcome.kind) {
        case 'not_found':
          throw new AppError(
            'not_found',
            `No webhook endpoint ${request.params.endpointId} for ${request.params.provider}`,
          );
        case 'invalid_signature':
          request.log.info(
            { provider: request.params.provider, endpointId: request.params.endpointId, reason: outcome.reason },
            'webhook signature rejected',
          );
          throw new AppError('invalid_signature', outcome.reason);
        case 'in_flight':
          throw new AppError('conflict', 'A delivery with this id is being processed; retry later');
        case 'undecryptable':
          request.log.error(
            { endpointId: request.params.endpointId },
            'webhook endpoint secret cannot be decrypted: PAYLENS_ENCRYPTION_KEY is missing or changed',
          );
          return sendProblem(
            reply,
            'unavailable',
            'The endpoint secret cannot be decrypted with the configured PAYLENS_ENCRYPTION_KEY; retry after the operator restores it',
          );
        case 'accepted': {
          const { result, ack } = outcome;
          if (ack) return reply.code(200).type(ack.contentType).send(ack.body);
          return reply.code(200).send({
            received: true as const,
            rawEventId: result.rawEvent.id,
            status: result.rawEvent.status,
            replayed: result.replayed,
          });
        }
      }
    },
  );
}
