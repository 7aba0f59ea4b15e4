import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort } from '../test/harness/processes.js';

export interface LoadResult {
  label: string;
  requests: number;
  non2xx: number;
  errors: number;
  perSecond: number;
  p50: number;
  p99: number;
  peakRssMb: number | null;
}

/** A process's resident set size now (VmRSS) or at its peak (VmHWM), in MB, read from /proc. */
export function rssMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | null {
  if (!pid) return null;
  try {
    const match = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system, ms) of every process and of every thread of `pid`, read from /proc. */
type CpuSnapshot = Map<string, number>;

function statCpuMs(path: string): [name: string, ms: number] | null {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, in clock ticks (100 per second on Linux).
    return [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), (Number(fields[11]) + Number(fields[12])) * 10];
  } catch {
    return null;
  }
}

export function cpuSnapshot(serverPid: number | undefined): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  if (!existsSync('/proc/self/stat')) return out;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    if (Number(pid) === serverPid || Number(pid) === process.pid) continue;
    const cpu = statCpuMs(`/proc/${pid}/stat`);
    if (cpu) out.set(`${cpu[0]} (${pid})`, cpu[1]);
  }
  if (serverPid) {
    for (const tid of readdirSync(`/proc/${serverPid}/task`)) {
      const cpu = statCpuMs(`/proc/${serverPid}/task/${tid}/stat`);
      if (cpu) out.set(Number(tid) === serverPid ? 'server main thread' : `server thread ${tid}`, cpu[1]);
    }
  }
  const own = process.cpuUsage();
  out.set('load generator (this process)', Math.round((own.user + own.system) / 1000));
  return out;
}

/** Where the CPU went between two snapshots, per request served; anything under 2 µs per request is left out. */
export function printCpuPerRequest(title: string, before: CpuSnapshot, after: CpuSnapshot, requests: number): void {
  const rows = [...after]
    .map(([name, ms]) => [name, ((ms - (before.get(name) ?? 0)) * 1000) / Math.max(1, requests)] as const)
    .filter(([, us]) => us >= 2)
    .sort((a, b) => b[1] - a[1]);
  console.log(`\n${title}: CPU per request, µs (all processes on the machine, /proc)`);
  for (const [name, us] of rows) console.log(`- ${name}: ${us.toFixed(1)}`);
  console.log(`- total: ${rows.reduce((sum, [, us]) => sum + us, 0).toFixed(1)}`);
}

/** The machine's load average now (1, 5, 15 minutes), printed with every figure: other work on the cores moves them. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}

/**
 * Start-up on a loaded machine (other work on the same two cores) took over a minute for a new
 * embedded data directory, so the default wait is generous.
 */
export async function waitForHttp(url: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Node with these arguments (a script, or flags then a script) and this environment on top of ours. */
export function startNode(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * The Paylens server: the build next to this bench (dist/bench → dist/src), or the sources through tsx.
 * The load generator is one client address with one key at thousands of requests per second, far past
 * the default request limits, so they are off; the metrics listener takes any free port.
 */
export function startPaylens(env: Record<string, string>): ChildProcess {
  const withDefaults = { RATE_LIMIT_ENABLED: 'false', METRICS_PORT: '0', ...env };
  const built = fileURLToPath(new URL('../src/entrypoints/server.js', import.meta.url));
  const flags = serverNodeFlags(env.DATABASE_URL ? 'postgres' : 'embedded');
  if (existsSync(built)) return startNode([...flags, built], withDefaults);
  return startNode(
    [...flags, '--import', 'tsx', fileURLToPath(new URL('../src/entrypoints/server.ts', import.meta.url))],
    withDefaults,
  );
}

/** `paylens worker` (the queue and retry workers) from the same build or sources as startPaylens. */
export function startPaylensWorker(env: Record<string, string>): ChildProcess {
  const withDefaults = { METRICS_PORT: '0', ...env };
  const built = fileURLToPath(new URL('../src/entrypoints/cli.js', import.meta.url));
  if (existsSync(built)) return startNode([built, 'worker'], withDefaults);
  return startNode(
    ['--import', 'tsx', fileURLToPath(new URL('../src/entrypoints/cli.ts', import.meta.url)), 'worker'],
    withDefaults,
  );
}

/**
 * An embedded Paylens server (PGlite, in-process velocity: DATABASE_URL and REDIS_URL cleared) on a new
 * data directory and a free port, answering /health/live; `stop` ends it and removes the directory.
 */
export async function startEmbeddedPaylens(
  tag: string,
  env: Record<string, string>,
): Promise<{ base: string; child: ChildProcess; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `paylens-bench-${tag}-`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = startPaylens({
    PORT: String(port),
    HOST: '127.0.0.1',
    PAYLENS_DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    DATABASE_URL: '',
    REDIS_URL: '',
    ...env,
  });
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`${base}/health/live`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, child, stop };
}

/** A file at the repository's root, from dist/bench/lib.js next to dist/src or from bench/lib.ts. */
function rootFile(name: string): string {
  const built = existsSync(fileURLToPath(new URL('../src/entrypoints/server.js', import.meta.url)));
  return readFileSync(new URL(built ? `../../${name}` : `../${name}`, import.meta.url), 'utf8');
}

/**
 * The Node flags the server runs with where it is deployed, so the bench measures the process that
 * runs: on PostgreSQL the image's (the Dockerfile's CMD, as compose and Kubernetes run it), embedded
 * `npm start`'s (package.json).
 */
export function serverNodeFlags(store: 'postgres' | 'embedded'): string[] {
  if (store === 'postgres') {
    const cmd = /^CMD (\[.*\])$/m.exec(rootFile('Dockerfile'));
    const args = cmd ? (JSON.parse(cmd[1]!) as string[]) : [];
    return args.filter((a) => a.startsWith('--'));
  }
  const pkg = JSON.parse(rootFile('package.json')) as { scripts: { start: string } };
  const match = /\bnode ((?:--\S+ )*)dist\/src\/entrypoints\/server\.js/.exec(pkg.scripts.start);
  return match?.[1]?.split(' ').filter(Boolean) ?? [];
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
}

interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  headers: Record<string, string>;
  /** Builds a distinct body for each request. */
  body: () => string;
  /** Fixed request rate (req/s) instead of as-fast-as-possible. */
  overallRate?: number;
}

