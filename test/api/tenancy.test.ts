import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/platform/crypto/hashing.js';
import { createTestApp, type TestApp, appForSuite } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

const ADMIN = 'admin-token-for-tests-0123456789';

describe.each(storeKinds())('tenancy and API keys on %s', (store) => {
  const t = appForSuite(store, { PAYLENS_ADMIN_TOKEN: ADMIN });

  it('creates a tenant through the admin API and its key works at once', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/tenants',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { name: `shop-${store}` },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.tenant).toMatchObject({ id: expect.stringMatching(/^ten_/), name: `shop-${store}` });
    expect(body.apiKey).toMatch(/^pl_[A-Za-z0-9_-]{43}$/);
    const list = await t.app.inject({
      method: 'GET',
      url: '/v1/events',
      headers: { authorization: `Bearer ${body.apiKey}` },
    });
    expect(list.statusCode).toBe(200);

    const again = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/tenants',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { name: `shop-${store}` },
    });
    expect(again.json()).toMatchObject({ status: 409, code: 'conflict' });
    const invalid = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/tenants',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { name: 'Bad Name!' },
    });
    expect(invalid.json()).toMatchObject({ status: 422, code: 'validation_failed', errors: [{ field: 'body.name' }] });
    const wrongToken = await t.app.inject({
      method: 'POST',
      url: '/admin/v1/tenants',
      headers: { authorization: 'Bearer nope' },
      payload: { name: 'x' },
    });
    expect(wrongToken.statusCode).toBe(401);
  });

  it("sends helmet's security headers and a request id on every answer, errors and health checks included", async () => {
    const answers = await Promise.all([
      t.app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${t.apiKey}` } }),
      t.app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: 'Bearer pl_wrong' } }),
      t.app.inject({ method: 'GET', url: '/health/ready' }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 401, 200]);
    for (const a of answers) {
      expect(a.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
      });
      expect(a.headers['x-request-id']).toMatch(/^req_/);
      expect(a.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
  });

  it('stores keys only as SHA-256 hashes with a display prefix', async () => {
    const rows = await t.container.db.selectFrom('api_keys').selectAll().where('tenant_id', '=', t.tenantId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key_hash).toBe(sha256Hex(t.apiKey));
    expect(rows[0]!.prefix).toBe(t.apiKey.slice(0, 11));
    expect(JSON.stringify(rows)).not.toContain(t.apiKey);
  });

  it('creates, lists (without secrets), rotates with a grace period and revokes keys', async () => {
    const tenant = await t.newTenant(`keys-${store}`);
    const auth = { authorization: `Bearer ${tenant.apiKey}` };
    const created = await t.app.inject({ method: 'POST', url: '/v1/api-keys', headers: auth, payload: { name: 'ci' } });
    expect(created.statusCode).toBe(201);
    const { apiKey, secret } = created.json();
    const listed = await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: auth });
    expect(listed.json().data).toHaveLength(2);
    expect(listed.body).not.toContain(secret);

    const rotated = await t.app.inject({
      method: 'POST',
      url: `/v1/api-keys/${apiKey.id}/rotate`,
      headers: auth,
      payload: { gracePeriodSeconds: 3600 },
    });
    expect(rotated.statusCode).toBe(201);
    const next = rotated.json().secret;
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${secret}` } }))
        .statusCode,
    ).toBe(200);
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${next}` } }))
        .statusCode,
    ).toBe(200);

    const immediate = await t.app.inject({
      method: 'POST',
      url: `/v1/api-keys/${rotated.json().apiKey.id}/rotate`,
      headers: auth,
      payload: { gracePeriodSeconds: 0 },
    });
    expect(immediate.statusCode).toBe(201);
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${next}` } }))
        .statusCode,
    ).toBe(401);

    const revoked = await t.app.inject({ method: 'DELETE', url: `/v1/api-keys/${apiKey.id}`, headers: auth });
    expect(revoked.json().revokedAt).not.toBeNull();
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${secret}` } }))
        .statusCode,
    ).toBe(401);

    const foreign = await t.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${apiKey.id}`,
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    expect(foreign.statusCode).toBe(404);
  });
});

describe('CORS', () => {
  it('answers browsers from the configured origins only, and sends no CORS headers when none are configured', async () => {
    const [open, closed] = await Promise.all([
      createTestApp('pglite', { CORS_ORIGINS: 'https://ops.example.com, https://risk.example.com' }),
      createTestApp('pglite'),
    ]);
    try {
      const preflight = (t: TestApp, origin: string) =>
        t.app.inject({
          method: 'OPTIONS',
          url: '/v1/events',
          headers: {
            origin,
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'authorization',
          },
        });
      const allowed = await preflight(open, 'https://risk.example.com');
      expect(allowed.statusCode).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://risk.example.com');
      expect(String(allowed.headers['access-control-allow-headers'])).toContain('authorization');
      const get = await open.app.inject({
        method: 'GET',
        url: '/v1/events',
        headers: { origin: 'https://ops.example.com', authorization: `Bearer ${open.apiKey}` },
      });
      expect(get.statusCode).toBe(200);
      expect(get.headers['access-control-allow-origin']).toBe('https://ops.example.com');

      const stranger = await preflight(open, 'https://evil.example.com');
      expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
      const unconfigured = await closed.app.inject({
        method: 'GET',
        url: '/v1/events',
        headers: { origin: 'https://ops.example.com', authorization: `Bearer ${closed.apiKey}` },
      });
      expect(unconfigured.statusCode).toBe(200);
      expect(unconfigured.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await Promise.all([open.close(), closed.close()]);
    }
    // Two embedded databases start inside the test: on a busy 2-core machine that alone can pass 30 s.
  }, 120_000);
});
