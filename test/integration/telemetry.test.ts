import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { freePort } from '../harness/processes.js';
import { createPostgresDatabase, harnessRedisUrl } from '../harness/stores.js';
import { postEventOverHttp } from './server-process.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './telemetry-receivers.js';

const KEY = `pl_${'t'.repeat(43)}`;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const SERVER_KIND = 2;

/** The chain of span ids from `span` up to the root of what was received. */
function ancestry(span: ReceivedSpan, spans: ReceivedSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: string[] = [];
  for (let parent = span.parentSpanId; parent; parent = byId.get(parent)?.parentSpanId ?? '') chain.push(parent);
  return chain;
}

interface Server {
  baseUrl: string;
  stop(): Promise<void>;
}

/** The real server entrypoint as a child process; on the shared 2-core box its start can take minutes. */
async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/server.ts'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become ready:\n${errors}`);
    }
    const ready = await fetch(`${baseUrl}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    baseUrl,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/cli.ts', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

// Real server and CLI processes on PostgreSQL and Redis, exporting to an OTLP/HTTP receiver on loopback.
describe('one connected trace over OTLP/HTTP', { tags: ['postgres', 'redis'], timeout: 300_000 }, () => {
  let receiver: OtlpReceiver;
  let server: Server;
  let env: Record<string, string>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    env = {
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: harnessRedisUrl(),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      // The batch processor exports every 5 s by default; the test waits less.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      PAYLENS_BOOTSTRAP_API_KEY: KEY,
      RUN_WORKER_IN_SERVER: 'false',
    };
    // Concurrent events share a group commit when the batch waits a little.
    server = await startServer({ ...env, WRITE_BATCH_DELAY_MS: '50', METRICS_PORT: '0' });
  }, 170_000);
  afterAll(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('puts http, fastify, pg, redis, normalize, score and the group commit of one request in the caller’s trace', async () => {
    const traceId = hex(16);
    const callerSpanId = hex(8);
    const res = await fetch(`${server.baseUrl}/v1/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEY}`,
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
      body: JSON.stringify(stripeEvent('charge.succeeded', charge())),
    });
    expect(res.status).toBe(201);

    const wanted = (s: ReceivedSpan) => s.traceId === traceId;
    const all = await receiver.waitFor((spans) => {
      const names = spans.filter(wanted).map((s) => s.name);
      return ['normalize', 'risk.score', 'db.group_commit'].every((n) => names.includes(n));
    });
    const spans = all.filter(wanted);
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['paylens-api']));

    const http = spans.find((s) => s.scope === '@opentelemetry/instrumentation-http' && s.kind === SERVER_KIND);
    expect(http, 'the HTTP server span').toBeDefined();
    // The incoming traceparent is the parent of the request span.
    expect(http!.parentSpanId).toBe(callerSpanId);
    expect(http!.attributes['http.route'] ?? http!.name).toMatch(/\/v1\/events/);

    const fastify = spans.find((s) => s.scope.includes('fastify') && s.parentSpanId === http!.spanId);
    expect(fastify, 'the Fastify request span under the HTTP span').toBeDefined();

    const under = (name: string | RegExp, scope?: string) => {
      const found = spans.filter(
        (s) => (typeof name === 'string' ? s.name === name : name.test(s.name)) && (!scope || s.scope === scope),
      );
      expect(found.length, `${String(name)} spans`).toBeGreaterThan(0);
      for (const span of found) expect(ancestry(span, spans)).toContain(fastify!.spanId);
      return found;
    };
    under('normalize');
    const [score] = under('risk.score');
    const [commit] = under('db.group_commit');
    const pg = under(/./, '@opentelemetry/instrumentation-pg');
    // The commit's own statements are its children; the scoring's Redis calls are the score's.
    expect(pg.some((s) => s.parentSpanId === commit!.spanId || ancestry(s, spans).includes(commit!.spanId))).toBe(true);
    const redis = under(/./, '@opentelemetry/instrumentation-ioredis');
    expect(redis.some((s) => ancestry(s, spans).includes(score!.spanId))).toBe(true);
    // Redis keys hold hashed customer identities: the statement is the command name alone.
    for (const span of redis)
      expect(String(span.attributes['db.statement'] ?? span.attributes['db.query.text'] ?? '')).not.toMatch(/:/);
  });

  it('parents a group commit to its first request and links the other requests it made durable', async () => {
    const callers = Array.from({ length: 8 }, () => ({ traceId: hex(16), spanId: hex(8) }));
    const responses = await Promise.all(
      callers.map((c) =>
        fetch(`${server.baseUrl}/v1/events`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${KEY}`,
            'content-type': 'application/json',
            traceparent: `00-${c.traceId}-${c.spanId}-01`,
          },
          body: JSON.stringify(stripeEvent('charge.succeeded', charge())),
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(callers.map(() => 201));
    const ours = new Set(callers.map((c) => c.traceId));
    const commitsOf = (spans: ReceivedSpan[]) =>
      spans.filter((s) => s.name === 'db.group_commit' && ours.has(s.traceId));
    // Every request's trace reaches a commit: as its parent or through a link.
    const reached = (spans: ReceivedSpan[]) =>
      new Set(commitsOf(spans).flatMap((c) => [c.traceId, ...c.links.map((l) => l.traceId)]));
    const spans = await receiver.waitFor((s) => callers.every((c) => reached(s).has(c.traceId)));

    const shared = commitsOf(spans).find((c) => Number(c.attributes['paylens.batch_size']) > 1);
    expect(shared, 'a commit that served several requests').toBeDefined();
    expect(shared!.links.length).toBe(Number(shared!.attributes['paylens.batch_size']) - 1);
    for (const link of shared!.links) {
      expect(ours.has(link.traceId)).toBe(true);
      expect(link.traceId).not.toBe(shared!.traceId);
      // The link names a span of that request's own trace (its handler), not just the trace.
      expect(spans.some((s) => s.traceId === link.traceId && s.spanId === link.spanId)).toBe(true);
    }
  });

  it('exports from the worker and the CLI too', async () => {
    // Nothing recognises this payload: it is stored unprocessed, due for a retry a second later.
    const junk = await postEventOverHttp(server.baseUrl, KEY, { telemetry: hex(4) });
    expect(junk.status).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 1_500));

    const worker = await runCli(['worker', '--once'], env);
    expect(worker.code, worker.output).toBe(0);
    const retried = await receiver.waitFor((spans) =>
      spans.some((s) => s.service === 'paylens-worker' && s.name === 'worker.retry'),
    );
    const retry = retried.find((s) => s.service === 'paylens-worker' && s.name === 'worker.retry')!;
    const inRetry = retried.filter((s) => s.traceId === retry.traceId);
    expect(inRetry.some((s) => s.name === 'normalize' && s.parentSpanId !== '')).toBe(true);
    expect(inRetry.some((s) => s.scope === '@opentelemetry/instrumentation-pg')).toBe(true);

    const migrate = await runCli(['migrate'], env);
    expect(migrate.code, migrate.output).toBe(0);
    const cli = await receiver.waitFor((spans) =>
      spans.some((s) => s.service === 'paylens-cli' && s.name === 'paylens migrate'),
    );
    const root = cli.find((s) => s.service === 'paylens-cli' && s.name === 'paylens migrate')!;
    expect(root.parentSpanId).toBe('');
    expect(cli.some((s) => s.traceId === root.traceId && s.scope === '@opentelemetry/instrumentation-pg')).toBe(true);
  });
});
