import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createContainer } from '../../src/container.js';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { configFor } from '../harness/app.js';
import { freePort } from '../harness/processes.js';
import { storeKinds } from '../harness/stores.js';
import { postEventOverHttp, startServer } from './server-process.js';

// Each test starts real server processes (migrations on a fresh embedded database): minutes on a loaded 2-core box.
describe('the server process (embedded PGlite)', { timeout: 180_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paylens-server-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('bootstraps tenant demo once, prints its key once, and shuts down gracefully keeping accepted events', async () => {
    const port = await freePort();
    const first = await startServer({ PAYLENS_DATA_DIR: dataDir }, port);
    const key = /(pl_[A-Za-z0-9_-]{43})/.exec(first.output())?.[1];
    expect(key).toBeDefined();
    expect(first.output()).not.toMatch(/"apiKey"|key_hash/);

    const events = Array.from({ length: 40 }, () => stripeEvent('charge.succeeded', charge()));
    const responses = await Promise.all(events.map((e) => postEventOverHttp(first.baseUrl, key!, e)));
    expect(responses.every((r) => r.status === 201)).toBe(true);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('shutdown complete');

    const second = await startServer({ PAYLENS_DATA_DIR: dataDir }, port);
    try {
      expect(second.output()).not.toMatch(/pl_[A-Za-z0-9_-]{43}/);
      const list = await fetch(`${second.baseUrl}/v1/events?limit=100`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const body = (await list.json()) as { data: { providerEventId: string }[] };
      expect(body.data.map((e) => e.providerEventId).sort()).toEqual(events.map((e) => e.id as string).sort());
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('uses PAYLENS_BOOTSTRAP_API_KEY for the demo tenant when set, printing no key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'paylens-server-boot-'));
    const key = `pl_${'k'.repeat(43)}`;
    const server = await startServer({ PAYLENS_DATA_DIR: dir, PAYLENS_BOOTSTRAP_API_KEY: key }, await freePort());
    try {
      expect(server.output()).not.toContain(key);
      const res = await fetch(`${server.baseUrl}/v1/events`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(storeKinds())('readiness on %s', { timeout: 180_000 }, (store) => {
  it('reports 503 with per-check detail when the database is gone', async () => {
    const container = await createContainer(await configFor(store));
    const app = await buildApp(container, { logger: false });
    await container.database.close();
    const res = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      code: 'unavailable',
      checks: { database: { status: 'down', error: expect.any(String) } },
    });
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    await app.close();
  });
});
