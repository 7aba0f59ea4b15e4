import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ENCRYPTION_KEY_MISSING } from '../../platform/crypto/encryption-key.js';
import { AppError, fieldError } from '../../platform/errors/app-error.js';
import { sendProblem } from '../../platform/errors/problem-handler.js';
import { acceptRawBodies } from '../../platform/http/raw-body.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { rawEventStatuses } from '../ingest/index.js';
import { tenantOf } from '../tenancy/index.js';
import type { WebhookDeliveryService } from './webhook-delivery.service.js';
import type { EndpointOutcome, WebhookEndpoint, WebhookEndpointService } from './webhook-endpoint.service.js';

/*
 * Two plugins, one per door: provider deliveries (signed by the endpoint secret, outside the API-key
 * scope) and the tenant's management of its endpoints (inside it). app.ts registers each in its scope.
 */

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

/** What the delivery route uses: the service that checks a delivery's signature and stores it. */
export interface WebhookDeliveryRoutesDeps {
  deliveries: Pick<WebhookDeliveryService, 'deliver'>;
}

/**
 * Provider deliveries authenticate by endpoint id and signature, not by API key, so they live
 * outside the /v1 API-key scope. The body is kept as raw bytes: signatures cover them exactly.
 */
export async function webhookDeliveryRoutes(app: App, { deliveries }: WebhookDeliveryRoutesDeps): Promise<void> {
  acceptRawBodies(app);

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

const MAX_SETTINGS_BYTES = 16 * 1024;

export const webhookEndpointSchema = z.object({
  id: z.string(),
  provider: z.string(),
  url: z.string().describe('Path to give the provider, appended to your public base URL'),
  description: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()).describe('Provider settings; credentials show as "[encrypted]"'),
  respondAsync: z
    .boolean()
    .describe('Deliveries are acknowledged once stored, and normalized and scored by the queue worker after'),
  createdAt: z.string(),
  secretRotatedAt: z.string().nullable(),
  previousSecretExpiresAt: z
    .string()
    .nullable()
    .describe('Until when the secret replaced by the last rotation is still accepted'),
});

const settingsSchema = z
  .record(z.string().min(1).max(64), z.unknown())
  .refine(
    (s) => JSON.stringify(s).length <= MAX_SETTINGS_BYTES,
    `settings must serialize to at most ${MAX_SETTINGS_BYTES} bytes`,
  )
  .describe(
    'Provider settings, e.g. PayPal `webhookId`, Mercado Pago `accessToken` / `apiBaseUrl`, any provider `signatureToleranceSeconds` (replay window, 300 by default); credential-like names (containing secret, token, password…, or ending in key) are encrypted. URLs Paylens would call must be https and not name a private address (422 otherwise)',
  );

const params = z.object({ id: z.string().max(64) });

function present(endpoint: WebhookEndpoint): z.infer<typeof webhookEndpointSchema> {
  return {
    ...endpoint,
    createdAt: endpoint.createdAt.toISOString(),
    secretRotatedAt: endpoint.secretRotatedAt?.toISOString() ?? null,
    previousSecretExpiresAt: endpoint.previousSecretExpiresAt?.toISOString() ?? null,
  };
}

function sendOutcome(reply: FastifyReply, outcome: EndpointOutcome, status: 200 | 201, id: string): FastifyReply {
  switch (outcome.kind) {
    case 'ok':
      return reply.code(status).send(present(outcome.endpoint));
    case 'not_found':
      throw new AppError('not_found', `No webhook endpoint ${id}`);
    case 'unknown_provider':
      throw new AppError('unknown_provider', outcome.detail);
    case 'invalid_settings':
      throw fieldError(`body.settings.${outcome.field}`, outcome.message);
    case 'encryption_unavailable':
      // Sent directly: the problem handler hides the detail of a thrown 5xx, and this one tells the operator what to set.
      return sendProblem(reply, 'unavailable', ENCRYPTION_KEY_MISSING);
  }
}

/** What the endpoint routes use: the endpoint service. */
export interface WebhookEndpointRoutesDeps {
  endpoints: WebhookEndpointService;
}