/**
 * Bodies made before the run instead of during it, so the load generator, which shares the cores
 * with the server, spends less of them; after `count`, bodies are made as needed.
 */
export function pregenerated<T>(make: () => T, count: number): () => T {
  const bodies = Array.from({ length: count }, make);
  let next = 0;
  return () => (next < bodies.length ? bodies[next++]! : make());
}

export async function runLoad(label: string, options: LoadOptions, pid?: number): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationSeconds,
    headers: options.headers,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => ({ ...req, body: options.body() }),
      },
    ],
  });
  return {
    label,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    perSecond: Math.round(result.requests.total / options.durationSeconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    peakRssMb: rssMb(pid, 'VmHWM'),
  };
}

export function printTable(title: string, rows: LoadResult[], ceiling?: LoadResult): void {
  console.log(`\n## ${title}`);
  console.log('| run | requests | non-2xx | req/s | p50 ms | p99 ms | peak RSS MB | vs ceiling |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const ratio = ceiling && ceiling.perSecond > 0 ? `${Math.round((r.perSecond / ceiling.perSecond) * 100)}%` : '';
    console.log(
      `| ${r.label} | ${r.requests} | ${r.non2xx + r.errors} | ${r.perSecond} | ${r.p50} | ${r.p99} | ${r.peakRssMb ?? '?'} | ${ratio} |`,
    );
  }
}

let sequence = 0;
/** A distinct Stripe charge.succeeded event per call, so every request is a new durable write. */
export function distinctStripeEvent(tag: string): Record<string, unknown> {
  const n = ++sequence;
  return {
    id: `evt_${tag}${process.pid}x${n}`,
    object: 'event',
    type: 'charge.succeeded',
    created: 1732440000 + (n % 86400),
    livemode: false,
    data: {
      object: {
        id: `ch_${tag}${n}`,
        object: 'charge',
        amount: 1000 + (n % 5000),
        currency: 'usd',
        captured: true,
        status: 'succeeded',
        payment_intent: `pi_${tag}${n}`,
        customer: `cus_${n % 1000}`,
        billing_details: { email: `buyer${n % 1000}@example.com` },
        payment_method_details: {
          type: 'card',
          card: { brand: 'visa', country: 'US', last4: '4242', funding: 'credit' },
        },
        outcome: { type: 'authorized', network_status: 'approved_by_network', risk_level: 'normal' },
        metadata: { order: `o-${n}` },
      },
    },
  };
}

/** The q-quantile (0–1) of an ascending array; NaN when empty. */
export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

type PacedOptions = Omit<LoadOptions, 'connections' | 'overallRate'> & {
  /** Requests per second, sent evenly spaced (one every 1000/rate ms), whatever the answers' pace. */
  rate: number;
};

/**
 * Open-loop load at a steady rate: each request has a due time and its latency runs from that due
 * time, so a stalled server is charged for the requests it held up (no coordinated omission).
 * autocannon's `overallRate` instead fires each connection's whole per-second quota at the start of
 * every second, which measures bursts of 1,000 requests, not a steady 1,000 req/s.
 */
export async function runPaced(label: string, options: PacedOptions, pid?: number): Promise<LoadResult> {
  const { request, Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const url = new URL(options.url);
  const interval = 1000 / options.rate;
  const total = Math.round(options.rate * options.durationSeconds);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let done = 0;
  const start = performance.now() + 10;
  await new Promise<void>((resolve) => {
    const send = (due: number) => {
      const body = options.body();
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { ...options.headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - due);
            if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode >= 300) non2xx++;
            if (++done === total) resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        if (++done === total) resolve();
      });
      req.end(body);
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) send(start + sent++ * interval);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    setTimeout(tick, 10);
  });
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round(percentile(latencies, p) * 10) / 10;
  return {
    label,
    requests: done - errors,
    non2xx,
    errors,
    perSecond: Math.round((done - errors) / seconds),
    p50: q(0.5),
    p99: q(0.99),
    peakRssMb: rssMb(pid, 'VmHWM'),
  };
}
