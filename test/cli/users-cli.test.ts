import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createContainer } from '../../src/container.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { createPostgresDatabase, storeKinds } from '../harness/stores.js';
import { runCli } from './run-cli.js';

const PUBLIC_URL = 'https://paylens.example.com';
const PASSWORD = 'correct horse battery staple';

describe.each(storeKinds())('paylens users on %s', { timeout: 600_000 }, (store) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paylens-users-cli-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("invites a new tenant's first owner, who accepts and signs in; lists users; refuses what it cannot do", async () => {
    const env: Record<string, string> =
      store === 'postgres' ? { DATABASE_URL: await createPostgresDatabase() } : { PAYLENS_DATA_DIR: dataDir };
    const created = await runCli(['tenants', 'create', 'acme', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const apiKey = JSON.parse(created.stdout).apiKey as string;
    const empty = await runCli(['users', 'list', '--tenant', 'acme', '--json'], env);
    expect(empty.code, empty.stderr).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual([]);

    const started = Date.now();
    const invited = await runCli(
      ['users', 'invite', '--tenant', 'acme', '--email', 'Owner@Acme.test', '--role', 'owner', '--json'],
      { ...env, PAYLENS_PUBLIC_URL: PUBLIC_URL },
    );
    const finished = Date.now();
    expect(invited.code, invited.stderr).toBe(0);
    const body = JSON.parse(invited.stdout);
    expect(body).toMatchObject({
      tenant: 'acme',
      user: { id: expect.stringMatching(/^usr_/), email: 'owner@acme.test', role: 'owner', status: 'invited' },
      invitation: { token: expect.stringMatching(/^inv_/) },
    });
    expect(body.invitation.url).toBe(`${PUBLIC_URL}/accept-invitation#token=${body.invitation.token}`);
    // INVITATION_TTL_HOURS defaults to 72, counted from when the command ran.
    const expiresAt = new Date(body.invitation.expiresAt).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(started + 72 * 3_600_000);
    expect(expiresAt).toBeLessThanOrEqual(finished + 72 * 3_600_000);

    const text = await runCli(
      ['users', 'invite', '--tenant', 'acme', '--email', 'ana@acme.test', '--role', 'analyst'],
      env,
    );
    expect(text.code, text.stderr).toBe(0);
    const token = /^token: (inv_\S+)$/m.exec(text.stdout)?.[1];
    expect(token).toBeDefined();
    expect(text.stdout).toContain(`/accept-invitation#token=${token}`);
    expect(text.stdout).toMatch(/^expires: \d{4}-\d\d-\d\dT/m);

    const reinvited = await runCli(
      ['users', 'reinvite', '--tenant', 'acme', '--email', 'ANA@acme.test', '--json'],
      env,
    );
    expect(reinvited.code, reinvited.stderr).toBe(0);
    const anaToken = JSON.parse(reinvited.stdout).invitation.token as string;
    expect(anaToken).not.toBe(token);

    const duplicate = await runCli(
      ['users', 'invite', '--tenant', 'acme', '--email', 'ana@acme.test', '--role', 'viewer'],
      env,
    );
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('already a user');
    const badRole = await runCli(
      ['users', 'invite', '--tenant', 'acme', '--email', 'x@acme.test', '--role', 'god'],
      env,
    );
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('--role');
    const badEmail = await runCli(
      ['users', 'invite', '--tenant', 'acme', '--email', 'nobody', '--role', 'viewer'],
      env,
    );
    expect(badEmail.code).toBe(2);
    const noTenant = await runCli(['users', 'list', '--tenant', 'nobody'], env);
    expect(noTenant.code).toBe(1);
    expect(noTenant.stderr).toContain('no tenant named nobody');

    const container = await createContainer(loadConfig({ LOG_LEVEL: 'silent', ...env }));
    const app = await buildApp(container, { logger: false });
    try {
      const accepted = await app.inject({
        method: 'POST',
        url: '/v1/auth/invitations/accept',
        payload: { token: body.invitation.token, password: PASSWORD },
      });
      expect(accepted.statusCode, accepted.body).toBe(200);
      const cookie = String(accepted.headers['set-cookie']).split(';')[0]!;
      const csrf = accepted.json().csrfToken as string;
      const me = await app.inject({ method: 'GET', url: '/v1/me', headers: { cookie } });
      expect(me.json().user).toMatchObject({ email: 'owner@acme.test', role: 'owner', status: 'active' });
      // A real owner: only an owner may invite another one.
      const second = await app.inject({
        method: 'POST',
        url: '/v1/users',
        headers: { cookie, 'x-csrf-token': csrf },
        payload: { email: 'second-owner@acme.test', role: 'owner' },
      });
      expect(second.statusCode, second.body).toBe(201);

      // The reinvitation replaced Ana's first link.
      const stale = await app.inject({
        method: 'POST',
        url: '/v1/auth/invitations/accept',
        payload: { token, password: PASSWORD },
      });
      expect(stale.statusCode).toBe(404);
      const ana = await app.inject({
        method: 'POST',
        url: '/v1/auth/invitations/accept',
        payload: { token: anaToken, password: PASSWORD },
      });
      expect(ana.statusCode, ana.body).toBe(200);

      const audit = await app.inject({
        method: 'GET',
        url: '/v1/audit?action=user.invite',
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const byCli = (audit.json().data as Array<{ actor: string; details: Record<string, unknown> }>).filter(
        (e) => e.actor === 'cli',
      );
      expect(byCli).toHaveLength(2);
      expect(byCli.map((e) => e.details.email).sort()).toEqual(['ana@acme.test', 'owner@acme.test']);
      expect(byCli[0]!.details).toMatchObject({ actorType: 'cli', clientAddress: null });
    } finally {
      await app.close();
      await container.close();
    }

    const listed = await runCli(['users', 'list', '--tenant', 'acme'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.find((l) => l.includes('owner@acme.test'))).toMatch(/\towner\tactive\t/);
    expect(lines.find((l) => l.includes('ana@acme.test'))).toMatch(/\tanalyst\tactive\t/);
    const joined = await runCli(['users', 'reinvite', '--tenant', 'acme', '--email', 'ana@acme.test'], env);
    expect(joined.code).toBe(1);
    expect(joined.stderr).toContain('ana@acme.test is active');
  });
});
