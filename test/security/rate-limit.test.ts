import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { ConfigError, loadConfig } from '../../src/platform/config/config.js';
import { hmacSha256 } from '../../src/platform/crypto/hashing.js';
import { appForSuite, instancesForSuite } from '../harness/app.js';
import { harnessRedisUrl, storeKinds, type StoreKind } from '../harness/stores.js';

const ADMIN = 'admin-token-for-rate-limit-tests-0123';
const WRONG_KEY = `pl_${'w'.repeat(43)}`;

function expectRateLimited(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }): void {
  expect(res.statusCode).toBe(429);
  expect(String(res.headers['content-type'])).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ status: 429, code: 'rate_limited' });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

/** The status of a /ws upgrade (101 when it opened) from a client that a trusted proxy reports as `forwardedFor`. */
function upgradeStatus(wsBase: string, token: string, forwardedFor: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${wsBase}/ws`, ['paylens', token], { headers: { 'x-forwarded-for': forwardedFor } });
    socket.on('open', () => {
      socket.close();
      resolve(101);
    });
    socket.on('unexpected-response', (request, response) => {
      // Refused upgrades leave the socket to the listener to end; a left one would hold the server's close.
      request.destroy();
      resolve(response.statusCode ?? 0);
    });
    socket.on('error', reject);
  });
}

const envFor = (store: StoreKind): Record<string, string> => ({
  RATE_LIMIT_PER_MINUTE: '3',
  RATE_LIMIT_IP_PER_MINUTE: '6',
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3',
  // The tests' own WebSocket client connects from loopback and names the client in X-Forwarded-For.
  TRUSTED_PROXIES: '127.0.0.1',
  PAYLENS_ADMIN_TOKEN: ADMIN,
  ...(store === 'postgres' ? { PAYLENS_ENCRYPTION_KEY: randomBytes(32).toString('hex') } : {}),
});

describe.each(storeKinds())('request limits on %s', (store) => {
  let wsBase: string;
  let n = 0;
  /** A key of its own for each test: the per-key limit is small. */
  const freshKey = async () => (await t.newTenant(`rl-${store}-${(n += 1)}`)).apiKey;
  const get = (url: string, remoteAddress: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, remoteAddress, headers });
  const deliver = (url: string, secret: string | null, remoteAddress: string) => {
    const body = JSON.stringify(stripeEvent('charge.succeeded', charge()));
    const now = Math.floor(Date.now() / 1000);
    const signature = `t=${now},v1=${hmacSha256(secret ?? 'not-the-secret', `${now}.${body}`).toString('hex')}`;
    return t.app.inject({
      method: 'POST',
      url,
      remoteAddress,
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload: body,
    });
  };
  const createEndpoint = async (apiKey: string, secret: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/webhook-endpoints',
      remoteAddress: `192.0.2.${(n += 1)}`,
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { provider: 'stripe', secret },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().url as string;
  };

  const t = appForSuite(store, envFor(store), { timeoutMs: 180_000 });
  beforeAll(async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    wsBase = `ws://127.0.0.1:${address.port}`;
  }, 180_000);

  it('limits the requests of one client address on every surface, with Retry-After', async () => {
    const key = await freshKey();
    const endpoint = await createEndpoint(await freshKey(), 'whsec_address_limit');
    const from = '198.51.100.1';
    const answers = [
      await get('/health/live', from),
      await get('/v1/events', from, { authorization: `Bearer ${key}` }),
      await t.app.inject({
        method: 'POST',
        url: '/admin/v1/tenants',
        remoteAddress: from,
        headers: { authorization: `Bearer ${ADMIN}` },
        payload: { name: `via-admin-${store}` },
      }),
      await deliver(endpoint, 'whsec_address_limit', from),
      await get('/docs/json', from),
      await get('/v1/no-such-route', from),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 201, 200, 200, 404]);
    expectRateLimited(await get('/health/live', from));
    expectRateLimited(await deliver(endpoint, 'whsec_address_limit', from));
    expect((await get('/health/live', '198.51.100.2')).statusCode).toBe(200);
  });

  it('counts failed authentication per address: API keys, the operator token and the live feed', async () => {
    const key = await freshKey();
    for (let i = 0; i < 3; i++)
      expect((await get('/v1/events', '198.51.100.10', { authorization: `Bearer ${WRONG_KEY}` })).statusCode).toBe(401);
    // Once the address has used its failures, even a good key from it waits: guessing gets no answers.
    expectRateLimited(await get('/v1/events', '198.51.100.10', { authorization: `Bearer ${key}` }));
    expect((await get('/v1/events', '198.51.100.11', { authorization: `Bearer ${key}` })).statusCode).toBe(200);

    const admin = (remoteAddress: string, token: string) =>
      t.app.inject({
        method: 'POST',
        url: '/admin/v1/tenants',
        remoteAddress,
        headers: { authorization: `Bearer ${token}` },
        payload: { name: `adm-${store}-${(n += 1)}` },
      });
    for (let i = 0; i < 3; i++)
      expect((await admin('198.51.100.12', 'wrong-admin-token-0123456789')).statusCode).toBe(401);
    expectRateLimited(await admin('198.51.100.12', ADMIN));

    for (let i = 0; i < 3; i++) expect(await upgradeStatus(wsBase, WRONG_KEY, '198.51.100.13')).toBe(401);
    expect(await upgradeStatus(wsBase, await freshKey(), '198.51.100.13')).toBe(429);
    expect(await upgradeStatus(wsBase, await freshKey(), '198.51.100.14')).toBe(101);
  });

  it('counts webhook signature failures per address and endpoint', async () => {
    const owner = await freshKey();
    const first = await createEndpoint(owner, 'whsec_first_endpoint');
    const second = await createEndpoint(owner, 'whsec_second_endpoint');
    for (let i = 0; i < 3; i++)
      expect((await deliver(first, null, '198.51.100.20')).json()).toMatchObject({
        status: 401,
        code: 'invalid_signature',
      });
    expectRateLimited(await deliver(first, 'whsec_first_endpoint', '198.51.100.20'));
    // The same provider address delivering for another endpoint, and another address for this one, are not held back.
    expect((await deliver(second, 'whsec_second_endpoint', '198.51.100.20')).statusCode).toBe(200);
    expect((await deliver(first, 'whsec_first_endpoint', '198.51.100.21')).statusCode).toBe(200);
  });

  it('limits the requests of one API key, /ws upgrades included', async () => {
    const key = await freshKey();
    const sibling = await freshKey();
    for (let i = 0; i < 2; i++)
      expect((await get('/v1/events', `198.51.100.${30 + i}`, { authorization: `Bearer ${key}` })).statusCode).toBe(
        200,
      );
    expect(await upgradeStatus(wsBase, key, '198.51.100.32')).toBe(101);
    expect(await upgradeStatus(wsBase, key, '198.51.100.33')).toBe(429);
    expectRateLimited(await get('/v1/events', '198.51.100.34', { authorization: `Bearer ${key}` }));
    expect((await get('/v1/events', '198.51.100.34', { authorization: `Bearer ${sibling}` })).statusCode).toBe(200);
  });

  it('believes X-Forwarded-For only from TRUSTED_PROXIES', async () => {
    // An untrusted peer cannot spread its requests over made-up addresses.
    const spoofed = [];
    for (let i = 0; i < 7; i++)
      spoofed.push((await get('/health/live', '198.51.100.40', { 'x-forwarded-for': `203.0.113.${i}` })).statusCode);
    expect(spoofed).toEqual([200, 200, 200, 200, 200, 200, 429]);
    // The trusted proxy's clients are counted each on its own.
    const proxied = [];
    for (let i = 0; i < 7; i++)
      proxied.push((await get('/health/live', '127.0.0.1', { 'x-forwarded-for': `203.0.113.${100 + i}` })).statusCode);
    expect(proxied).toEqual([200, 200, 200, 200, 200, 200, 200]);
  });
});

