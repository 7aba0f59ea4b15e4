import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

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

/** Peak resident set size of a process (VmHWM), read from /proc. */
export function peakRssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
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

export function startNode(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  headers: Record<string, string>;
  /** Builds a distinct body for each request. */
  body: () => string;
  /** Fixed request rate (req/s) instead of as-fast-as-possible. */
  overallRate?: number;
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
    peakRssMb: peakRssMb(pid),
  };
}

export function printTable(title: string, rows: LoadResult[], ceiling?: LoadResult): void {
  console.log(`\n## ${title}`);
  console.log('| run | requests | non-2xx | req/s | p50 ms | p99 ms | peak RSS MB | vs ceiling |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const ratio = ceiling && ceiling.perSecond > 0 ? `${Math.round((r.perSecond / ceiling.perSecond) * 100)}%` : '';
    console.log(`| ${r.label} | ${r.requests} | ${r.non2xx + r.errors} | ${r.perSecond} | ${r.p50} | ${r.p99} | ${r.peakRssMb ?? '?'} | ${ratio} |`);
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
        payment_method_details: { type: 'card', card: { brand: 'visa', country: 'US', last4: '4242', funding: 'credit' } },
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
