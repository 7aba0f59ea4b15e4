import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createContainer } from '../../src/container.js';
import {
  adyenDelivery,
  adyenItem,
  signDelivery as signAdyenDelivery,
} from '../../src/modules/normalize/connectors/adyen/__fixtures__/adyen-notifications.js';
import {
  checkoutEvent,
  paymentData as checkoutPaymentData,
} from '../../src/modules/normalize/connectors/checkout/__fixtures__/checkout-events.js';
import {
  notification as mercadoPagoNotification,
  payment as mercadoPagoPayment,
} from '../../src/modules/normalize/connectors/mercadopago/__fixtures__/mercadopago-payments.js';
import {
  capture as paypalCapture,
  paypalEvent,
} from '../../src/modules/normalize/connectors/paypal/__fixtures__/paypal-events.js';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { ENCRYPTION_KEY_SETTING } from '../../src/platform/crypto/encryption-key.js';
import { SecretBox } from '../../src/platform/crypto/secret-box.js';
import { hmacSha256 } from '../../src/platform/crypto/hashing.js';
import type { App } from '../../src/platform/http/types.js';
import { configFor, createTestApp, TEST_METRICS_TOKEN, appForSuite } from '../harness/app.js';
import { storeKinds, type StoreKind } from '../harness/stores.js';
import { paypalSigner, type PaypalSigner } from '../security/signing.js';

const ENCRYPTION_KEY = randomBytes(32).toString('hex');

/** PostgreSQL needs an operator-provided key; the embedded store generates its own (tested below). */
const envFor = (store: StoreKind): Record<string, string> =>
  store === 'postgres' ? { PAYLENS_ENCRYPTION_KEY: ENCRYPTION_KEY } : {};

function stripeSignature(body: string, secret: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmacSha256(secret, `${timestamp}.${body}`).toString('hex')}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

async function createEndpoint(app: App, apiKey: string, body: Record<string, unknown>) {
  return app.inject({
    method: 'POST',
    url: '/v1/webhook-endpoints',
    headers: { authorization: `Bearer ${apiKey}` },
    payload: body,
  });
}

