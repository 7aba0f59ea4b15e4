import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createContainer } from '../../src/container.js';
import { freePort } from '../harness/processes.js';
import { configFor } from '../harness/app.js';
import { postEventOverHttp } from './server-process.js';

const API_KEY = `pl_${randomBytes(32).toString('base64url')}`;
const children: ChildProcess[] = [];
const dirs: string[] = [];

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });
}

async function waitFor<T>(probe: () => Promise<T | null>, what: string): Promise<T> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function embeddedServer(extra: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'paylens-worker-'));
  dirs.push(dir);
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/server.ts'], {
    env: {
      ...process.env,
      PAYLENS_DATA_DIR: dir,
      DATABASE_URL: '',
      PAYLENS_BOOTSTRAP_API_KEY: API_KEY,
      PORT: String(port),
      LOG_LEVEL: 'silent',
      MAX_ATTEMPTS: '2',
      WORKER_POLL_MS: '50',
      ...extra,
    },
    stdio: 'ignore',
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => ((await fetch(`${base}/health/ready`)).ok ? true : null), 'the server');
  return base;
}

const auth = { authorization: `Bearer ${API_KEY}` };
const postUnknown = async (base: string) => {
  const res = await postEventOverHttp(base, API_KEY, { no: 'connector', at: Date.now() });
  expect(res.status).toBe(201);
  return ((await res.json()) as { rawEvent: { id: string } }).rawEvent.id;
};
const rawStatus = async (base: string, id: string) =>
  (await (await fetch(`${base}/v1/raw-events/${id}`, { headers: auth })).json()) as {
    status: string;
    attempts: number;
  };

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map(exited));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the retry worker in the embedded server', () => {
  it('runs inside the server by default and dead-letters after MAX_ATTEMPTS', { timeout: 180_000 }, async () => {
    const base = await embeddedServer({});
    const id = await postUnknown(base);
    const dead = await waitFor(async () => {
      const raw = await rawStatus(base, id);
      return raw.status === 'dead' ? raw : null;
    }, 'the event to be dead-lettered');
    expect(dead.attempts).toBe(2);
  });

  it('stays out of the server with RUN_WORKER_IN_SERVER=false', { timeout: 180_000 }, async () => {
    const base = await embeddedServer({ RUN_WORKER_IN_SERVER: 'false' });
    const id = await postUnknown(base);
    // Long past the first retry delay (1 s, the worker polls every 50 ms): still the intake's one attempt.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await rawStatus(base, id)).toMatchObject({ status: 'unprocessed', attempts: 1 });
  });
});

describe('paylens worker (standalone)', { tags: ['postgres'] }, () => {
  it('retries due events until dead, then stops gracefully on SIGTERM', { timeout: 180_000 }, async () => {
    const config = await configFor('postgres', { MAX_ATTEMPTS: '2' });
    const container = await createContainer(config);
    try {
      const tenant = (await container.tenants.create('work'))!;
      const ingested = await container.intake.ingest({
        tenantId: tenant.id,
        source: 'api',
        body: '{"unknown":"shape"}',
        contentType: 'application/json',
      });
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/cli.ts', 'worker'], {
        env: {
          ...process.env,
          DATABASE_URL: config.DATABASE_URL!,
          LOG_LEVEL: 'silent',
          MAX_ATTEMPTS: '2',
          WORKER_POLL_MS: '50',
          PAYLENS_CUSTOMER_KEY_SALT: 'test-salt-0123456789',
        },
        stdio: 'ignore',
      });
      children.push(child);
      const dead = await waitFor(async () => {
        const raw = await container.rawEvents.findById(tenant.id, ingested.rawEvent.id);
        return raw?.status === 'dead' ? raw : null;
      }, 'the standalone worker');
      expect(dead.attempts).toBe(2);
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
    } finally {
      await container.close();
    }
  });
});
