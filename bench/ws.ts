/**
 * Live-feed fan-out: N WebSocket clients of one tenant (BENCH_WS_CLIENTS, default 10,000) on one
 * embedded server; each broadcast is a real event POSTed to the API, timed from the POST to its
 * arrival at every client. Prints p50/p99 latency, fan-out spread and the server's RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { freePort } from '../test/harness/processes.js';
import { distinctStripeEvent, percentile, rssMb, startPaylens, stopProcess, waitForHttp } from './lib.js';

const KEY = `pl_${'w'.repeat(43)}`;

export async function run(): Promise<void> {
  const clients = Number(process.env.BENCH_WS_CLIENTS ?? 10_000);
  const broadcasts = Number(process.env.BENCH_WS_BROADCASTS ?? 20);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'paylens-bench-ws-'));
  const server = startPaylens({
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    PAYLENS_DATA_DIR: dataDir,
    PAYLENS_BOOTSTRAP_API_KEY: KEY,
    RUN_WORKER_IN_SERVER: 'false',
  });
  const sockets: WebSocket[] = [];
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health/live`);
    const idleRss = rssMb(server.pid, 'VmRSS');

    // Every client records when it saw each marker; a plain substring test keeps client-side cost low.
    const arrivals = new Map<string, number[]>();
    const connectStarted = performance.now();
    for (let i = 0; i < clients; i += 250) {
      const batch = Array.from(
        { length: Math.min(250, clients - i) },
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${KEY}`);
            socket.on('message', (raw: Buffer) => {
              const at = performance.now();
              const text = raw.toString();
              if (text.startsWith('{"type":"ready"')) return resolve(socket);
              const match = /"providerEventId":"(evt_wsbench[^"]+)"/.exec(text);
              if (match) arrivals.get(match[1]!)?.push(at);
            });
            socket.on('error', reject);
          }),
      );
      sockets.push(...(await Promise.all(batch)));
    }
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const connectedRss = rssMb(server.pid, 'VmRSS');

    const latencies: number[] = [];
    const spreads: number[] = [];
    let delivered = 0;
    for (let n = 0; n < broadcasts + 2; n++) {
      const event = distinctStripeEvent('wsbench');
      const id = String(event.id);
      const body = JSON.stringify(event);
      const list: number[] = [];
      arrivals.set(id, list);
      const sent = performance.now();
      const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      const deadline = Date.now() + 30_000;
      while (list.length < clients && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      // The first two broadcasts warm the JIT and connection pools.
      if (n < 2) continue;
      delivered += list.length;
      for (const at of list) latencies.push(at - sent);
      if (list.length > 0) spreads.push(Math.max(...list) - Math.min(...list));
      arrivals.delete(id);
    }
    latencies.sort((a, b) => a - b);
    spreads.sort((a, b) => a - b);

    console.log(`\n## Live feed fan-out (WebSocket)`);
    console.log(
      `${clients} clients of one tenant on one embedded server; ${broadcasts} events POSTed one after another; latency = POST sent → event received by a client (includes the durable write).`,
    );
    console.log('');
    console.log(
      '| clients | deliveries | latency p50 | latency p99 | fan-out spread p50 (first→last client) | connect time | server RSS idle → connected (peak) |',
    );
    console.log('|---:|---:|---:|---:|---:|---:|---:|');
    console.log(
      `| ${clients} | ${delivered}/${clients * broadcasts} | ${percentile(latencies, 0.5).toFixed(1)} ms | ${percentile(latencies, 0.99).toFixed(1)} ms | ${percentile(spreads, 0.5).toFixed(1)} ms | ${connectSeconds.toFixed(1)} s | ${idleRss} → ${connectedRss} MB (${rssMb(server.pid, 'VmHWM')} MB) |`,
    );
  } finally {
    for (const s of sockets) s.terminate();
    await stopProcess(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
