import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildApp } from '../../app.js';
import { createContainer, type Container } from '../../container.js';
import type { App } from '../../platform/http/types.js';
import { charge, stripeEvent } from '../normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { configFor } from '../../../test/harness/app.js';
import { harnessRedisUrl } from '../../../test/harness/stores.js';

const PASSWORD = 'plum orchard lantern 42';
type Message = { type: string; data: Record<string, unknown> };

interface Instance {
  app: App;
  container: Container;
  port: number;
}

async function startInstance(config: Awaited<ReturnType<typeof configFor>>): Promise<Instance> {
  const container = await createContainer(config);
  const app = await buildApp(container, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { app, container, port: address.port };
}

async function stopInstance(instance: Instance | undefined): Promise<void> {
  await instance?.app.close();
  await instance?.container.close();
}

/** A user invited with the key and signed in by accepting: their session cookie, as the browser holds it. */
async function signedInUser(app: App, apiKey: string, email: string, role: string) {
  const invited = await app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: { authorization: `Bearer ${apiKey}` },
    payload: { email, role },
  });
  expect(invited.statusCode).toBe(201);
  const accepted = await app.inject({
    method: 'POST',
    url: '/v1/auth/invitations/accept',
    payload: { token: invited.json().invitation.token, password: PASSWORD },
  });
  expect(accepted.statusCode).toBe(200);
  const setCookie = [accepted.headers['set-cookie']].flat().find((c) => c?.startsWith('paylens_session='));
  if (!setCookie) throw new Error('no session cookie');
  return { userId: invited.json().user.id as string, cookie: setCookie.split(';')[0]! };
}

/** A feed opened as the dashboard opens it: the cookie and the page's origin, no key anywhere. */
function openFeed(port: number, cookie: string) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['paylens'], {
    headers: { cookie, origin: `http://127.0.0.1:${port}` },
  });
  const messages: Message[] = [];
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
  );
  const next = (predicate: (m: Message) => boolean) =>
    new Promise<Message>((resolve) => {
      const found = messages.find(predicate);
      if (found) return resolve(found);
      socket.on('message', (raw) => {
        const message = JSON.parse(raw.toString()) as Message;
        if (predicate(message)) resolve(message);
      });
    });
  socket.on('message', (raw) => messages.push(JSON.parse(raw.toString()) as Message));
  const ready = new Promise<void>((resolve, reject) => {
    socket.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.on('error', reject);
    void next((m) => m.type === 'ready').then(() => resolve());
  });
  return { socket, ready, next, closed };
}

/** The status a refused upgrade answers (the feed never opens). */
function refusedStatus(port: number, cookie: string): Promise<number> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['paylens'], {
    headers: { cookie, origin: `http://127.0.0.1:${port}` },
  });
  return new Promise((resolve, reject) => {
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.on('open', () => reject(new Error('the feed opened')));
  });
}

async function disable(app: App, apiKey: string, userId: string): Promise<number> {
  const started = Date.now();
  const res = await app.inject({
    method: 'PATCH',
    url: `/v1/users/${userId}`,
    headers: { authorization: `Bearer ${apiKey}` },
    payload: { disabled: true },
  });
  expect(res.statusCode).toBe(200);
  return started;
}

async function postEvent(app: App, apiKey: string, amount: number): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    payload: JSON.stringify(stripeEvent('charge.succeeded', charge({ amount }))),
  });
  expect(res.statusCode).toBe(201);
  return res.json().events[0].id as string;
}

describe('live feed on a session cookie', () => {
  let one: Instance | undefined;
  let apiKey: string;

  beforeAll(async () => {
    one = await startInstance(await configFor('pglite'));
    const tenant = (await one.container.tenants.create('acme'))!;
    apiKey = (await one.container.apiKeys.issue(tenant.id, 'test')).secret;
  }, 60_000);
  afterAll(async () => stopInstance(one));

  it("receives the tenant's events, and is closed at once when the user is disabled", async () => {
    const { app, port } = one!;
    const { userId, cookie } = await signedInUser(app, apiKey, 'watcher@acme.test', 'viewer');
    const feed = openFeed(port, cookie);
    await feed.ready;

    const eventId = await postEvent(app, apiKey, 2317);
    const event = await feed.next((m) => m.type === 'event' && m.data.id === eventId);
    expect(event.data).toMatchObject({ amountMinor: 2317, currency: 'USD' });

    const started = await disable(app, apiKey, userId);
    const closed = await feed.closed;
    expect(closed).toMatchObject({ code: 1008, reason: 'session ended' });
    expect(closed.at - started).toBeLessThan(1000);
    // The cookie opens nothing any more.
    expect(await refusedStatus(port, cookie)).toBe(401);
  });
});

describe('live feed on a session cookie, two instances through Redis', { tags: ['postgres', 'redis'] }, () => {
  let a: Instance | undefined;
  let b: Instance | undefined;
  let apiKey: string;

  beforeAll(async () => {
    const config = await configFor('postgres', { REDIS_URL: harnessRedisUrl() });
    // One after the other: the first migrates the shared database.
    a = await startInstance(config);
    b = await startInstance(config);
    const tenant = (await a.container.tenants.create('acme'))!;
    apiKey = (await a.container.apiKeys.issue(tenant.id, 'test')).secret;
  }, 120_000);
  afterAll(async () => {
    await stopInstance(a);
    await stopInstance(b);
  });

  it('a disable on instance A closes the user’s feed held by instance B', async () => {
    const { userId, cookie } = await signedInUser(a!.app, apiKey, 'roamer@acme.test', 'analyst');
    const feed = openFeed(b!.port, cookie);
    await feed.ready;
    // The feed on B is live: an event stored through A reaches it over Redis.
    const eventId = await postEvent(a!.app, apiKey, 4101);
    await feed.next((m) => m.type === 'event' && m.data.id === eventId);

    const started = await disable(a!.app, apiKey, userId);
    const closed = await feed.closed;
    expect(closed).toMatchObject({ code: 1008, reason: 'session ended' });
    // Told through Redis, not found by B's periodic session check (every 2 s).
    expect(closed.at - started).toBeLessThan(1000);
    expect(await refusedStatus(b!.port, cookie)).toBe(401);
  });
});
