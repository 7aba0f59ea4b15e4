import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { freePort } from '../harness/processes.js';
import { createPostgresDatabase, harnessRedisUrl } from '../harness/stores.js';
import { postEventOverHttp, startServer, type ServerProcess } from './server-process.js';

type Message = { type: string; data: Record<string, unknown> };

async function startInstance(env: Record<string, string>): Promise<ServerProcess> {
  return startServer({ NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env }, await freePort());
}

async function stopInstance(instance: ServerProcess | undefined): Promise<void> {
  if (!instance || instance.child.exitCode !== null) return;
  instance.child.kill('SIGTERM');
  setTimeout(() => instance.child.kill('SIGKILL'), 10_000).unref();
  await instance.exited;
}

function openFeed(
  url: string,
): Promise<{ socket: WebSocket; messages: Message[]; next: (p: (m: Message) => boolean) => Promise<Message> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const messages: Message[] = [];
    const waiters: Array<[(m: Message) => boolean, (m: Message) => void]> = [];
    const next = (p: (m: Message) => boolean) =>
      new Promise<Message>((res) => {
        const found = messages.find(p);
        if (found) res(found);
        else waiters.push([p, res]);
      });
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as Message;
      messages.push(message);
      for (const w of waiters.filter(([p]) => p(message))) {
        waiters.splice(waiters.indexOf(w), 1);
        w[1](message);
      }
      if (message.type === 'ready') resolve({ socket, messages, next });
    });
    socket.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.on('error', reject);
  });
}

describe('live feed fan-out across two instances through Redis', { tags: ['postgres', 'redis'] }, () => {
  const apiKey = `pl_${randomBytes(32).toString('base64url')}`;
  const adminToken = randomBytes(24).toString('hex');
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;

  beforeAll(async () => {
    const env = {
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: harnessRedisUrl(),
      PAYLENS_BOOTSTRAP_API_KEY: apiKey,
      PAYLENS_ADMIN_TOKEN: adminToken,
      PAYLENS_CUSTOMER_KEY_SALT: 'fanout-test-salt-0123',
    };
    // One after the other: the first applies migrations and creates the demo tenant.
    a = await startInstance(env);
    b = await startInstance(env);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([stopInstance(a), stopInstance(b)]);
  });

  it('an event posted to instance A reaches a client of B, and not a client of another tenant', async () => {
    if (!a || !b) throw new Error('instances not started');
    const created = await fetch(`${a.baseUrl}/admin/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'other-co' }),
    });
    expect(created.status).toBe(201);
    const otherKey = ((await created.json()) as { apiKey: string }).apiKey;

    const wsB = b.baseUrl.replace('http', 'ws');
    const mine = await openFeed(`${wsB}/ws?token=${apiKey}`);
    const theirs = await openFeed(`${wsB}/ws?token=${otherKey}`);

    const event = stripeEvent('charge.succeeded', charge({ amount: 4321 }));
    const posted = await postEventOverHttp(a.baseUrl, apiKey, event);
    expect(posted.status).toBe(201);
    const stored = ((await posted.json()) as { events: Array<Record<string, unknown>> }).events[0];

    const pushed = await mine.next((m) => m.type === 'event');
    expect(pushed.data).toEqual(stored);

    // The other tenant's own event, sent later through A, is the first and only event its client sees.
    const marker = stripeEvent('charge.succeeded', charge({ amount: 99 }));
    const own = await postEventOverHttp(a.baseUrl, otherKey, marker);
    expect(own.status).toBe(201);
    const theirsFirst = await theirs.next((m) => m.type === 'event');
    expect(theirsFirst.data.providerEventId).toBe(marker.id);
    expect(theirs.messages.filter((m) => m.type === 'event')).toHaveLength(1);
    // Exactly once on B, even though both instances hold the subscription.
    expect(mine.messages.filter((m) => m.type === 'event')).toHaveLength(1);

    mine.socket.close();
    theirs.socket.close();
  }, 60_000);
});
