import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerProblemHandler } from '../../platform/errors/problem-handler.js';
import type { App } from '../../platform/http/types.js';
import { createMetrics } from '../../platform/metrics/metrics.js';
import type { IngestInput, IngestResult } from '../ingest/intake.service.js';
import type { Connector, VerifyInput } from '../normalize/connector.js';
import { noOutbound } from '../../platform/net/outbound-client.js';
import { ConnectorRegistry } from '../normalize/connector-registry.js';
import { webhookDeliveryRoutes } from './webhooks.routes.js';
import { WebhookDeliveryService } from './webhook-delivery.service.js';
import type { DeliveryEndpoint, DeliveryLookup, WebhookEndpointService } from './webhook-endpoint.service.js';

/**
 * The delivery path against the Connector contract alone, with a provider that answers with a
 * text ack and reads its settings and query string, the way Adyen and Mercado Pago do.
 */
describe('webhook delivery route with any connector', () => {
  const verifyCalls: VerifyInput[] = [];
  const ingested: IngestInput[] = [];
  const fakeConnector: Connector = {
    id: 'acme',
    displayName: 'Acme Pay',
    detect: () => 1,
    eventId: () => 'e1',
    normalize: () => ({ kind: 'ignored', reason: 'test' }),
    verify(input) {
      verifyCalls.push(input);
      return input.headers['x-acme-signature'] === `${input.secret}:${input.query['data.id']}`
        ? { ok: true }
        : { ok: false, reason: 'bad acme signature' };
    },
    webhookAck: { contentType: 'text/plain', body: '[accepted]' },
    codes: {},
  };
  const endpoint: DeliveryEndpoint = {
    id: 'whe_1',
    tenantId: 'ten_1',
    provider: 'acme',
    secret: 'new',
    previousSecret: 'old',
    previousSecretExpiresAt: new Date('2030-01-01T00:00:00Z'),
    settings: { accessToken: 'tok', apiBaseUrl: 'http://127.0.0.1:9' },
    respondAsync: false,
  };
  const metrics = createMetrics({ providers: ['acme'] });
  const result: IngestResult = {
    replayed: false,
    rawEvent: {
      id: 'raw_1',
      status: 'ignored',
      provider: 'acme',
      providerEventId: 'e1',
      receivedAt: new Date().toISOString(),
      error: null,
      note: 'test',
    },
    events: [],
  };
  const unused = () =>
    Promise.reject(new Error('a delivery without a signed delivery id never reaches the seen-id store'));
  const deps = {
    deliveries: new WebhookDeliveryService({
      endpoints: {
        forDelivery: async (id: string): Promise<DeliveryLookup> =>
          id === endpoint.id ? { kind: 'found', endpoint } : { kind: 'not_found' },
      } as unknown as WebhookEndpointService,
      registry: new ConnectorRegistry([fakeConnector]),
      intake: {
        ingest: async (input: IngestInput) => {
          ingested.push(input);
          return result;
        },
      },
      rawEvents: { findById: unused },
      seen: { claim: unused, complete: unused, release: unused },
      metrics,
      clock: () => new Date('2026-01-01T00:00:00Z'),
      http: noOutbound,
    }),
  };
  let app: App;

  beforeAll(async () => {
    app = Fastify().withTypeProvider<ZodTypeProvider>() as unknown as App;
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    registerProblemHandler(app);
    await app.register(webhookDeliveryRoutes, { ...deps, prefix: '/v1' });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it("answers with the connector's text ack and passes raw bytes, query, settings and resolve context", async () => {
    const body = '{"b": 1,   "a": "é"}';
    const res = await app.inject({
      method: 'POST',
      url: '/v1/webhooks/acme/whe_1?data.id=77',
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-acme-signature': 'new:77' },
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('[accepted]');
    const call = verifyCalls.at(-1)!;
    expect(call.rawBody.equals(Buffer.from(body))).toBe(true);
    expect(call.settings).toEqual(endpoint.settings);
    expect(call.now).toEqual(new Date('2026-01-01T00:00:00Z'));
    expect(ingested.at(-1)).toMatchObject({
      tenantId: 'ten_1',
      source: 'webhook',
      providerHint: 'acme',
      endpointId: 'whe_1',
      contentType: 'application/json; charset=utf-8',
      resolveContext: { settings: endpoint.settings },
    });
    expect(ingested.at(-1)!.resolveContext!.http).toBe(noOutbound);
    expect(call.http).toBe(noOutbound);
  });

  it('accepts the previous secret while it is in its grace period', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/webhooks/acme/whe_1?data.id=5',
      headers: { 'content-type': 'application/json', 'x-acme-signature': 'old:5' },
      payload: '{}',
    });
    expect(res.statusCode).toBe(200);
  });

  it('rejects a bad signature before the intake sees anything', async () => {
    const before = ingested.length;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/webhooks/acme/whe_1',
      headers: { 'content-type': 'application/json', 'x-acme-signature': 'nope' },
      payload: '{}',
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'invalid_signature', detail: 'bad acme signature' });
    expect(ingested.length).toBe(before);
    expect(await metrics.registry.getSingleMetricAsString('paylens_invalid_signatures_total')).toContain(
      'provider="acme"} 1',
    );
  });

  it('rejects an empty body as a bad signature, not a parse error', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/webhooks/acme/whe_1' });
    expect(res.statusCode).toBe(401);
  });
});
