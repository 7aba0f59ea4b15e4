import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { charge, stripeEvent } from '../normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { createTestApp, TEST_METRICS_TOKEN, type TestApp } from '../../../test/harness/app.js';

interface Feed {
  socket: WebSocket;
  messages: Array<{ type: string; data: Record<string, unknown> }>;
  next(
    predicate: (m: { type: string; data: Record<string, unknown> }) => boolean,
  ): Promise<{ type: string; data: Record<string, unknown> }>;
}

function openFeed(url: string, protocols?: string[]): Promise<Feed> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    const messages: Feed['messages'] = [];
    const waiters: Array<{
      predicate: (m: Feed['messages'][number]) => boolean;
      resolve: (m: Feed['messages'][number]) => void;
    }> = [];
    socket.on('message', (raw) => {
      const message = JSON.parse(raw.toString()) as Feed['messages'][number];
      messages.push(message);
      for (const w of waiters.filter((w) => w.predicate(message))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(message);
      }
      if (message.type === 'ready') resolve(feed);
    });
    socket.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.on('error', reject);
    const feed: Feed = {
      socket,
      messages,
      next: (predicate) =>
        new Promise((res) => {
          const found = messages.find(predicate);
          if (found) res(found);
          else waiters.push({ predicate, resolve: res });
        }),
    };
  });
}

describe('GET /ws live feed', () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp('pglite');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    base = `ws://127.0.0.1:${address.port}/ws`;
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a connection without a valid key with 401', async () => {
    await expect(openFeed(base)).rejects.toThrow('HTTP 401');
    await expect(openFeed(`${base}?token=pl_not_a_real_key_${'x'.repeat(40)}`)).rejects.toThrow('HTTP 401');
  });

  it("pushes the tenant's stored events, and nothing of another tenant's", async () => {
    const other = await t.newTenant('other-co');
    const mine = await openFeed(`${base}?token=${t.apiKey}`);
    const theirs = await openFeed(base, ['paylens', other.apiKey]);
    expect(theirs.socket.protocol).toBe('paylens');

    const event = stripeEvent('charge.succeeded', charge({ amount: 1234 }));
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify(event),
    });
    expect(res.statusCode, res.body).toBe(201);
    const stored = res.json().events[0];

    const pushed = await mine.next((m) => m.type === 'event');
    expect(pushed.data).toEqual(stored);

    // A marker for the other tenant proves its feed works and that nothing of ours came before it.
    const marker = stripeEvent('charge.succeeded', charge({ amount: 777 }));
    const own = await t.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${other.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify(marker),
    });
    expect(own.statusCode).toBe(201);
    await theirs.next((m) => m.type === 'event');
    expect(theirs.messages.filter((m) => m.type === 'event').map((m) => m.data.tenantId)).toEqual([other.tenantId]);
    expect(mine.messages.filter((m) => m.type === 'event').map((m) => m.data.tenantId)).toEqual([t.tenantId]);

    mine.socket.close();
    theirs.socket.close();
  });

  it('exposes connections and delivered messages as metrics', async () => {
    const feed = await openFeed(`${base}?token=${t.apiKey}`);
    t.container.live.publish(t.tenantId, { type: 'risk', data: { score: 0.9 } });
    await feed.next((m) => m.type === 'risk');
    const metrics = (
      await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })
    ).body;
    expect(metrics).toMatch(/^paylens_live_connections [1-9]/m);
    expect(metrics).toMatch(/^paylens_live_messages_total\{outcome="delivered"\} [1-9]/m);
    feed.socket.close();
  });

  it('lets other modules publish alerts through the hub', async () => {
    const feed = await openFeed(`${base}?token=${t.apiKey}`);
    t.container.live.publish(t.tenantId, { type: 'alert', data: { kind: 'success_rate_drop', provider: 'adyen' } });
    const alert = await feed.next((m) => m.type === 'alert');
    expect(alert.data).toEqual({ kind: 'success_rate_drop', provider: 'adyen' });
    feed.socket.close();
  });

  it('pushes declined risk decisions from the score API', async () => {
    const feed = await openFeed(`${base}?token=${t.apiKey}`);
    const headers = { authorization: `Bearer ${t.apiKey}` };
    const listed = await t.app.inject({
      method: 'POST',
      url: '/v1/lists',
      headers,
      payload: { type: 'ip', value: '198.51.100.77', action: 'block', reason: 'known bad' },
    });
    expect(listed.statusCode).toBe(201);
    const scored = await t.app.inject({
      method: 'POST',
      url: '/v1/risk/score',
      headers,
      payload: {
        transactionId: 'tx-live-1',
        amount: { minor: 1000, currency: 'USD' },
        customer: {},
        card: {},
        merchant: {},
        ip: '198.51.100.77',
      },
    });
    expect(scored.json().decision).toBe('decline');
    const risk = await feed.next((m) => m.type === 'risk');
    expect(risk.data).toMatchObject({ transactionId: 'tx-live-1', decision: 'decline' });
    feed.socket.close();
  });

  it('pushes alerts as the detectors open them', async () => {
    const feed = await openFeed(`${base}?token=${t.apiKey}`);
    const other = await t.newTenant('live-alerts-other');
    const otherFeed = await openFeed(`${base}?token=${other.apiKey}`);
    // A backlog of unprocessed events (payloads no connector recognises) above the default threshold opens an alert.
    const headers = { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' };
    await t.container.analytics.alerts.runOnce(new Date());
    await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        t.app.inject({ method: 'POST', url: '/v1/events', headers, payload: JSON.stringify({ mystery: i }) }),
      ),
    );
    await t.container.analytics.alerts.runOnce(new Date());
    const alert = await feed.next((m) => m.type === 'alert');
    expect(alert.data).toMatchObject({ kind: 'backlog_growing', status: 'open' });
    expect(otherFeed.messages.filter((m) => m.type === 'alert')).toEqual([]);
    feed.socket.close();
    otherFeed.socket.close();
  });
});
