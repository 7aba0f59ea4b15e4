import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  notification as mercadoPagoNotification,
  payment as mercadoPagoPayment,
} from '../../src/modules/normalize/connectors/mercadopago/__fixtures__/mercadopago-payments.js';
import {
  capture as paypalCapture,
  paypalEvent,
} from '../../src/modules/normalize/connectors/paypal/__fixtures__/paypal-events.js';
import { callApi, type TestApp, appForSuite } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';
import { startListener, type Listener } from './outbound-listener.js';
import { mercadoPagoHeaders, paypalSigner, type PaypalSigner } from './signing.js';

const ENCRYPTION_KEY = randomBytes(32).toString('hex');
const SECRET = 'whsec_ssrf_0123456789abcdef';
/** What the internal service answers: it must never reach a tenant in an error text. */
const INTERNAL_MARKER = 'INTERNAL-ONLY-c0ffee';
/** This machine's own name: resolved by the system resolver (here to 127.0.0.1), so only the connect-time check can refuse it. */
const LOCAL_NAME = hostname();

async function createEndpoint(t: TestApp, body: Record<string, unknown>) {
  return callApi(t, 'POST', '/v1/webhook-endpoints', body);
}

/** An open alert with one pending delivery to the tenant's configured webhook URL (what the detectors would enqueue). */
async function pendingDelivery(t: TestApp, tenantId: string, url: string): Promise<string> {
  const now = new Date();
  const alertId = `alt_${randomUUID()}`;
  const repo = t.container.analytics.alertRepository;
  await repo.open({
    id: alertId,
    tenantId,
    kind: 'backlog',
    subject: alertId,
    provider: null,
    severity: 'warning',
    message: 'test',
    details: {},
    openedAt: now,
  });
  const id = `dlv_${randomUUID()}`;
  await repo.addDelivery({
    id,
    tenantId,
    alertId,
    event: 'alert.opened',
    url,
    payload: JSON.stringify({ id, type: 'alert.opened' }),
    createdAt: now,
  });
  return id;
}

