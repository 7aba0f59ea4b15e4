import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  findPostgresBin,
  freePort,
  postgresCommand,
  postgresServerArgs,
  stopProcessGroup,
  type RunningProcess,
} from './processes.js';

/**
 * A streaming replica of the PostgreSQL at `primaryUrl` (a harness cluster: trust authentication,
 * wal_level replica and initdb's `host replication` line for loopback), made as an operator would:
 * `pg_basebackup -R` (which writes standby.signal and primary_conninfo), then the server started on
 * another loopback port. As root, the copy is made and run by the unprivileged `postgres` user.
 */
export async function startReplica(primaryUrl: string): Promise<RunningProcess> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found (apt-get install postgresql)');
  const primary = new URL(primaryUrl);
  const dir = mkdtempSync(join(tmpdir(), 'paylens-pg-replica-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const command = postgresCommand(bin);

  const [backupCmd, backupArgs] = command('pg_basebackup', [
    '-h',
    primary.hostname,
    '-p',
    primary.port,
    '-U',
    decodeURIComponent(primary.username),
    '-D',
    dataDir,
    '-R',
    '-X',
    'stream',
    '--checkpoint=fast',
    '--no-sync',
  ]);
  const backup = spawnSync(backupCmd, backupArgs, { encoding: 'utf8' });
  if (backup.status !== 0) throw new Error(`pg_basebackup failed: ${backup.stderr || backup.stdout}`);

  const [cmd, args] = command('postgres', [
    ...postgresServerArgs(dataDir, port, dir),
    '-c',
    'hot_standby=on',
    '-c',
    'fsync=off',
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `postgres://${primary.username}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`replica exited: ${stderr}`);
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      await client.end();
      if (rows[0]?.standby) break;
      throw new Error('the copy is not a standby');
    } catch (error) {
      await client.end().catch(() => undefined);
      if (error instanceof Error && error.message === 'the copy is not a standby') throw error;
      if (Date.now() > deadline) throw new Error(`replica did not start within 30 s: ${stderr}`, { cause: error });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: async () => {
      await stopProcessGroup(child, 'SIGINT');
      spawnSync('rm', ['-rf', dir]);
    },
  };
}