/** Tenant-scoped management of webhook endpoints; secrets go in, never come out. */
export async function webhookEndpointRoutes(
  app: App,
  { endpoints: service }: WebhookEndpointRoutesDeps,
): Promise<void> {
  app.post(
    '/webhook-endpoints',
    {
      config: { audit: 'webhook_endpoint.create' },
      schema: {
        summary: 'Create a webhook endpoint for one provider',
        description:
          'The secret (and credential-like settings) are encrypted at rest with AES-256-GCM and never returned. Point the provider at `url`. Answers 503 when PAYLENS_ENCRYPTION_KEY is required but not set.',
        tags: ['webhooks'],
        body: z.object({
          provider: z.string().min(1).max(64),
          secret: z
            .string()
            .min(1)
            .max(4096)
            .describe('The signing secret or key the provider gave you (Adyen: the HMAC key in hex)'),
          description: z.string().max(500).optional(),
          settings: settingsSchema.optional(),
          respondAsync: z
            .boolean()
            .optional()
            .describe(
              'Acknowledge each delivery once it is verified and stored (status `queued`), before it is normalized and scored: for providers that time out on slow answers, and for connectors that fetch the payment (Mercado Pago). Default false',
            ),
        }),
        response: { 201: webhookEndpointSchema, ...problemResponses(400, 401, 422, 503) },
      },
    },
    async (request, reply) => sendOutcome(reply, await service.create(tenantOf(request), request.body), 201, ''),
  );

  app.get(
    '/webhook-endpoints',
    {
      schema: {
        summary: 'List webhook endpoints (never their secrets)',
        tags: ['webhooks'],
        response: { 200: z.object({ data: z.array(webhookEndpointSchema) }), ...problemResponses(401) },
      },
    },
    async (request) => ({ data: (await service.list(tenantOf(request))).map(present) }),
  );

  app.get(
    '/webhook-endpoints/:id',
    {
      schema: {
        summary: 'Read one webhook endpoint',
        tags: ['webhooks'],
        params,
        response: { 200: webhookEndpointSchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const endpoint = await service.get(tenantOf(request), request.params.id);
      if (!endpoint) throw new AppError('not_found', `No webhook endpoint ${request.params.id}`);
      return present(endpoint);
    },
  );

  app.patch(
    '/webhook-endpoints/:id',
    {
      config: { audit: 'webhook_endpoint.update' },
      schema: {
        summary: 'Change an endpoint: description, settings, respondAsync',
        description:
          'Fields left out stay as they are. `settings` is a JSON merge patch (RFC 7396) of the stored settings: a name set to null is removed, others are set, so one value changes without sending the credentials again (a value sent back as `[encrypted]` keeps the stored one); the result is checked as at creation. Deliveries see the change at once on this instance, on others within the endpoint cache TTL. The secret changes only through rotate-secret.',
        tags: ['webhooks'],
        params,
        body: z
          .object({
            description: z.string().max(500).nullable().optional(),
            settings: settingsSchema.optional(),
            respondAsync: z.boolean().optional(),
          })
          .strict()
          .refine((b) => Object.keys(b).length > 0, 'name at least one of description, settings, respondAsync'),
        response: { 200: webhookEndpointSchema, ...problemResponses(400, 401, 404, 422, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      return sendOutcome(reply, await service.update(tenantOf(request), id, request.body), 200, id);
    },
  );

  app.post(
    '/webhook-endpoints/:id/rotate-secret',
    {
      config: { audit: 'webhook_endpoint.rotate_secret' },
      schema: {
        summary: 'Replace the signing secret; the old one is accepted for the grace period',
        tags: ['webhooks'],
        params,
        body: z.object({
          secret: z.string().min(1).max(4096),
          gracePeriodSeconds: z
            .number()
            .int()
            .min(0)
            .max(30 * 86400)
            .default(86400),
        }),
        response: { 200: webhookEndpointSchema, ...problemResponses(401, 404, 422, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      return sendOutcome(
        reply,
        await service.rotateSecret(tenantOf(request), id, request.body.secret, request.body.gracePeriodSeconds),
        200,
        id,
      );
    },
  );

  app.delete(
    '/webhook-endpoints/:id',
    {
      config: { audit: 'webhook_endpoint.delete' },
      schema: {
        summary: 'Delete a webhook endpoint; its deliveries answer 404 from then on',
        tags: ['webhooks'],
        params,
        response: { 204: z.null().describe('Deleted'), ...problemResponses(401, 404) },
      },
    },
    async (request, reply) => {
      if (!(await service.remove(tenantOf(request), request.params.id)))
        throw new AppError('not_found', `No webhook endpoint ${request.params.id}`);
      return reply.code(204).send(null);
    },
  );
}
