import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildApp } from '../../src/app.js';
import { createContainer } from '../../src/container.js';
import {
  declinedCharge,
  stripeEvent,
} from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { loadConfig } from '../../src/platform/config/config.js';
import type { App } from '../../src/platform/http/types.js';
import { configFor, postEvent, TEST_METRICS_TOKEN, type TestApp } from '../harness/app.js';
import { freePort } from '../harness/processes.js';
import { storeKinds } from '../harness/stores.js';
import { startServer, type ServerProcess } from '../integration/server-process.js';

/** A test app whose container logs into `lines` (the harness's apps log nowhere). */
async function appWithLog(
  store: 'pglite' | 'postgres',
  env: Record<string, string>,
  lines: Array<Record<string, unknown>>,
): Promise<TestApp> {
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const container = await createContainer(await configFor(store, env), { logger });
  const app: App = await buildApp(container, { logger: false });
  await app.ready();
  const tenant = await container.tenants.create('acme');
  const issued = await container.apiKeys.issue(tenant!.id, 'test');
  return {
    app,
    container,
    apiKey: issued.secret,
    tenantId: tenant!.id,
    newTenant: () => Promise.reject(new Error('not used here')),
    close: async () => {
      await app.close();
      await container.close();
    },
  };
}

describe.each(storeKinds())('metrics, docs and dashboard headers on %s', (store) => {
  let open: TestApp;
  let closed: TestApp;
  const log: Array<Record<string, unknown>> = [];
  const metricsText = async () =>
    (
      await open.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` },
      })
    ).body;

  beforeAll(async () => {
    // `closed` is configured as a deployment that set neither METRICS_TOKEN nor API_DOCS (an empty value is unset).
    [open, closed] = await Promise.all([
      appWithLog(store, {}, log),
      appWithLog(store, { METRICS_TOKEN: '', API_DOCS: '' }, []),
    ]);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([open?.close(), closed?.close()]);
  });

  it('serves neither /metrics nor the API description on the API port unless configured', async () => {
    for (const url of ['/metrics', '/docs', '/docs/json']) {
      const res = await closed.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(loadConfig({})).toMatchObject({ API_DOCS: false, METRICS_HOST: '127.0.0.1', METRICS_PORT: 9464 });
    expect(loadConfig({}).METRICS_TOKEN).toBeUndefined();
  });

  it('answers /metrics only to METRICS_TOKEN', async () => {
    expect((await open.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect(
      (await open.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${open.apiKey}` } }))
        .statusCode,
    ).toBe(401);
    expect(await metricsText()).toContain('paylens_http_request_duration_seconds');
  });

  it('takes label values from closed sets: an unmapped provider code is code="other" and logged; URLs never become labels', async () => {
    const code = `zz_tenant_chosen_${randomBytes(4).toString('hex')}`;
    const res = await postEvent(open, stripeEvent('charge.failed', declinedCharge(code)));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().events[0].failureReason).toBe('unknown');
    const path = `/v1/zz-made-up-${randomBytes(4).toString('hex')}`;
    expect(
      (await open.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${open.apiKey}` } }))
        .statusCode,
    ).toBe(404);
    expect(
      (await open.app.inject({ method: 'PROPFIND' as 'GET', url: '/health/live' })).statusCode,
    ).toBeGreaterThanOrEqual(400);

    const text = await metricsText();
    expect(text).not.toContain(code);
    expect(text).not.toContain('zz-made-up');
    expect(text).not.toContain('PROPFIND');
    expect(text).toMatch(/^paylens_unmapped_provider_codes_total\{provider="stripe",code="other"\} 1$/m);
    expect(text).toMatch(/route="unmatched"/);
    expect(log).toContainEqual(expect.objectContaining({ level: 40, provider: 'stripe', code }));
  });

  it('sends a strict Content-Security-Policy with the dashboard, and the dashboard needs nothing inline', async () => {
    const page = await open.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    const directives = new Map(
      csp.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    expect(directives.get('default-src')).toBe("'self'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('script-src-attr')).toBe("'none'");
    expect(directives.get('style-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'self'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(directives.get('object-src')).toBe("'none'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers).toMatchObject({
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    });
    // The built page loads its script and styles from files: an inline one would be blocked by the policy.
    const html = page.body;
    expect(html).toMatch(/<script[^>]+src="\/assets\/[^"]+\.js"/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(readFileSync(join('web', 'dist', 'index.html'), 'utf8')).toBe(html);
  });
});

/** The real server entrypoint: what an operator gets with the defaults. */
describe('the server process with default settings', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paylens-surface-'));
  const apiKey = `pl_${randomBytes(32).toString('base64url')}`;
  let server: ServerProcess;
  let metricsPort: number;

  beforeAll(async () => {
    metricsPort = await freePort();
    server = await startServer(
      {
        PAYLENS_DATA_DIR: dataDir,
        PAYLENS_BOOTSTRAP_API_KEY: apiKey,
        LOG_LEVEL: 'debug',
        METRICS_PORT: String(metricsPort),
        RUN_WORKER_IN_SERVER: 'false',
      },
      await freePort(),
    );
  }, 120_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves /metrics on the loopback metrics port only, and no API description', async () => {
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/docs/json`)).status).toBe(404);
    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('paylens_process_cpu_seconds_total');
    expect((await fetch(`http://127.0.0.1:${metricsPort}/v1/events`)).status).toBe(404);
  });

  it('never writes a ?token= API key into its logs, even at debug', async () => {
    const socket = new WebSocket(`${server.baseUrl.replace('http', 'ws')}/ws?token=${apiKey}`);
    await new Promise((resolve, reject) => {
      socket.on('message', resolve);
      socket.on('error', reject);
    });
    socket.close();
    expect(
      (
        await fetch(`${server.baseUrl}/v1/events?limit=1&token=${apiKey}`, {
          headers: { authorization: `Bearer ${apiKey}` },
        })
      ).status,
    ).toBe(200);
    await expect
      .poll(() => server.output().includes('/v1/events?limit=1&token=[redacted]'), { timeout: 5000 })
      .toBe(true);
    expect(server.output()).toContain('/ws?token=[redacted]');
    expect(server.output()).not.toContain(apiKey);
    expect(server.output()).not.toContain(apiKey.slice(3, 30));
  });
});
