import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, stopProcessGroup } from '../harness/processes.js';

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
    stop: () => stopProcessGroup(child, 'SIGKILL'),
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
