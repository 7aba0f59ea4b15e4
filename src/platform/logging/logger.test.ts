import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** One log line written by createLogger in a fresh process whose stdout is a pipe, as under a log collector. */
async function logLine(env: Record<string, string>): Promise<string> {
  const script =
    "const { createLogger } = await import('./src/platform/logging/logger.ts'); createLogger('info').info({ port: 8080 }, 'paylens ready');";
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return stdout.trim();
}

describe('log format', () => {
  it('is one JSON object per line when stdout is not a terminal (auto) or when LOG_FORMAT=json', async () => {
    for (const format of ['auto', 'json']) {
      const line = await logLine({ LOG_FORMAT: format });
      expect(JSON.parse(line)).toMatchObject({ level: 30, msg: 'paylens ready', port: 8080, service: 'paylens' });
    }
  });

  it('is a readable line with LOG_FORMAT=pretty', async () => {
    const line = await logLine({ LOG_FORMAT: 'pretty', NO_COLOR: '1' });
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: paylens ready\n\s+port: 8080$/);
  });
});
