import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/** Ports handed out by this process, so two servers of one test never get the same one. */
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port a server started by the test can listen on. Chosen below Linux's ephemeral range (32768 on):
 * a port the kernel gave out with `listen(0)` and then freed is one it also hands to outgoing
 * connections, and one of the suite's own clients took it before the server started (EADDRINUSE).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port between 20000 and 31999');
}

function onPath(binary: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

/**
 * Debian puts PostgreSQL's server binaries in /usr/lib/postgresql/<major>/bin, off the PATH;
 * PAYLENS_TEST_POSTGRES_ROOT moves that root (pointing it nowhere simulates a machine without them).
 */
export function findPostgresBin(): string | null {
  const root = process.env.PAYLENS_TEST_POSTGRES_ROOT ?? '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((d) => /^\d+$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) if (existsSync(join(root, major, 'bin', 'postgres'))) return join(root, major, 'bin');
  }
  const postgres = onPath('postgres');
  return postgres && existsSync(join(dirname(postgres), 'initdb')) ? dirname(postgres) : null;
}

export function findRedisServer(): string | null {
  return onPath('redis-server');
}

/** HAProxy: the load balancer in front of several API processes in the multi-node drills. */
export function findHaproxy(): string | null {
  return onPath('haproxy') ?? (existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : null);
}

/** promtool (Debian's `prometheus` package) checks the alert rules shipped in deploy/. */
export function findPromtool(): string | null {
  return onPath('promtool');
}

/** CHROMIUM_PATH names the browser when it is not Debian's `chromium` on the PATH. */
export function findChromium(): string | null {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return existsSync(configured) ? configured : null;
  return onPath('chromium');
}

export interface RunningProcess {
  url: string;
  stop(): Promise<void>;
}

/** A server a test stops and starts again on the same port and data (a restart or a crash under load). */
export interface RestartableProcess {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it if it runs and removes its data. */
  destroy(): Promise<void>;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start within ${timeoutMs} ms`);
}

/** Signals the child's whole process group (runuser does not forward every signal to postgres); SIGKILL after 10 s. */
export function stopProcessGroup(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  const kill = (s: NodeJS.Signals) => {
    try {
      if (child?.pid) process.kill(-child.pid, s);
    } catch {
      child?.kill(s);
    }
  };
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    kill(signal);
  });
}

/**
 * Runs PostgreSQL's programs from `bin`. PostgreSQL refuses to run as root, so as root they run as
 * the unprivileged `postgres` (or `nobody`) user, who then owns the cluster's files.
 */
export function postgresCommand(bin: string): (exe: string, args: string[]) => [string, string[]] {
  const isRoot = process.getuid?.() === 0;
  const runAs = isRoot ? (spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody') : null;
  return (exe, args) => (runAs ? ['runuser', ['-u', runAs, '--', join(bin, exe), ...args]] : [join(bin, exe), args]);
}

/**
 * The `postgres` arguments every harness server shares: its data, a loopback port, its socket in its
 * own directory. A replica takes the same max_connections, as a hot standby must have at least the
 * primary's.
 */
export function postgresServerArgs(dataDir: string, port: number, socketDir: string): string[] {
  return [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    socketDir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=300',
  ];
}

/**
 * A throwaway PostgreSQL cluster on loopback, initdb'd but not started: a test may start it, stop it
 * (a fast shutdown, SIGINT: the server ends every session, as when an operator stops it) and start it
 * again on the same port and data. Not durable unless asked: fsync and synchronous commits are off.
 */
export async function postgresCluster(options: { durable?: boolean } = {}): Promise<RestartableProcess> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found (apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'paylens-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const command = postgresCommand(bin);

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

  const durability = options.durable
    ? []
    : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const url = `postgres://paylens@127.0.0.1:${port}/postgres`;
  const pg = (await import('pg')).default;
  let child: ChildProcess | null = null;
  return {
    url,
    async start() {
      const [cmd, args] = command('postgres', [
        ...postgresServerArgs(dataDir, port, dir),
        '-c',
        'shared_buffers=256MB',
        ...durability,
      ]);
      const started = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      child = started;
      let stderr = '';
      started.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      await waitFor(
        async () => {
          if (started.exitCode !== null) throw new Error(`postgres exited: ${stderr}`);
          const client = new pg.Client({ connectionString: url });
          // Refused connections while the server starts are expected; connect() reports them.
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
      await stopProcessGroup(child, 'SIGINT');
      child = null;
    },
    async destroy() {
      await stopProcessGroup(child, 'SIGINT');
      child = null;
      spawnSync('rm', ['-rf', dir]);
    },
  };
}

/** A throwaway PostgreSQL cluster on loopback, started; `stop` removes it. */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<RunningProcess> {
  const cluster = await postgresCluster(options);
  await cluster.start();
  return { url: cluster.url, stop: () => cluster.destroy() };
}

export async function startRedis(): Promise<RunningProcess> {
  const binary = findRedisServer();
  if (!binary) throw new Error('redis-server not found (apt-get install redis-server)');
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
    detached: true,
  });
  const url = `redis://127.0.0.1:${port}`;
  const { Redis } = await import('ioredis');
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error('redis-server exited');
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      // Refused connections while redis-server starts are expected; connect() reports them.
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
  return { url, stop: () => stopProcessGroup(child, 'SIGTERM') };
}
