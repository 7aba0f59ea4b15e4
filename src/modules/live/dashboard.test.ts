import Fastify from 'fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerProblemHandler } from '../../platform/errors/problem-handler.js';
import type { App } from '../../platform/http/types.js';
import { dashboardStatic } from './live.routes.js';

async function appWith(root: string): Promise<App> {
  const app = Fastify({ logger: false }) as unknown as App;
  registerProblemHandler(app);
  app.get('/v1/ping', async () => ({ ok: true }));
  await app.register(dashboardStatic, { root });
  await app.ready();
  return app;
}

describe('dashboard static serving', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paylens-web-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves index.html at / and for client-side routes, assets as files, and leaves API paths alone', async () => {
    const root = join(dir, 'dist');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    const app = await appWith(root);

    const home = await app.inject({ url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('id="root"');
    const deep = await app.inject({ url: '/events/evt_123?x=1' });
    expect(deep.statusCode).toBe(200);
    expect(deep.headers['content-type']).toContain('text/html');
    const asset = await app.inject({ url: '/assets/app-1234.js' });
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['cache-control']).toContain('immutable');

    expect((await app.inject({ url: '/v1/ping' })).json()).toEqual({ ok: true });
    for (const path of ['/v1/nope', '/ws/x', '/health', '/metrics', '/admin/v1/x', '/docs/x']) {
      const res = await app.inject({ url: path });
      expect(res.statusCode, path).toBe(404);
      expect(res.headers['content-type'], path).toContain('application/problem+json');
    }
    await app.close();
  });

  it('starts without a build and serves the API only', async () => {
    const app = await appWith(join(dir, 'missing'));
    expect((await app.inject({ url: '/v1/ping' })).statusCode).toBe(200);
    const home = await app.inject({ url: '/' });
    expect(home.statusCode).toBe(404);
    expect(home.headers['content-type']).toContain('application/problem+json');
    await app.close();
  });
});
