import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import type { Database } from '../../src/database.js';
import { openDatabase } from '../../src/platform/db/client.js';
import { migrationProvider } from '../../src/platform/db/migrations/index.js';
import type { App } from '../../src/platform/http/types.js';
import { appForSuite, callApi, instancesForSuite, postEvent } from '../harness/app.js';
import { createPostgresDatabase, harnessRedisUrl, storeKinds } from '../harness/stores.js';
import { runCli } from '../cli/run-cli.js';
import { closedWithin, openFeed } from './live-feed.js';

const ALL_SCOPES = ['ingest', 'score', 'read', 'manage'];
const scoreBody = {
  transactionId: 'tx-scope-1',
  amount: { minor: 1000, currency: 'USD' },
  customer: {},
  card: {},
  merchant: {},
};

async function listen(app: App): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return `ws://127.0.0.1:${address.port}`;
}

describe.each(storeKinds())('API key scopes, allowlists, rotation and sessions on %s', (store) => {
  let wsBase: string;
  const createKey = async (body: Record<string, unknown>, apiKey = t.apiKey) => {
    const res = await callApi(t, 'POST', '/v1/api-keys', body, apiKey);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { apiKey: { id: string; scopes: string[]; allowedCidrs: string[] | null }; secret: string };
  };
  const status = async (apiKey: string) => (await callApi(t, 'GET', '/v1/events', undefined, apiKey)).statusCode;

  const t = appForSuite(store, {}, { timeoutMs: 180_000 });
  beforeAll(async () => {
    wsBase = await listen(t.app);
  }, 180_000);

  it('keeps keys made without scopes (the harness key, like every key before scopes) at full scope', async () => {
    const listed = await callApi(t, 'GET', '/v1/api-keys');
    expect(listed.json().data.map((k: { scopes: string[] }) => k.scopes)).toEqual([ALL_SCOPES]);
  });

  it('answers 403 insufficient_scope to a key outside its scope, and lets it do what it holds', async () => {
    const ingest = (await createKey({ name: 'shop-backend', scopes: ['ingest'] })).secret;
    const reader = (await createKey({ name: 'dashboard', scopes: ['read'] })).secret;
    const scorer = (await createKey({ name: 'checkout', scopes: ['score'] })).secret;

    expect((await postEvent(t, stripeEvent('charge.succeeded', charge()), { apiKey: ingest })).statusCode).toBe(201);
    const denied = await callApi(t, 'GET', '/v1/events', undefined, ingest);
    expect(denied.statusCode).toBe(403);
    expect(denied.headers['content-type']).toContain('application/problem+json');
    expect(denied.json()).toMatchObject({ status: 403, code: 'insufficient_scope', requiredScope: 'read' });
    expect((await callApi(t, 'POST', '/v1/risk/score', scoreBody, ingest)).json().code).toBe('insufficient_scope');

    expect((await callApi(t, 'GET', '/v1/events', undefined, reader)).statusCode).toBe(200);
    expect((await callApi(t, 'GET', '/v1/analytics/summary', undefined, reader)).statusCode).toBe(200);
    expect((await postEvent(t, stripeEvent('charge.succeeded', charge()), { apiKey: reader })).json().code).toBe(
      'insufficient_scope',
    );
    for (const [method, url, body] of [
      ['POST', '/v1/api-keys', { name: 'escalate' }],
      ['GET', '/v1/api-keys', undefined],
      ['PUT', '/v1/risk/rules', {}],
      ['POST', '/v1/lists', { type: 'ip', value: '192.0.2.1', action: 'block', reason: 'x' }],
    ] as const) {
      const res = await callApi(t, method, url, body, reader);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json()).toMatchObject({ code: 'insufficient_scope', requiredScope: 'manage' });
    }

    expect((await callApi(t, 'POST', '/v1/risk/score', scoreBody, scorer)).statusCode).toBe(200);
    expect(
      (await callApi(t, 'POST', '/v1/risk/labels', { transactionId: 'tx-scope-1', label: 'legit' }, scorer)).statusCode,
    ).toBeLessThan(300);
    expect((await callApi(t, 'GET', '/v1/risk/assessments', undefined, scorer)).json().code).toBe('insufficient_scope');
  });

  it('lets a key grant only the scopes it holds', async () => {
    const manager = await createKey({ name: 'ops', scopes: ['manage', 'read'] });
    const child = await createKey({ name: 'child' }, manager.secret);
    expect(child.apiKey.scopes).toEqual(['manage', 'read']);
    const widened = await callApi(t, 'POST', '/v1/api-keys', { name: 'wider', scopes: ['ingest'] }, manager.secret);
    expect(widened.statusCode).toBe(403);
    expect(widened.json().code).toBe('insufficient_scope');
    // Rotating a full-scope key would hand its power to a narrower one through the replacement's secret.
    const full = await createKey({ name: 'full' });
    const rotate = await callApi(
      t,
      'POST',
      `/v1/api-keys/${full.apiKey.id}/rotate`,
      { gracePeriodSeconds: 0 },
      manager.secret,
    );
    expect(rotate.statusCode).toBe(403);
    expect(await status(full.secret)).toBe(200);
    expect((await callApi(t, 'POST', '/v1/api-keys', { name: 'bad', scopes: ['everything'] })).statusCode).toBe(422);
  });

  it('honours a key allowlist of client addresses, IPv4-mapped IPv6 included', async () => {
    const key = await createKey({ name: 'office', allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'] });
    expect(key.apiKey.allowedCidrs).toEqual(['203.0.113.0/24', '2001:db8::/32']);
    const from = (remoteAddress: string) =>
      t.app.inject({
        method: 'GET',
        url: '/v1/events',
        remoteAddress,
        headers: { authorization: `Bearer ${key.secret}` },
      });
    expect((await from('203.0.113.9')).statusCode).toBe(200);
    expect((await from('::ffff:203.0.113.9')).statusCode).toBe(200);
    expect((await from('2001:db8::5')).statusCode).toBe(200);
    const outside = await from('198.51.100.1');
    expect(outside.statusCode).toBe(403);
    expect(outside.json()).toMatchObject({ code: 'forbidden' });
    expect(
      (await callApi(t, 'POST', '/v1/api-keys', { name: 'bad', allowedCidrs: ['10.0.0.0/33'] })).json(),
    ).toMatchObject({ status: 422, code: 'validation_failed' });
  });

  it('never brings a rotated-out, expired-by-rotation or revoked key back', async () => {
    const first = await createKey({ name: 'deploy' });
    const rotated = await callApi(t, 'POST', `/v1/api-keys/${first.apiKey.id}/rotate`, { gracePeriodSeconds: 0 });
    expect(rotated.statusCode).toBe(201);
    expect(rotated.json().apiKey.scopes).toEqual(ALL_SCOPES);
    expect(await status(first.secret)).toBe(401);
    // The finding: rotating the rotated-out key again with 30 days of grace revived it.
    const again = await callApi(t, 'POST', `/v1/api-keys/${first.apiKey.id}/rotate`, {
      gracePeriodSeconds: 30 * 86400,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('conflict');
    expect(await status(first.secret)).toBe(401);

    const graced = await createKey({ name: 'graced' });
    expect(
      (await callApi(t, 'POST', `/v1/api-keys/${graced.apiKey.id}/rotate`, { gracePeriodSeconds: 60 })).statusCode,
    ).toBe(201);
    const before = (await callApi(t, 'GET', '/v1/api-keys'))
      .json()
      .data.find((k: { id: string }) => k.id === graced.apiKey.id).expiresAt;
    expect(
      (await callApi(t, 'POST', `/v1/api-keys/${graced.apiKey.id}/rotate`, { gracePeriodSeconds: 30 * 86400 }))
        .statusCode,
    ).toBe(409);
    const after = (await callApi(t, 'GET', '/v1/api-keys'))
      .json()
      .data.find((k: { id: string }) => k.id === graced.apiKey.id).expiresAt;
    expect(after).toBe(before);

    const revoked = await createKey({ name: 'gone' });
    expect((await callApi(t, 'DELETE', `/v1/api-keys/${revoked.apiKey.id}`)).statusCode).toBe(200);
    expect(
      (await callApi(t, 'POST', `/v1/api-keys/${revoked.apiKey.id}/rotate`, { gracePeriodSeconds: 3600 })).statusCode,
    ).toBe(409);
    expect(await status(revoked.secret)).toBe(401);
    expect((await callApi(t, 'POST', '/v1/api-keys/key_nope/rotate', {})).statusCode).toBe(404);
  });

  it("closes a revoked key's live feed at once, and only that key's", async () => {
    const doomed = await createKey({ name: 'tv-screen', scopes: ['read'] });
    const other = await createKey({ name: 'wallboard', scopes: ['read'] });
    const feed = await openFeed(wsBase, doomed.secret);
    const survivor = await openFeed(wsBase, other.secret);
    expect((await callApi(t, 'DELETE', `/v1/api-keys/${doomed.apiKey.id}`)).statusCode).toBe(200);
    expect(await closedWithin(feed, 3000)).toEqual({ code: 1008, reason: 'api key revoked' });

    expect((await postEvent(t, stripeEvent('charge.succeeded', charge({ amount: 4321 })))).statusCode).toBe(201);
    await expect.poll(() => survivor.messages.some((m) => m.type === 'event'), { timeout: 5000 }).toBe(true);
    expect(feed.messages.filter((m) => m.type === 'event')).toEqual([]);
    await expect(openFeed(wsBase, doomed.secret)).rejects.toThrow('HTTP 401');
    survivor.socket.close();
  });

  it("closes a rotated-out key's live feed when its grace period ends", async () => {
    const key = await createKey({ name: 'rolling', scopes: ['read'] });
    const feed = await openFeed(wsBase, key.secret);
    expect(
      (await callApi(t, 'POST', `/v1/api-keys/${key.apiKey.id}/rotate`, { gracePeriodSeconds: 1 })).statusCode,
    ).toBe(201);
    expect(await closedWithin(feed, 500)).toBeNull();
    expect(await closedWithin(feed, 6000)).toEqual({ code: 1008, reason: 'api key expired or revoked' });
  });

  it("needs the read scope for the live feed and says each route's scope in the API description", async () => {
    const ingest = await createKey({ name: 'ingest-only', scopes: ['ingest'] });
    await expect(openFeed(wsBase, ingest.secret)).rejects.toThrow('HTTP 403');
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { description?: string }>>;
    };
    const scopeOf = (method: string, path: string) =>
      /with the `(\w+)` scope/.exec(spec.paths[path]?.[method]?.description ?? '')?.[1];
    expect(scopeOf('post', '/v1/events')).toBe('ingest');
    expect(scopeOf('post', '/v1/events/batch')).toBe('ingest');
    expect(scopeOf('post', '/v1/risk/score')).toBe('score');
    expect(scopeOf('get', '/v1/events')).toBe('read');
    expect(scopeOf('post', '/v1/api-keys')).toBe('manage');
    const apiOperations = Object.entries(spec.paths).filter(
      ([path]) => path.startsWith('/v1/') && !path.startsWith('/v1/webhooks/'),
    );
    expect(apiOperations.length).toBeGreaterThan(30);
    for (const [path, operations] of apiOperations) {
      for (const [method, operation] of Object.entries(operations)) {
        // Sign-in, invitation acceptance and SSO take no key: they say so instead.
        if (operation.description?.includes('Needs no credentials')) continue;
        expect(scopeOf(method, path), `${method} ${path}`).toMatch(/^(ingest|score|read|manage)$/);
      }
    }
  });
});

describe.each(storeKinds())('keys made before scopes existed on %s', (store) => {
  it('are full-scope keys after the migration', async () => {
    const database = await openDatabase<Database>({
      databaseUrl: store === 'postgres' ? await createPostgresDatabase() : undefined,
      dataDir: 'memory://',
      poolSize: 2,
    });
    try {
      const migrator = new Migrator({ db: database.db, provider: migrationProvider });
      const before = await migrator.migrateTo('050_audit_log');
      expect(before.error).toBeUndefined();
      await database.db.insertInto('tenants').values({ id: 'ten_old', name: 'old' }).execute();
      // The columns api_keys had then: written as the code of that time wrote them.
      await sql`INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash) VALUES ('key_old', 'ten_old', 'legacy', 'pl_legacy00', ${'f'.repeat(64)})`.execute(
        database.db,
      );
      const after = await migrator.migrateToLatest();
      expect(after.error).toBeUndefined();
      const row = await database.db
        .selectFrom('api_keys')
        .select(['scopes', 'allowed_cidrs'])
        .where('id', '=', 'key_old')
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ scopes: ALL_SCOPES, allowed_cidrs: null });
    } finally {
      await database.close();
    }
  }, 120_000);
});