describe.each(storeKinds())('tenant settings cannot reach the internal network (default policy) on %s', (store) => {
  let internal: Listener;
  let paypal: PaypalSigner;

  const t = appForSuite(store, { PAYLENS_ENCRYPTION_KEY: ENCRYPTION_KEY });
  beforeAll(async () => {
    internal = await startListener((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ secret: INTERNAL_MARKER })),
    );
    paypal = paypalSigner();
  });
  afterAll(async () => {
    await internal.close();
  });

  it('refuses loopback, private, metadata and http URLs when they are saved, naming the field', async () => {
    const port = internal.port;
    const alertUrls = [
      `http://127.0.0.1:${port}/hook`,
      'https://169.254.169.254/latest/meta-data/',
      'https://[::ffff:a9fe:a9fe]/',
      'https://10.0.0.8/hook',
      'https://localhost/hook',
      'http://hooks.example.com/paylens',
    ];
    for (const url of alertUrls) {
      const res = await callApi(t, 'PUT', '/v1/alerts/settings', { webhook: { url, secret: SECRET } });
      expect(res.statusCode, url).toBe(422);
      expect(res.json(), url).toMatchObject({
        code: 'validation_failed',
        errors: [{ field: 'body.webhook.url', message: expect.stringMatching(/^refused: /) }],
      });
    }
    const endpoints: Array<[Record<string, unknown>, string]> = [
      [
        {
          provider: 'mercadopago',
          secret: 's',
          settings: { accessToken: 'APP_USR-x', apiBaseUrl: `http://127.0.0.1:${port}` },
        },
        'body.settings.apiBaseUrl',
      ],
      [
        {
          provider: 'mercadopago',
          secret: 's',
          settings: { accessToken: 'APP_USR-x', apiBaseUrl: 'https://169.254.169.254' },
        },
        'body.settings.apiBaseUrl',
      ],
      [
        {
          provider: 'paypal',
          secret: 's',
          settings: {
            webhookId: 'WH-1',
            certificateSource: { allowedUrlPrefixes: ['https://api.paypal.com/', 'https://[::1]/certs/'] },
          },
        },
        'body.settings.certificateSource.allowedUrlPrefixes.1',
      ],
      [
        {
          provider: 'paypal',
          secret: 's',
          settings: { webhookId: 'WH-1', verification: 'postback', apiBaseUrl: 'https://192.168.0.10', clientId: 'c' },
        },
        'body.settings.apiBaseUrl',
      ],
      [
        { provider: 'stripe', secret: 's', settings: { signatureToleranceSeconds: 0 } },
        'body.settings.signatureToleranceSeconds',
      ],
    ];
    for (const [body, field] of endpoints) {
      const res = await createEndpoint(t, body);
      expect(res.statusCode, field).toBe(422);
      expect(res.json().errors, field).toEqual([{ field, message: expect.any(String) }]);
    }
    expect(
      await t.container.db.selectFrom('webhook_endpoints').select('id').where('tenant_id', '=', t.tenantId).execute(),
    ).toEqual([]);
    expect(internal.connections()).toBe(0);
  });

  it('an alert webhook whose name resolves to loopback is refused when sent, never connected, without an oracle', async () => {
    const url = `https://${LOCAL_NAME}:${internal.port}/hook`;
    expect((await callApi(t, 'PUT', '/v1/alerts/settings', { webhook: { url, secret: SECRET } })).statusCode).toBe(200);
    const id = await pendingDelivery(t, t.tenantId, url);
    const resent = await callApi(t, 'POST', `/v1/alerts/deliveries/${id}/resend`);
    expect(resent.statusCode).toBe(200);
    expect(resent.json()).toMatchObject({
      status: 'pending',
      lastStatusCode: null,
      lastError: expect.stringMatching(/^refused: /),
    });
    expect(resent.body).not.toContain(INTERNAL_MARKER);
    expect(internal.connections()).toBe(0);
  });

  it('an alert webhook URL stored before these checks (a loopback literal) is refused when used', async () => {
    expect(
      (
        await callApi(t, 'PUT', '/v1/alerts/settings', {
          webhook: { url: 'https://hooks.example.com/paylens', secret: SECRET },
        })
      ).statusCode,
    ).toBe(200);
    const url = `http://127.0.0.1:${internal.port}/hook`;
    await t.container.db
      .updateTable('alert_settings')
      .set({ webhook_url: url })
      .where('tenant_id', '=', t.tenantId)
      .execute();
    const id = await pendingDelivery(t, t.tenantId, url);
    const resent = await callApi(t, 'POST', `/v1/alerts/deliveries/${id}/resend`);
    expect(resent.json()).toMatchObject({ lastError: expect.stringMatching(/^refused: /) });
    expect(internal.connections()).toBe(0);
  });

  it("Mercado Pago: an apiBaseUrl resolving to loopback never receives the tenant's access token", async () => {
    const accessToken = `APP_USR-${randomBytes(8).toString('hex')}`;
    const created = await createEndpoint(t, {
      provider: 'mercadopago',
      secret: SECRET,
      settings: { accessToken, apiBaseUrl: `https://${LOCAL_NAME}:${internal.port}` },
    });
    expect(created.statusCode).toBe(201);
    const body = JSON.stringify(mercadoPagoNotification('1234567'));
    const res = await t.app.inject({
      method: 'POST',
      url: `${created.json().url}?data.id=1234567&type=payment`,
      headers: {
        'content-type': 'application/json',
        ...mercadoPagoHeaders(SECRET, '1234567', randomUUID(), Date.now()),
      },
      payload: body,
    });
    // Stored, so nothing is lost; not processed, because the payment could not be fetched.
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'unprocessed', replayed: false });
    const raw = await t.container.rawEvents.findById(t.tenantId, res.json().rawEventId);
    expect(raw?.error).toMatch(/refused: /);
    expect(raw?.error).not.toContain(INTERNAL_MARKER);
    expect(internal.connections()).toBe(0);
  });

  it('PayPal: an unauthenticated delivery cannot make the server fetch an internal PAYPAL-CERT-URL', async () => {
    const prefix = `https://${LOCAL_NAME}:${internal.port}/`;
    const created = await createEndpoint(t, {
      provider: 'paypal',
      secret: 'unused',
      settings: { webhookId: 'WH-SSRF', certificateSource: { allowedUrlPrefixes: [prefix] } },
    });
    expect(created.statusCode).toBe(201);
    const body = JSON.stringify(paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', paypalCapture()));
    const headers = paypal.headers({
      transmissionId: randomUUID(),
      time: new Date(),
      webhookId: 'WH-SSRF',
      body,
      certUrl: `${prefix}internal/admin/secrets`,
    });
    const res = await t.app.inject({
      method: 'POST',
      url: created.json().url,
      headers: { 'content-type': 'application/json', ...headers },
      payload: body,
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({
      code: 'invalid_signature',
      detail: expect.stringMatching(/^certificate download failed: refused: /),
    });
    expect(res.body).not.toContain(INTERNAL_MARKER);
    expect(internal.connections()).toBe(0);
  });

  it('PayPal postback: client credentials are never sent to an apiBaseUrl resolving to loopback', async () => {
    const created = await createEndpoint(t, {
      provider: 'paypal',
      secret: 'client-secret',
      settings: {
        webhookId: 'WH-PB',
        verification: 'postback',
        apiBaseUrl: `https://${LOCAL_NAME}:${internal.port}`,
        clientId: 'client-id',
      },
    });
    expect(created.statusCode).toBe(201);
    const body = JSON.stringify(paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', paypalCapture()));
    const headers = paypal.headers({
      transmissionId: randomUUID(),
      time: new Date(),
      webhookId: 'WH-PB',
      body,
      certUrl: 'https://api-m.paypal.com/v1/notifications/certs/CERT-1',
    });
    const res = await t.app.inject({
      method: 'POST',
      url: created.json().url,
      headers: { 'content-type': 'application/json', ...headers },
      payload: body,
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toMatch(/^PayPal postback verification failed: refused: /);
    expect(internal.connections()).toBe(0);
  });
});

describe.each(storeKinds())(
  'the same flows work end to end where the operator allows private http (OUTBOUND_ALLOW_PRIVATE, OUTBOUND_ALLOW_HTTP) on %s',
  (store) => {
    let api: Listener;
    let paypal: PaypalSigner;
    const resource = mercadoPagoPayment({
      id: 7654321,
      transaction_amount: 321.09,
      currency_id: 'BRL',
      status: 'approved',
    });

    const t = appForSuite(store, {
      PAYLENS_ENCRYPTION_KEY: ENCRYPTION_KEY,
      OUTBOUND_ALLOW_PRIVATE: 'true',
      OUTBOUND_ALLOW_HTTP: 'true',
    });
    beforeAll(async () => {
      paypal = paypalSigner();
      api = await startListener((req, res, body) => {
        if (req.url === '/hook') return void res.writeHead(204).end();
        if (req.url === '/moved') return void res.writeHead(307, { location: '/hook' }).end();
        if (req.url === '/v1/payments/7654321')
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(resource));
        if (req.url === '/certs/CERT-1')
          return void res.writeHead(200, { 'content-type': 'text/plain' }).end(paypal.certificate);
        if (req.url === '/v1/oauth2/token')
          return void res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ access_token: 'A21.token', expires_in: 3600 }));
        if (req.url === '/v1/notifications/verify-webhook-signature') {
          const ok = (JSON.parse(body) as { webhook_id?: string }).webhook_id === 'WH-PB';
          return void res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ verification_status: ok ? 'SUCCESS' : 'FAILURE' }));
        }
        res.writeHead(404).end();
      });
    });
    afterAll(async () => {
      await api.close();
    });

    it('alert webhooks on loopback are saved and delivered signed; a redirect is a failure, not followed', async () => {
      expect(
        (await callApi(t, 'PUT', '/v1/alerts/settings', { webhook: { url: `${api.url}/hook`, secret: SECRET } }))
          .statusCode,
      ).toBe(200);
      const id = await pendingDelivery(t, t.tenantId, `${api.url}/hook`);
      const sent = await callApi(t, 'POST', `/v1/alerts/deliveries/${id}/resend`);
      expect(sent.json()).toMatchObject({ status: 'delivered', lastStatusCode: 204 });
      expect(api.requests.filter((r) => r.url === '/hook' && r.method === 'POST')).toHaveLength(1);

      const moved = await pendingDelivery(t, t.tenantId, `${api.url}/moved`);
      const redirected = await callApi(t, 'POST', `/v1/alerts/deliveries/${moved}/resend`);
      expect(redirected.json()).toMatchObject({ lastStatusCode: 307, lastError: 'HTTP 307' });
      expect(api.requests.filter((r) => r.url === '/hook')).toHaveLength(1);
    });

    it('Mercado Pago fetches the payment from the loopback API', async () => {
      const created = await createEndpoint(t, {
        provider: 'mercadopago',
        secret: SECRET,
        settings: { accessToken: 'APP_USR-open', apiBaseUrl: api.url },
      });
      expect(created.statusCode).toBe(201);
      const res = await t.app.inject({
        method: 'POST',
        url: `${created.json().url}?data.id=7654321&type=payment`,
        headers: {
          'content-type': 'application/json',
          ...mercadoPagoHeaders(SECRET, '7654321', randomUUID(), Date.now()),
        },
        payload: JSON.stringify(mercadoPagoNotification('7654321')),
      });
      expect(res.json()).toMatchObject({ status: 'normalized' });
      const [event] = await t.container.paymentEvents.findByRawEvent(t.tenantId, res.json().rawEventId);
      expect(event).toMatchObject({ providerPaymentId: '7654321', amountMinor: 32109, currency: 'BRL' });
      expect(api.requests.find((r) => r.url === '/v1/payments/7654321')?.authorization).toBe('Bearer APP_USR-open');
    });

    it('PayPal downloads its certificate from, and posts back to, loopback', async () => {
      const body = JSON.stringify(paypalEvent('PAYMENT.CAPTURE.COMPLETED', 'capture', paypalCapture()));
      const cert = await createEndpoint(t, {
        provider: 'paypal',
        secret: 'unused',
        settings: {
          webhookId: 'WH-CERT',
          certificateSource: {
            allowedUrlPrefixes: [`${api.url}/certs/`],
            trustedCaPem: paypal.certificate,
            subjectSuffix: '.paylens.test',
          },
        },
      });
      expect(cert.statusCode).toBe(201);
      const certHeaders = paypal.headers({
        transmissionId: randomUUID(),
        time: new Date(),
        webhookId: 'WH-CERT',
        body,
        certUrl: `${api.url}/certs/CERT-1`,
      });
      const viaCert = await t.app.inject({
        method: 'POST',
        url: cert.json().url,
        headers: { 'content-type': 'application/json', ...certHeaders },
        payload: body,
      });
      expect(viaCert.statusCode).toBe(200);

      const postback = await createEndpoint(t, {
        provider: 'paypal',
        secret: 'client-secret',
        settings: { webhookId: 'WH-PB', verification: 'postback', apiBaseUrl: api.url, clientId: 'client-id' },
      });
      const pbHeaders = paypal.headers({
        transmissionId: randomUUID(),
        time: new Date(),
        webhookId: 'WH-PB',
        body,
        certUrl: 'https://api-m.paypal.com/v1/notifications/certs/CERT-1',
      });
      const viaPostback = await t.app.inject({
        method: 'POST',
        url: postback.json().url,
        headers: { 'content-type': 'application/json', ...pbHeaders },
        payload: body,
      });
      expect(viaPostback.statusCode).toBe(200);
      expect(api.requests.map((r) => r.url)).toEqual(
        expect.arrayContaining(['/certs/CERT-1', '/v1/oauth2/token', '/v1/notifications/verify-webhook-signature']),
      );
    });
  },
);
