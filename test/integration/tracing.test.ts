import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { startTracing, type Tracing } from '../../src/platform/tracing.js';
import { createTestApp, postEvent, type TestApp } from '../harness/app.js';

describe('OpenTelemetry tracing over OTLP/HTTP', () => {
  const received: string[] = [];
  const collector = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push(`${req.url} ${body}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  let tracing: Tracing | null;
  let t: TestApp;

  beforeAll(async () => {
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    tracing = startTracing(endpoint, 'paylens-test');
    t = await createTestApp('pglite', { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
  });
  afterAll(async () => {
    await t.close();
    await tracing?.shutdown();
    collector.close();
  });

  it('exports a span per request and per group commit', async () => {
    const res = await postEvent(t, stripeEvent('charge.succeeded', charge()));
    expect(res.statusCode).toBe(201);
    await tracing!.flush();
    const exported = received.join('\n');
    expect(exported).toContain('/v1/traces');
    expect(exported).toContain('POST /v1/events');
    expect(exported).toContain('db.group_commit');
    expect(exported).toContain('paylens-test');
  });

  it('is off without an endpoint', () => {
    expect(startTracing(undefined, 'x')).toBeNull();
  });
});
