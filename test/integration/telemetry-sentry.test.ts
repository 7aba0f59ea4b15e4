import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/processes.js';
import { createPostgresDatabase } from '../harness/stores.js';
import { startSentryReceiver, type EnvelopeItem, type SentryReceiver } from './telemetry-receivers.js';

const KEY = `pl_${'s'.repeat(43)}`;

interface ExceptionEvent {
  exception?: { values?: { type?: string; value?: string }[] };
  tags?: Record<string, string>;
}

const exceptionOf = (item: EnvelopeItem) => (item.payload as ExceptionEvent).exception?.values?.[0];

// Real processes reporting to a Sentry envelope endpoint on loopback (no network).
describe('error reporting with SENTRY_DSN', { tags: ['postgres'], timeout: 300_000 }, () => {
  let receiver: SentryReceiver;

  beforeAll(async () => {
    receiver = await startSentryReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('reports an uncaught exception, and the process still exits', async () => {
    const script = [
      "import { startTelemetry } from './src/platform/telemetry/telemetry.ts';",
      `startTelemetry({ serviceName: 'paylens-cli', sentryDsn: ${JSON.stringify(receiver.dsn)} });`,
      "setTimeout(() => { throw new Error('uncaught in a timer'); }, 10);",
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    const events = await receiver.waitFor((items) =>
      items.some((i) => exceptionOf(i)?.value === 'uncaught in a timer'),
    );
    const event = events.find((i) => exceptionOf(i)?.value === 'uncaught in a timer')!;
    expect(event.header.type).toBe('event');
    expect(exceptionOf(event)!.type).toBe('Error');
    expect(receiver.requests.some((r) => r.path.startsWith('/api/42/envelope/'))).toBe(true);
  });

  it('reports a 5xx answer of the server with its route, and no 4xx', async () => {
    const databaseUrl = await createPostgresDatabase();
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/server.ts'], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: '0',
        LOG_LEVEL: 'warn',
        DATABASE_URL: databaseUrl,
        PAYLENS_BOOTSTRAP_API_KEY: KEY,
        RUN_WORKER_IN_SERVER: 'false',
        SENTRY_DSN: receiver.dsn,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const base = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 150_000;
      while (
        !(await fetch(`${base}/health/ready`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        expect(child.exitCode).toBeNull();
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 250));
      }
      const list = () => fetch(`${base}/v1/events`, { headers: { authorization: `Bearer ${KEY}` } });
      // A 4xx is the client's error, not ours: nothing is reported for it.
      expect((await fetch(`${base}/v1/events`, { headers: { authorization: 'Bearer pl_wrong' } })).status).toBe(401);
      expect((await list()).status).toBe(200);

      // The database disappears under the running server (the key stays cached): reads fail with a 5xx.
      const name = new URL(databaseUrl).pathname.slice(1);
      const admin = new pg.Client({ connectionString: databaseUrl.replace(/\/[^/]+$/, '/postgres') });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
      const failed = await list();
      expect(failed.status).toBeGreaterThanOrEqual(500);

      const events = await receiver.waitFor((items) => items.some((i) => i.payload.tags !== undefined));
      const reported = events.filter((i) => (i.payload as ExceptionEvent).tags?.route === '/v1/events');
      expect(reported.length).toBeGreaterThan(0);
      const tags = (reported[0]!.payload as ExceptionEvent).tags!;
      expect(tags).toMatchObject({ method: 'GET', status: String(failed.status) });
      // The exception when one was thrown; otherwise (a 503 while a dependency is down) a message naming the answer.
      const first = reported[0]!;
      expect(exceptionOf(first) ?? first.payload.message).toBeDefined();
      // The 401 made no report, and no report carries the API key.
      expect(events.some((i) => (i.payload as ExceptionEvent).tags?.status === '401')).toBe(false);
      expect(JSON.stringify(events)).not.toContain(KEY);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