describe('revocation across instances through Redis', { tags: ['postgres', 'redis'] }, () => {
  // A long cache TTL: only the revocation message can make the other instance forget the key this fast.
  const instances = instancesForSuite(2, () => ({ REDIS_URL: harnessRedisUrl(), API_KEY_CACHE_TTL_MS: '600000' }), {
    timeoutMs: 180_000,
  });

  it('a key revoked on one instance stops working and loses its live feed on the other within seconds', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const tenant = await a.container.tenants.create(`revoke-${Date.now()}`);
    const admin = await a.container.apiKeys.issue(tenant!.id, 'admin');
    const viewer = await a.container.apiKeys.issue(tenant!.id, 'viewer', { scopes: ['read'] });
    const feed = await openFeed(await listen(a.app), viewer.secret);
    const get = (app: App) =>
      app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${viewer.secret}` } });
    expect((await get(a.app)).statusCode).toBe(200);

    const revoked = await b.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${viewer.key.id}`,
      headers: { authorization: `Bearer ${admin.secret}` },
    });
    expect(revoked.statusCode).toBe(200);
    expect(await closedWithin(feed, 3000)).toEqual({ code: 1008, reason: 'api key revoked' });
    expect((await get(a.app)).statusCode).toBe(401);
  });
});

describe('paylens keys create --scopes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paylens-keys-cli-'));
  const env = { PAYLENS_DATA_DIR: dataDir };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates a key with the named scopes and allowlist, and refuses unknown scopes', async () => {
    expect((await runCli(['tenants', 'create', 'scoped'], env)).code).toBe(0);
    const created = await runCli(
      ['keys', 'create', '--tenant', 'scoped', '--scopes', 'ingest,read', '--allowed-cidrs', '10.0.0.0/8', '--json'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      scopes: ['ingest', 'read'],
      allowedCidrs: ['10.0.0.0/8'],
      apiKey: expect.stringMatching(/^pl_/),
    });
    const bad = await runCli(['keys', 'create', '--tenant', 'scoped', '--scopes', 'ingest,admin'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('admin');
    const listed = await runCli(['keys', 'list', '--tenant', 'scoped'], env);
    expect(listed.stdout).toContain('ingest,read');
  }, 300_000);
});
