import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findHaproxy, freePort } from './processes.js';

export interface HaproxyHandle {
  /** The load balancer's address, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Each backend server's state as HAProxy sees it (UP, DOWN, …), by name. */
  states(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * A real HAProxy in front of API processes on loopback, its configuration generated in a temporary
 * directory: round robin, readiness checks on /health/ready every 500 ms (down after 2 failures, up
 * after 2 successes), a failed connection or an empty answer retried once on another server (safe
 * for ingest: an event id is stored once however often it is sent). A stats page in CSV tells the
 * test which servers HAProxy counts as up.
 */
export async function startHaproxy(backends: { name: string; port: number }[]): Promise<HaproxyHandle> {
  const binary = findHaproxy();
  if (!binary) throw new Error('haproxy not found (apt-get install haproxy)');
  const dir = mkdtempSync(join(tmpdir(), 'paylens-haproxy-'));
  const port = await freePort();
  const statsPort = await freePort();
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(
    file,
    [
      'global',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  timeout http-request 10s',
      '  retries 1',
      '  option redispatch',
      '  retry-on conn-failure empty-response',
      'frontend api',
      `  bind 127.0.0.1:${port}`,
      '  default_backend apis',
      'backend apis',
      '  balance roundrobin',
      '  option httpchk GET /health/ready',
      '  http-check expect status 200',
      '  default-server inter 500 fall 2 rise 2',
      ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`),
      'frontend stats',
      `  bind 127.0.0.1:${statsPort}`,
      '  stats enable',
      '  stats uri /stats',
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn(binary, ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const statsUrl = `http://127.0.0.1:${statsPort}/stats;csv`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const states = async () => {
    const csv = await (await fetch(statsUrl)).text();
    const rows = csv.split('\n').map((line) => line.split(','));
    const header = rows[0]!.map((h) => h.replace(/^# /, ''));
    const [px, sv, status] = ['pxname', 'svname', 'status'].map((h) => header.indexOf(h));
    return Object.fromEntries(
      rows.filter((r) => r[px!] === 'apis' && r[sv!] !== 'BACKEND' && r[sv!]).map((r) => [r[sv!]!, r[status!]!]),
    );
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`haproxy exited: ${output}`);
    }
    const up = await states().then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${port}`, states, stop };
}
