import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_COLUMNS } from '../../src/modules/ingest/formats/csv.format.js';
import { postEvent, appForSuite } from '../harness/app.js';
import { freePort } from '../harness/processes.js';
import { startServer, type ServerProcess } from '../integration/server-process.js';

/**
 * Hostile bodies, one set per format, each built to make a parser, the card-number masking or the
 * heuristic normalizer search: long runs of what a regex would backtrack over. `size` is in bytes.
 */
const hostile: { name: string; contentType: string; body: (size: number) => string }[] = [
  {
    name: 'JSON with a near-e-mail note, a grouped digit run and escapes',
    contentType: 'application/json',
    body: (size) => {
      const part = Math.floor(size / 3);
      return `{"id":"j-${size}-${Math.random()}","amount":"12.50","currency":"EUR","status":"paid","note":"a@${'.'.repeat(part)}@","digits":"${'1 '.repeat(part / 2)}","escaped":"${'\\u0031-'.repeat(part / 7)}"}`;
    },
  },
  {
    name: 'JSON of many short strings and no escape',
    contentType: 'application/json',
    body: (size) => `{"id":"s-${size}-${Math.random()}","tags":[${'"a",'.repeat(size / 4)}"z"]}`,
  },
  {
    name: 'NDJSON lines with near-e-mail notes',
    contentType: 'application/x-ndjson',
    body: (size) => {
      const lines = 20;
      return Array.from({ length: lines }, (_, i) =>
        JSON.stringify({
          id: `n-${size}-${i}-${Math.random()}`,
          amount: '1.00',
          currency: 'EUR',
          status: 'paid',
          note: `b@${'.'.repeat(Math.floor(size / lines) - 120)}@`,
        }),
      ).join('\n');
    },
  },
  {
    name: 'CSV with a quoted cell of line breaks',
    contentType: 'text/csv',
    body: (size) =>
      `id,amount,currency,status,note\r\nc-${size}-${Math.random()},1.00,EUR,paid,"x${'\n'.repeat(size - 80)}y"\r\n`,
  },
  {
    name: 'XML made of `<`',
    contentType: 'application/xml',
    body: (size) => '<'.repeat(size),
  },
  {
    name: 'XML with broken tags and quoted `<`',
    contentType: 'application/xml',
    body: (size) => `<payment>${'<a b="<a b=">'.repeat(size / 13)}`,
  },
  {
    name: 'XML document with character references and comments',
    contentType: 'application/xml',
    body: (size) =>
      `<payment><id>x-${size}-${Math.random()}</id><amount>1.00</amount><currency>EUR</currency><status>paid</status><note>${'&#49; <!-- c -->'.repeat(size / 16)}</note></payment>`,
  },
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('hostile bodies over a real port', () => {
  const key = `pl_${'s'.repeat(43)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'paylens-hostile-'));
  let server: ServerProcess | undefined;
  const baseUrl = () => {
    if (!server) throw new Error('the server did not start');
    return server.baseUrl;
  };

  beforeAll(async () => {
    server = await startServer(
      {
        PAYLENS_DATA_DIR: dataDir,
        PAYLENS_BOOTSTRAP_API_KEY: key,
        LOG_LEVEL: 'warn',
        MAX_BODY_BYTES: String(4 * 1024 * 1024),
        METRICS_PORT: '0',
      },
      await freePort(),
    );
  }, 120_000);
  afterAll(async () => {
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** One POST; a server stuck on the body makes the request time out (and the test fail) instead of hanging. */
  async function post(contentType: string, body: string): Promise<{ status: number; ms: number }> {
    const start = performance.now();
    const res = await fetch(`${baseUrl()}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
      body,
      signal: AbortSignal.timeout(60_000),
    });
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - start };
  }

  it.each(hostile)(
    '$name: time grows linearly and /health/live answers meanwhile',
    async ({ contentType, body }) => {
      await post(contentType, body(10_000));
      const timings = new Map<number, number[]>();
      for (const size of [100_000, 1_000_000]) {
        for (let run = 0; run < 3; run++) {
          const big = post(contentType, body(size));
          // The health check starts while the big body is in flight and must not wait for it.
          await new Promise((resolve) => setTimeout(resolve, 20));
          const healthStart = performance.now();
          const health = await fetch(`${baseUrl()}/health/live`, { signal: AbortSignal.timeout(30_000) });
          const healthMs = performance.now() - healthStart;
          const { status, ms } = await big;
          expect(health.status).toBe(200);
          expect(healthMs, `health took ${healthMs.toFixed(0)} ms beside a ${size}-byte body`).toBeLessThan(3_000);
          expect([200, 201, 400]).toContain(status);
          timings.set(size, [...(timings.get(size) ?? []), ms]);
        }
      }
      const small = median(timings.get(100_000)!);
      const large = median(timings.get(1_000_000)!);
      expect(large / small, `100 KB ${small.toFixed(0)} ms, 1 MB ${large.toFixed(0)} ms`).toBeLessThan(25);
    },
    300_000,
  );
});

describe('structural limits answer 400 problems, not crashes', () => {
  const t = appForSuite('pglite');

  it.each([
    ['application/json', '{"amount": "1", "currency": "EUR", "__proto__": {"admin": true}}', '__proto__'],
    ['application/x-ndjson', '{"amount": "1"}\n{"meta": {"constructor": {"prototype": {}}}}', 'constructor'],
    ['application/xml', '<payment><amount>1</amount><__proto__><admin>true</admin></__proto__></payment>', '__proto__'],
    ['application/xml', '<payment><constructor>1</constructor></payment>', 'constructor'],
    ['text/csv', 'id,amount,meta.prototype\n1,2,3\n', 'prototype'],
  ])('%s naming %s as a key → 400 reserved_key', async (contentType, body, key) => {
    const res = await postEvent(t, body, { contentType });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'reserved_key', status: 400, key });
  });

  it('refuses a CSV header nested 5,000 deep and a 100,000-column CSV', async () => {
    const deep = await postEvent(t, `id,${'a.'.repeat(5000)}b\n1,2\n`, { contentType: 'text/csv' });
    expect(deep.statusCode).toBe(400);
    expect(deep.json()).toMatchObject({ code: 'invalid_body', format: 'csv', maxDepth: 64 });
    const columns = 100_000;
    const wide = await postEvent(
      t,
      `${Array.from({ length: columns }, (_, i) => `c${i}`).join(',')}\n${'1,'.repeat(columns - 1)}1\n`,
      { contentType: 'text/csv' },
    );
    expect(wide.statusCode).toBe(400);
    expect(wide.json()).toMatchObject({ code: 'invalid_body', format: 'csv', maxColumns: MAX_COLUMNS });
  });

  it('keeps parser messages short even when they quote a megabyte', async () => {
    const res = await postEvent(t, `<a${'b'.repeat(500_000)}`, { contentType: 'application/xml' });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail.length).toBeLessThan(400);
  });
});