describe('request limits through Redis across instances', { tags: ['postgres', 'redis'] }, () => {
  const instances = instancesForSuite(
    2,
    () => ({ REDIS_URL: harnessRedisUrl(), RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' }),
    { timeoutMs: 180_000 },
  );

  it('failed authentications on either instance add up', async () => {
    const tenant = await instances[0]!.container.tenants.create(`rl-redis-${Date.now()}`);
    const key = (await instances[0]!.container.apiKeys.issue(tenant!.id, 'rl')).secret;
    // A fresh address per run: the Redis server outlives this file.
    const from = `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
    const call = (i: number, apiKey: string) =>
      instances[i]!.app.inject({
        method: 'GET',
        url: '/v1/events',
        remoteAddress: from,
        headers: { authorization: `Bearer ${apiKey}` },
      });
    expect([
      (await call(0, WRONG_KEY)).statusCode,
      (await call(1, WRONG_KEY)).statusCode,
      (await call(0, WRONG_KEY)).statusCode,
    ]).toEqual([401, 401, 401]);
    expectRateLimited(await call(1, key));
  });
});

describe('request limit settings', () => {
  it('are on by default, and TRUSTED_PROXIES takes addresses and CIDRs only', () => {
    expect(loadConfig({})).toMatchObject({
      RATE_LIMIT_ENABLED: true,
      RATE_LIMIT_PER_MINUTE: 6000,
      RATE_LIMIT_IP_PER_MINUTE: 12_000,
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: 20,
    });
    expect(loadConfig({}).TRUSTED_PROXIES).toBeUndefined();
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 2001:db8::1, loopback' }).TRUSTED_PROXIES).toBe(
      '10.0.0.0/8, 2001:db8::1, loopback',
    );
    expect(() => loadConfig({ TRUSTED_PROXIES: 'proxy.example.com' })).toThrow(ConfigError);
  });
});