async function invalidSignatureCount(app: App, provider: string): Promise<number> {
  const text = (
    await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })
  ).body;
  const match = new RegExp(`^paylens_invalid_signatures_total\\{provider="${provider}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

describe.each(storeKinds())('webhook endpoints and deliveries on %s', (store) => {
  const auth = (apiKey = t.apiKey) => ({ authorization: `Bearer ${apiKey}` });
  const deliver = (url: string, body: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: body });
  const rawCount = () => t.container.rawEvents.countForTenant(t.tenantId);

  const t = appForSuite(store, envFor(store));

  it('creates, lists, reads and deletes endpoints without ever returning the secret', async () => {
    const secret = `whsec_${randomBytes(24).toString('hex')}`;
    const created = await createEndpoint(t.app, t.apiKey, { provider: 'stripe', secret, description: 'live account' });
    expect(created.statusCode).toBe(201);
    const endpoint = created.json();
    expect(endpoint).toMatchObject({
      provider: 'stripe',
      description: 'live account',
      secretRotatedAt: null,
      previousSecretExpiresAt: null,
      settings: {},
    });
    expect(endpoint.id).toMatch(/^whe_[0-9a-z]{26}$/);
    expect(endpoint.url).toBe(`/v1/webhooks/stripe/${endpoint.id}`);
    expect(new Date(endpoint.createdAt).toISOString()).toBe(endpoint.createdAt);

    const list = await t.app.inject({ method: 'GET', url: '/v1/webhook-endpoints', headers: auth() });
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((e: { id: string }) => e.id)).toContain(endpoint.id);
    const read = await t.app.inject({ method: 'GET', url: `/v1/webhook-endpoints/${endpoint.id}`, headers: auth() });
    expect(read.json()).toEqual(endpoint);
    for (const body of [created.body, list.body, read.body]) expect(body).not.toContain(secret);

    const deleted = await t.app.inject({
      method: 'DELETE',
      url: `/v1/webhook-endpoints/${endpoint.id}`,
      headers: auth(),
    });
    expect(deleted.statusCode).toBe(204);
    expect(
      (await t.app.inject({ method: 'GET', url: `/v1/webhook-endpoints/${endpoint.id}`, headers: auth() })).statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/webhook-endpoints/${endpoint.id}`, headers: auth() }))
        .statusCode,
    ).toBe(404);
    const after = await t.app.inject({ method: 'GET', url: '/v1/webhook-endpoints', headers: auth() });
    expect(after.json().data.map((e: { id: string }) => e.id)).not.toContain(endpoint.id);
  });

  it('rejects unknown providers (400) and invalid bodies (422)', async () => {
    const unknown = await createEndpoint(t.app, t.apiKey, { provider: 'nopay', secret: 's' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'unknown_provider', detail: expect.stringContaining('stripe') });
    const missing = await createEndpoint(t.app, t.apiKey, { provider: 'stripe' });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().errors.map((e: { field: string }) => e.field)).toContain('body.secret');
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/webhook-endpoints',
          payload: { provider: 'stripe', secret: 's' },
        })
      ).statusCode,
    ).toBe(401);
  });

  it("keeps tenants apart: another tenant's endpoint is 404 everywhere", async () => {
    const mine = (await createEndpoint(t.app, t.apiKey, { provider: 'stripe', secret: 'whsec_mine' })).json();
    const other = await t.newTenant(`webhook-other-${store}`);
    const headers = auth(other.apiKey);
    expect(
      (await t.app.inject({ method: 'GET', url: `/v1/webhook-endpoints/${mine.id}`, headers })).json(),
    ).toMatchObject({ status: 404, code: 'not_found' });
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/v1/webhook-endpoints/${mine.id}/rotate-secret`,
          headers,
          payload: { secret: 'x' },
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/v1/webhook-endpoints/${mine.id}`, headers })).statusCode,
    ).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/v1/webhook-endpoints', headers })).json().data).toEqual([]);
    expect(
      (await t.app.inject({ method: 'GET', url: `/v1/webhook-endpoints/${mine.id}`, headers: auth() })).statusCode,
    ).toBe(200);
  });

  it('encrypts the secret and credential settings at rest and shows credentials only as [encrypted]', async () => {
    const secret = `whsec_${randomBytes(24).toString('hex')}`;
    const accessToken = `APP_USR-${randomBytes(16).toString('hex')}`;
    const created = await createEndpoint(t.app, t.apiKey, {
      provider: 'stripe',
      secret,
      settings: { accessToken, apiBaseUrl: 'https://api.example.test', webhookId: 'WH-42' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().settings).toEqual({
      accessToken: '[encrypted]',
      apiBaseUrl: 'https://api.example.test',
      webhookId: 'WH-42',
    });
    expect(created.body).not.toContain(accessToken);

    const row = await t.container.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', created.json().id)
      .executeTakeFirstOrThrow();
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(accessToken);
    expect(row.secret_ciphertext).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(row.settings_ciphertext).toMatch(/^v1\./);
  });

  it('accepts a correctly signed Stripe delivery, stores it, and the event is readable', async () => {
    const secret = `whsec_${randomBytes(24).toString('hex')}`;
    const { url } = (await createEndpoint(t.app, t.apiKey, { provider: 'stripe', secret })).json();
    const event = stripeEvent('charge.succeeded', charge({ amount: 1234 }));
    const body = JSON.stringify(event);
    const res = await deliver(url, body, { 'stripe-signature': stripeSignature(body, secret, nowSeconds()) });
    expect(res.statusCode).toBe(200);
    const receipt = res.json();
    expect(receipt).toEqual({
      received: true,
      rawEventId: expect.stringMatching(/^raw_/),
      status: 'normalized',
      replayed: false,
    });

    const raw = await t.container.rawEvents.findById(t.tenantId, receipt.rawEventId);
    expect(raw).toMatchObject({
      source: 'webhook',
      provider: 'stripe',
      providerEventId: event.id,
      payload: body,
      endpointId: url.split('/').pop(),
    });
    const [stored] = await t.container.paymentEvents.findByRawEvent(t.tenantId, receipt.rawEventId);
    const read = await t.app.inject({ method: 'GET', url: `/v1/events/${stored!.id}`, headers: auth() });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({
      provider: 'stripe',
      source: 'webhook',
      amountMinor: 1234,
      providerEventId: event.id,
      tenantId: t.tenantId,
    });
  });

  it('a redelivery answers 200 the same way and stores nothing new', async () => {
    const secret = 'whsec_redelivery';
    const { url } = (await createEndpoint(t.app, t.apiKey, { provider: 'stripe', secret })).json();
    const body = JSON.stringify(stripeEvent('charge.succeeded', charge()));
    const first = await deliver(url, body, { 'stripe-signature': stripeSignature(body, secret, nowSeconds()) });
    const before = await rawCount();
    const again = await deliver(url, body, { 'stripe-signature': stripeSignature(body, secret, nowSeconds()) });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ ...first.json(), replayed: true });
    expect(await rawCount()).toBe(before);
  });

  it('an endpoint with respondAsync acknowledges a verified delivery once stored, and the queue worker settles it', async () => {
    const secret = 'whsec_respond_async';
    const created = (await createEndpoint(t.app, t.apiKey, { provider: 'stripe', secret, respondAsync: true })).json();
    expect(created.respondAsync).toBe(true);
    const body = JSON.stringify(stripeEvent('charge.succeeded', charge({ amount: 4_242 })));
    const signed = () => ({ 'stripe-signature': stripeSignature(body, secret, nowSeconds()) });
    expect((await deliver(created.url, body, { 'stripe-signature': 't=1,v1=00' })).statusCode).toBe(401);

    const res = await deliver(created.url, body, signed());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: true, status: 'queued', replayed: false });
    const rawEventId = res.json().rawEventId as string;
    expect(await t.container.paymentEvents.findByRawEvent(t.tenantId, rawEventId)).toEqual([]);

    expect(await t.container.queueWorker.runOnce()).toBe(1);
    const [event] = await t.container.paymentEvents.findByRawEvent(t.tenantId, rawEventId);
    expect(event).toMatchObject({ source: 'webhook', amountMinor: 4_242 });
    expect(event!.risk).not.toBeNull();
    const again = await deliver(created.url, body, signed());
    expect(again.json()).toEqual({ received: true, rawEventId, status: 'normalized', replayed: true });
  });

  it('PATCH changes respondAsync, the description and one setting, keeping the encrypted credentials it was not sent', async () => {
    const secret = 'whsec_patch';
    const accessToken = `APP_USR-${randomBytes(16).toString('hex')}`;
    const created = (
      await createEndpoint(t.app, t.apiKey, {
        provider: 'stripe',
        secret,
        description: 'before',
        settings: { accessToken, webhookId: 'WH-1', signatureToleranceSeconds: 600 },
      })
    ).json();
    const patch = (payload: Record<string, unknown>, id = created.id as string, apiKey = t.apiKey) =>
      t.app.inject({ method: 'PATCH', url: `/v1/webhook-endpoints/${id}`, headers: auth(apiKey), payload });
    const body = JSON.stringify(stripeEvent('charge.succeeded', charge({ amount: 3_131 })));
    const signed = () => ({ 'stripe-signature': stripeSignature(body, secret, nowSeconds()) });
    expect((await deliver(created.url, body, signed())).json().status).toBe('normalized');

    const changed = await patch({
      respondAsync: true,
      description: null,
      settings: { webhookId: 'WH-2', signatureToleranceSeconds: null },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({
      id: created.id,
      respondAsync: true,
      description: null,
      settings: { accessToken: '[encrypted]', webhookId: 'WH-2' },
    });
    expect(changed.json().settings).not.toHaveProperty('signatureToleranceSeconds');
    expect(changed.body).not.toContain(accessToken);
    // The credential it was not sent is still there, decrypted for deliveries, and still encrypted at rest.
    const delivery = await t.container.webhooks.endpoints.forDelivery(created.id);
    expect(delivery).toMatchObject({
      kind: 'found',
      endpoint: { respondAsync: true, settings: { accessToken, webhookId: 'WH-2' } },
    });
    const row = await t.container.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(accessToken);

    // Settings read back and sent again whole keep the credential, not its placeholder.
    expect((await patch({ settings: changed.json().settings })).statusCode).toBe(200);
    expect(await t.container.webhooks.endpoints.forDelivery(created.id)).toMatchObject({
      endpoint: { settings: { accessToken, webhookId: 'WH-2' } },
    });

    // Deliveries follow at once on this instance: the next one is acknowledged queued.
    const next = JSON.stringify(stripeEvent('charge.succeeded', charge({ amount: 3_132 })));
    const queued = await deliver(created.url, next, {
      'stripe-signature': stripeSignature(next, secret, nowSeconds()),
    });
    expect(queued.json()).toMatchObject({ status: 'queued' });

    expect((await patch({ settings: { signatureToleranceSeconds: 0 } })).statusCode).toBe(422);
    // A URL the server would call is judged as at creation, with the stored settings merged in.
    const mercadoPago = (
      await createEndpoint(t.app, t.apiKey, { provider: 'mercadopago', secret: 'mp', settings: { accessToken } })
    ).json();
    const toMetadata = await patch({ settings: { apiBaseUrl: 'http://169.254.169.254/latest' } }, mercadoPago.id);
    expect(toMetadata.statusCode).toBe(422);
    expect(toMetadata.json().errors[0].field).toBe('body.settings.apiBaseUrl');
    expect((await patch({})).statusCode).toBe(422);
    expect((await patch({ secret: 'whsec_not_here' })).statusCode).toBe(422);
    expect((await patch({ respondAsync: false }, 'whe_missing')).statusCode).toBe(404);
    const other = await t.newTenant(`patch-other-${store}`);
    expect((await patch({ respondAsync: false }, created.id, other.apiKey)).statusCode).toBe(404);
    // Nothing refused changed anything.
    expect(
      (await t.app.inject({ method: 'GET', url: `/v1/webhook-endpoints/${created.id}`, headers: auth() })).json(),
    ).toMatchObject({
      respondAsync: true,
      settings: { accessToken: '[encrypted]', webhookId: 'WH-2' },
    });
  });

  it('rejects bad signatures with 401 invalid_signature, stores nothing and counts them', async () => {
    const secret = 'whsec_correct_secret';
    const { url } = (await createEndpoint(t.app, t.apiKey, { provider: 'stripe', secret })).json();
    const body = JSON.stringify(stripeEvent('charge.succeeded', charge()));
    const tampered = body.replace('"amount":4999', '"amount":1');
    expect(tampered).not.toBe(body);
    const metricBefore = await invalidSignatureCount(t.app, 'stripe');
    const before = await rawCount();

    const attempts: { name: string; payload: string; headers: Record<string, string> }[] = [
      {
        name: 'tampered body',
        payload: tampered,
        headers: { 'stripe-signature': stripeSignature(body, secret, nowSeconds()) },
      },
      {
        name: 'wrong secret',
        payload: body,
        headers: { 'stripe-signature': stripeSignature(body, 'whsec_wrong', nowSeconds()) },
      },
      {
        name: 'stale timestamp',
        payload: body,
        headers: { 'stripe-signature': stripeSignature(body, secret, nowSeconds() - 3600) },
      },
      { name: 'missing header', payload: body, headers: {} },
    ];
    for (const attempt of attempts) {
      const res = await deliver(url, attempt.payload, attempt.headers);
      expect(res.statusCode, attempt.name).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json(), attempt.name).toMatchObject({ code: 'invalid_signature', status: 401 });
    }
    expect(await rawCount()).toBe(before);
    expect(await invalidSignatureCount(t.app, 'stripe')).toBe(metricBefore + attempts.length);
  });

  it('answers 404 for unknown endpoints, a provider mismatch and deleted endpoints', async () => {
    const secret = 'whsec_for_404';
    const endpoint = (await createEndpoint(t.app, t.apiKey, { provider: 'stripe', secret })).json();
    const body = JSON.stringify(stripeEvent('charge.succeeded', charge()));
    const headers = () => ({ 'stripe-signature': stripeSignature(body, secret, nowSeconds()) });
    const before = await rawCount();

    const unknown = await deliver('/v1/webhooks/stripe/whe_00000000000000000000000000', body, headers());
    expect(unknown.json()).toMatchObject({ status: 404, code: 'not_found' });
    expect((await deliver(`/v1/webhooks/adyen/${endpoint.id}`, body, headers())).statusCode).toBe(404);
    await t.app.inject({ method: 'DELETE', url: `/v1/webhook-endpoints/${endpoint.id}`, headers: auth() });
    const gone = await deliver(endpoint.url, body, headers());
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('not_found');
    expect(await rawCount()).toBe(before);
  });

  it('after a rotation accepts both secrets during the grace period, then only the new one', async () => {
    const oldSecret = 'whsec_old_secret';
    const newSecret = 'whsec_new_secret';
    const endpoint = (await createEndpoint(t.app, t.apiKey, { provider: 'stripe', secret: oldSecret })).json();
    const sign = (secret: string) => {
      const body = JSON.stringify(stripeEvent('charge.succeeded', charge()));
      return deliver(endpoint.url, body, { 'stripe-signature': stripeSignature(body, secret, nowSeconds()) });
    };
    // Warm the lookup cache with the old secret: the rotation must evict it.
    expect((await sign(oldSecret)).statusCode).toBe(200);

    const rotated = await t.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      headers: auth(),
      payload: { secret: newSecret },
    });
    expect(rotated.statusCode).toBe(200);
    const view = rotated.json();
    expect(view.secretRotatedAt).not.toBeNull();
    expect(new Date(view.previousSecretExpiresAt).getTime() - new Date(view.secretRotatedAt).getTime()).toBe(
      86_400_000,
    );
    expect(rotated.body).not.toContain(newSecret);
    expect((await sign(newSecret)).statusCode).toBe(200);
    expect((await sign(oldSecret)).statusCode).toBe(200);

    const immediate = await t.app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      headers: auth(),
      payload: { secret: 'whsec_third', gracePeriodSeconds: 0 },
    });
    expect(immediate.json().previousSecretExpiresAt).toBeNull();
    expect((await sign(newSecret)).statusCode).toBe(401);
    expect((await sign('whsec_third')).statusCode).toBe(200);
  });

  it('answers 503 (so the provider retries) when the secret cannot be decrypted with the configured key', async () => {
    const endpoint = (
      await createEndpoint(t.app, t.apiKey, { provider: 'stripe', secret: 'whsec_undecryptable' })
    ).json();
    const foreign = new SecretBox(randomBytes(32)).encrypt(
      'whsec_undecryptable',
      `webhook_endpoint:${endpoint.id}:secret`,
    );
    await t.container.db
      .updateTable('webhook_endpoints')
      .set({ secret_ciphertext: foreign })
      .where('id', '=', endpoint.id)
      .execute();
    const body = JSON.stringify(stripeEvent('charge.succeeded', charge()));
    const before = await rawCount();
    const res = await deliver(endpoint.url, body, {
      'stripe-signature': stripeSignature(body, 'whsec_undecryptable', nowSeconds()),
    });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      code: 'unavailable',
      detail: expect.stringContaining('PAYLENS_ENCRYPTION_KEY'),
    });
    expect(await rawCount()).toBe(before);
  });

  it('serves the webhook routes in OpenAPI, the delivery without API-key security', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/v1/webhook-endpoints',
        '/v1/webhook-endpoints/{id}',
        '/v1/webhook-endpoints/{id}/rotate-secret',
        '/v1/webhooks/{provider}/{endpointId}',
      ]),
    );
    expect(spec.paths['/v1/webhooks/{provider}/{endpointId}'].post.security).toEqual([]);
  });

  if (store === 'pglite') {
    it('embedded mode without PAYLENS_ENCRYPTION_KEY generates one key and keeps it in settings', async () => {
      const key = await t.container.settings.get(ENCRYPTION_KEY_SETTING);
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      await createEndpoint(t.app, t.apiKey, { provider: 'stripe', secret: 'whsec_again' });
      expect(await t.container.settings.get(ENCRYPTION_KEY_SETTING)).toBe(key);
    });
  } else {
    it('PostgreSQL without PAYLENS_ENCRYPTION_KEY refuses to create endpoints with 503 naming the variable', async () => {
      const bare = await createTestApp(store);
      try {
        const res = await createEndpoint(bare.app, bare.apiKey, { provider: 'stripe', secret: 'whsec_x' });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({
          code: 'unavailable',
          detail: expect.stringContaining('PAYLENS_ENCRYPTION_KEY'),
        });
        expect(await bare.container.db.selectFrom('webhook_endpoints').select('id').execute()).toEqual([]);
        expect(await bare.container.settings.get(ENCRYPTION_KEY_SETTING)).toBeNull();
      } finally {
        await bare.close();
      }
    });
  }
});

