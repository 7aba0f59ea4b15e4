import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { findPostgresBin, findRedisServer, freePort } from '../harness/processes.js';

/** A process the drills stop and start again on the same port and data. */
export interface Restartable {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

function stopGroup(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = (s: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, s);
      } catch {
        child.kill(s);
      }
    };
    const timer = setTimeout(() => kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    kill(signal);
  });
}

/**
 * A PostgreSQL cluster of its own (initdb'd now, not started): the harness's server is shared by
 * every test file, so only a private one may be stopped. `stop` is a fast shutdown (SIGINT): the
 * server ends every session, as when an operator or an orchestrator stops it.
 */
export async function restartablePostgres(): Promise<Restartable> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found');
  const dir = mkdtempSync(join(tmpdir(), 'paylens-faults-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const isRoot = process.getuid?.() === 0;
  const runAs = isRoot ? (spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody') : null;
  const command = (exe: string, args: string[]): [string, string[]] =>
    runAs ? ['runuser', ['-u', runAs, '--', join(bin, exe), ...args]] : [join(bin, exe), args];
  const [initCmd, initArgs] = command('initdb', [
    '-D',
    dataDir,
    '-U',
    'paylens',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const url = `postgres://paylens@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | null = null;
  return {
    url,
    async start() {
      const [cmd, args] = command('postgres', [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'max_connections=200',
        '-c',
        'fsync=off',
      ]);
      const started = spawn(cmd, args, { stdio: 'ignore', detached: true });
      child = started;
      await waitFor(
        async () => {
          if (started.exitCode !== null) throw new Error('postgres exited');
          const client = new pg.Client({ connectionString: url });
          client.on('error', () => undefined);
          try {
            await client.connect();
            await client.end();
            return true;
          } catch {
            return false;
          }
        },
        30_000,
        'postgres',
      );
    },
    async stop() {
      await stopGroup(child, 'SIGINT');
      child = null;
    },
    async destroy() {
      await stopGroup(child, 'SIGINT');
      spawnSync('rm', ['-rf', dir]);
    },
  };
}

/** A redis-server of its own on a fixed port, stopped with SIGKILL (a crash: nothing is said to the clients). */
export async function restartableRedis(): Promise<Restartable> {
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server not found');
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  return {
    url,
    async start() {
      const started = spawn(
        binary,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore', detached: true },
      );
      child = started;
      const { Redis } = await import('ioredis');
      await waitFor(
        async () => {
          if (started.exitCode !== null) throw new Error('redis-server exited');
          const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
          client.on('error', () => undefined);
          try {
            await client.connect();
            await client.ping();
            return true;
          } catch {
            return false;
          } finally {
            client.disconnect();
          }
        },
        15_000,
        'redis-server',
      );
    },
    async stop() {
      await stopGroup(child, 'SIGKILL');
      child = null;
    },
    async destroy() {
      await stopGroup(child, 'SIGKILL');
    },
  };
}

const serverEntry = fileURLToPath(new URL('../../src/entrypoints/server.ts', import.meta.url));

export interface ServerUnderTest {
  base: string;
  metricsPort: number;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** The real server entrypoint as a child process; returns at once (the drills watch it start). */
export async function spawnServer(env: Record<string, string>): Promise<ServerUnderTest> {
  const port = await freePort();
  const metricsPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', serverEntry], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      PAYLENS_CUSTOMER_KEY_SALT: 'test-salt-0123456789',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-2_000_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-2_000_000)));
  return {
    base: `http://127.0.0.1:${port}`,
    metricsPort,
    child,
    output: () => out,
    stop: () => stopGroup(child, 'SIGKILL'),
  };
}

/** Polls `probe` until it returns a value, failing after `timeoutMs` with what the server said. */
export async function until<T>(
  probe: () => Promise<T | null>,
  timeoutMs: number,
  what: string,
  server?: ServerUnderTest,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (server && server.child.exitCode !== null)
      throw new Error(`server exited while waiting for ${what}:\n${server.output()}`);
    if (Date.now() > deadline)
      throw new Error(`${what} within ${timeoutMs} ms:\n${server?.output().slice(-5000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
