import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createContainer } from '../../src/container.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { runCli } from './run-cli.js';

describe('paylens CLI: tenants and keys against the embedded store', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paylens-cli-'));
  const env = { PAYLENS_DATA_DIR: dataDir };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('migrates, creates a tenant and a key, and revokes it; the server honours all of it', async () => {
    const migrate = await runCli(['migrate'], env);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain('pglite');

    const tenant = await runCli(['tenants', 'create', 'acme', '--json'], env);
    expect(tenant.code, tenant.stderr).toBe(0);
    const created = JSON.parse(tenant.stdout);
    expect(created.apiKey).toMatch(/^pl_/);

    const key = await runCli(['keys', 'create', '--tenant', 'acme', '--json'], env);
    expect(key.code, key.stderr).toBe(0);
    const issued = JSON.parse(key.stdout);
    expect(issued).toMatchObject({
      tenant: 'acme',
      id: expect.stringMatching(/^key_/),
      apiKey: expect.stringMatching(/^pl_/),
    });

    const duplicate = await runCli(['tenants', 'create', 'acme'], env);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toContain('exists');

    const revoke = await runCli(['keys', 'revoke', issued.id], env);
    expect(revoke.code, revoke.stderr).toBe(0);
    const missing = await runCli(['keys', 'create', '--tenant', 'nobody'], env);
    expect(missing.code).not.toBe(0);

    const container = await createContainer(loadConfig({ PAYLENS_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
    const app = await buildApp(container, { logger: false });
    try {
      const ok = await app.inject({
        method: 'GET',
        url: '/v1/events',
        headers: { authorization: `Bearer ${created.apiKey}` },
      });
      expect(ok.statusCode).toBe(200);
      const revoked = await app.inject({
        method: 'GET',
        url: '/v1/events',
        headers: { authorization: `Bearer ${issued.apiKey}` },
      });
      expect(revoked.statusCode).toBe(401);
    } finally {
      await app.close();
      await container.close();
    }
  }, 180_000);

  it('fails fast on bad configuration, naming the variable', async () => {
    const result = await runCli(['migrate'], { ...env, PORT: 'not-a-port' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PORT');
  });
});