describe.each(storeKinds())('webhook secret grace period by the clock on %s', (store) => {
  let app: App;
  let apiKey: string;
  let now = new Date('2026-03-01T12:00:00Z');
  let close: () => Promise<void>;

  beforeAll(async () => {
    const container = await createContainer(await configFor(store, envFor(store)), { clock: () => now });
    app = await buildApp(container, { logger: false });
    await app.ready();
    const tenant = await container.tenants.create('clocked');
    apiKey = (await container.apiKeys.issue(tenant!.id, 'test')).secret;
    close = async () => {
      await app.close();
      await container.close();
    };
  });
  afterAll(async () => {
    await close();
  });

  it('rejects the old secret once the grace period has passed', async () => {
    const endpoint = (await createEndpoint(app, apiKey, { provider: 'stripe', secret: 'whsec_before' })).json();
    const sign = (secret: string) => {
      const body = JSON.stringify(stripeEvent('charge.succeeded', charge()));
      const headers = {
        'content-type': 'application/json',
        'stripe-signature': stripeSignature(body, secret, Math.floor(now.getTime() / 1000)),
      };
      return app.inject({ method: 'POST', url: endpoint.url, headers, payload: body });
    };
    const rotated = await app.inject({
      method: 'POST',
      url: `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`,
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { secret: 'whsec_after', gracePeriodSeconds: 60 },
    });
    expect(rotated.json().previousSecretExpiresAt).toBe('2026-03-01T12:01:00.000Z');

    now = new Date('2026-03-01T12:00:59Z');
    expect((await sign('whsec_before')).statusCode).toBe(200);
    now = new Date('2026-03-01T12:01:00Z');
    const expired = await sign('whsec_before');
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe('invalid_signature');
    expect((await sign('whsec_after')).statusCode).toBe(200);
  });
});

describe.each(storeKinds())('signed deliveries from every registered provider on %s', (store) => {
  let fakeApi: Server;
  let fakeApiUrl: string;
  let paypal: PaypalSigner;
  const seenAuthorizations: string[] = [];
  const mercadoPagoPayments = new Map<string, Record<string, unknown>>();

  const deliver = (url: string, body: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: body });
  const rawCount = () => t.container.rawEvents.countForTenant(t.tenantId);
  const eventsOf = (rawEventId: string) => t.container.paymentEvents.findByRawEvent(t.tenantId, rawEventId);

  // The stand-in APIs below listen on loopback over http, which only an operator's opt-in allows.
  const t = appForSuite(store, { ...envFor(store), OUTBOUND_ALLOW_PRIVATE: 'true', OUTBOUND_ALLOW_HTTP: 'true' });
  beforeAll(async () => {
    // A local stand-in for Mercado Pago's GET /v1/payments/:id, which resolve() calls with the endpoint's accessToken.
    fakeApi = createServer((req, res) => {
      seenAuthorizations.push(req.headers.authorization ?? '');
      const found = /^\/v1\/payments\/(\w+)$/.exec(req.url ?? '');
      const resource = found ? mercadoPagoPayments.get(found[1]!) : undefined;
      res
        .writeHead(resource ? 200 : 404, { 'content-type': 'application/json' })
        .end(JSON.stringify(resource ?? { message: 'not found' }));
    });
    await new Promise<void>((resolve) => fakeApi.listen(0, '127.0.0.1', resolve));
    fakeApiUrl = `http://127.0.0.1:${(fakeApi.address() as AddressInfo).port}`;
    paypal = paypalSigner();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => fakeApi.close(() => resolve()));
  });

  /** A Mercado Pago endpoint on the stand-in API, with a new access token. */
  async function mercadoPagoEndpoint(secret: string, extra: Record<string, unknown> = {}) {
    const accessToken = `APP_USR-${randomBytes(8).toString('hex')}`;
    const endpoint = (
      await createEndpoint(t.app, t.apiKey, {
        provider: 'mercadopago',
        secret,
        settings: { accessToken, apiBaseUrl: fakeApiUrl },
        ...extra,
      })
    ).json() as { url: string; settings: Record<string, unknown> };
    return { endpoint, accessToken };
  }

  /** A payment the stand-in API answers for; its id. */
  function knownPayment(amount: number): string {
    const resource = mercadoPagoPayment({ transaction_amount: amount, currency_id: 'BRL' });
    mercadoPagoPayments.set(String(resource.id), resource);
    return String(resource.id);
  }

  /** Mercado Pago's x-signature over the manifest of one delivery. */
  function mercadoPagoHeaders(key: string, paymentId: string, requestId: string): Record<string, string> {
    const ts = String(nowSeconds());
    const manifest = `id:${paymentId};request-id:${requestId};ts:${ts};`;
    return { 'x-request-id': requestId, 'x-signature': `ts=${ts},v1=${hmacSha256(key, manifest).toString('hex')}` };
  }

  it('registers the connectors these tests cover', () => {
    expect(t.container.registry.ids()).toEqual(
      expect.arrayContaining(['stripe', 'adyen', 'checkout', 'paypal', 'mercadopago']),
    );
  });

  it("Adyen: verifies each item's hmacSignature with the hex HMAC key and answers [accepted] as text", async () => {
    const hexKey = randomBytes(32).toString('hex').toUpperCase();
    const endpoint = (await createEndpoint(t.app, t.apiKey, { provider: 'adyen', secret: hexKey })).json();
    const delivery = adyenDelivery([
      adyenItem(),
      adyenItem({ eventCode: 'AUTHORISATION', amount: { currency: 'EUR', value: 1000 } }),
    ]);
    const body = JSON.stringify(signAdyenDelivery(delivery, hexKey));

    const before = await rawCount();
    const forged = await deliver(
      endpoint.url,
      JSON.stringify(signAdyenDelivery(delivery, randomBytes(32).toString('hex'))),
      {},
    );
    expect(forged.statusCode).toBe(401);
    expect(forged.json().code).toBe('invalid_signature');
    expect(await rawCount()).toBe(before);

    const res = await deliver(endpoint.url, body, {});
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('[accepted]');
    expect(await rawCount()).toBe(before + 1);
    const again = await deliver(endpoint.url, body, {});
    expect(again.body).toBe('[accepted]');
    expect(await rawCount()).toBe(before + 1);
    const stored = await t.container.db
      .selectFrom('raw_events')
      .select(['id', 'source', 'endpoint_id'])
      .where('endpoint_id', '=', endpoint.id)
      .execute();
    expect(stored).toHaveLength(1);
    const events = await eventsOf(stored[0]!.id);
    expect(events.map((e) => [e.provider, e.amountMinor])).toEqual([
      ['adyen', 2599],
      ['adyen', 1000],
    ]);
  });

  it('Checkout.com: verifies Cko-Signature (hex HMAC-SHA256 of the raw body)', async () => {
    const secret = `cko-${randomBytes(12).toString('hex')}`;
    const endpoint = (await createEndpoint(t.app, t.apiKey, { provider: 'checkout', secret })).json();
    // Spacing and key order as sent: the signature covers these exact bytes, not a re-serialisation.
    const body = JSON.stringify(
      checkoutEvent('payment_approved', checkoutPaymentData({ amount: 4200, currency: 'GBP' })),
      null,
      1,
    );

    const before = await rawCount();
    const tampered = await deliver(endpoint.url, body.replace('4200', '1'), {
      'cko-signature': hmacSha256(secret, body).toString('hex'),
    });
    expect(tampered.statusCode).toBe(401);
    expect(await rawCount()).toBe(before);

    const res = await deliver(endpoint.url, body, { 'cko-signature': hmacSha256(secret, body).toString('hex') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: true, status: 'normalized', replayed: false });
    const [event] = await eventsOf(res.json().rawEventId);
    expect(event).toMatchObject({
      provider: 'checkout',
      source: 'webhook',
      amountMinor: 4200,
      currency: 'GBP',
      status: 'approved',
    });
    expect((await t.container.rawEvents.findById(t.tenantId, res.json().rawEventId))?.payload).toBe(body);
  });

  it('Mercado Pago: verifies x-signature over the manifest and resolves the payment with the encrypted accessToken', async () => {
    const secret = 'mp-webhook-secret';
    const { endpoint, accessToken } = await mercadoPagoEndpoint(secret);
    expect(endpoint.settings).toEqual({ accessToken: '[encrypted]', apiBaseUrl: fakeApiUrl });
    const paymentId = knownPayment(12.34);
    const body = JSON.stringify(mercadoPagoNotification(paymentId));
    const sign = (key: string) => mercadoPagoHeaders(key, paymentId, 'b1a2c3d4-req');
    const url = `${endpoint.url}?data.id=${paymentId}&type=payment`;

    const before = await rawCount();
    const rejected = await deliver(url, body, sign('not-the-secret'));
    expect(rejected.statusCode).toBe(401);
    expect(await rawCount()).toBe(before);

    const res = await deliver(url, body, sign(secret));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: true, status: 'normalized', replayed: false });
    expect(seenAuthorizations).toContain(`Bearer ${accessToken}`);
    const [event] = await eventsOf(res.json().rawEventId);
    expect(event).toMatchObject({
      provider: 'mercadopago',
      source: 'webhook',
      amountMinor: 1234,
      currency: 'BRL',
      status: 'approved',
    });
  });

  it('Mercado Pago with respondAsync: acknowledged before the payment is fetched; the queue worker fetches it', async () => {
    const secret = 'mp-async-secret';
    const { endpoint, accessToken } = await mercadoPagoEndpoint(secret, { respondAsync: true });
    const paymentId = knownPayment(56.78);
    const headers = mercadoPagoHeaders(secret, paymentId, 'async-req-1');
    const res = await deliver(
      `${endpoint.url}?data.id=${paymentId}&type=payment`,
      JSON.stringify(mercadoPagoNotification(paymentId)),
      headers,
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: true, status: 'queued' });
    expect(seenAuthorizations).not.toContain(`Bearer ${accessToken}`);

    expect(await t.container.queueWorker.runOnce()).toBe(1);
    expect(seenAuthorizations).toContain(`Bearer ${accessToken}`);
    const [event] = await eventsOf(res.json().rawEventId);
    expect(event).toMatchObject({ provider: 'mercadopago', amountMinor: 5678, currency: 'BRL', status: 'approved' });
  });

  it('PayPal: verifies the RSA transmission signature against the configured certificate and webhookId', async () => {
    const webhookId = '8PT597110X687430LKGECATA';
    const endpoint = (
      await createEndpoint(t.app, t.apiKey, {
        provider: 'paypal',
        secret: 'unused-with-certificates',
        settings: { webhookId, certificateSource: { pem: paypal.certificate } },
      })
    ).json();
    const body = JSON.stringify(paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', paypalCapture()));
    const headersFor = (signedWebhookId: string) =>
      paypal.headers({ transmissionId: randomUUID(), time: new Date(), webhookId: signedWebhookId, body });

    const before = await rawCount();
    const wrongWebhook = await deliver(endpoint.url, body, headersFor('ANOTHER-WEBHOOK'));
    expect(wrongWebhook.statusCode).toBe(401);
    expect(wrongWebhook.json().code).toBe('invalid_signature');
    expect(await rawCount()).toBe(before);

    const res = await deliver(endpoint.url, body, headersFor(webhookId));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ received: true, status: 'normalized', replayed: false });
    const [event] = await eventsOf(res.json().rawEventId);
    expect(event).toMatchObject({ provider: 'paypal', source: 'webhook', amountMinor: 4999, currency: 'USD' });
  });
});
