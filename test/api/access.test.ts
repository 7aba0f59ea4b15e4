import { Secret, TOTP } from 'otpauth';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { createContainer } from '../../src/container.js';
import type { App } from '../../src/platform/http/types.js';
import { callApi, configFor, type TestApp } from '../harness/app.js';
import { storeKinds, type StoreKind } from '../harness/stores.js';

const PASSWORD = 'correct horse battery staple';
const ENCRYPTION_KEY = 'ab'.repeat(32);

/** A test app whose clock the test moves (session timeouts, lockout windows). */
async function appWithClock(store: StoreKind) {
  let now = Date.now();
  // The per-address limit on failed authentications (20 a minute) is lifted: the per-account lockout is under test.
  const env = { PAYLENS_ENCRYPTION_KEY: ENCRYPTION_KEY, RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '100000' };
  const container = await createContainer(await configFor(store, env), {
    clock: () => new Date(now),
  });
  const app = await buildApp(container, { logger: false });
  await app.ready();
  const tenant = (await container.tenants.create('acme'))!;
  const issued = await container.apiKeys.issue(tenant.id, 'admin key');
  const t: TestApp = {
    app,
    container,
    apiKey: issued.secret,
    tenantId: tenant.id,
    newTenant: async () => {
      throw new Error('not used');
    },
    close: async () => {
      await app.close();
      await container.close();
    },
  };
  return { t, advance: (ms: number) => (now += ms), now: () => now };
}

interface Session {
  cookie: string;
  csrf: string;
  userId: string;
}

function sessionCookie(setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie.find((c) => c.startsWith('paylens_session=')) : setCookie;
  if (!header) throw new Error('no session cookie');
  return header.split(';')[0]!;
}

async function invite(t: TestApp, email: string, role: string): Promise<{ userId: string; token: string }> {
  const res = await callApi(t, 'POST', '/v1/users', { email, role });
  expect(res.statusCode).toBe(201);
  const body = res.json();
  return { userId: body.user.id, token: body.invitation.token };
}

async function accept(app: App, token: string, password = PASSWORD): Promise<Session> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/invitations/accept',
    payload: { token, password },
    headers: { 'user-agent': 'access-test' },
  });
  expect(res.statusCode).toBe(200);
  return { cookie: sessionCookie(res.headers['set-cookie']), csrf: res.json().csrfToken, userId: res.json().user.id };
}

async function login(app: App, email: string, password = PASSWORD, totp?: string) {
  return app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { tenant: 'acme', email, password, ...(totp ? { totp } : {}) },
    headers: { 'user-agent': 'access-test' },
  });
}

function asUser(
  app: App,
  s: Session,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  url: string,
  payload?: unknown,
) {
  return app.inject({
    method,
    url,
    headers: {
      cookie: s.cookie,
      'x-csrf-token': s.csrf,
      'user-agent': 'access-test',
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
}

async function people(t: TestApp, prefix: string) {
  const sessions: Record<string, Session> = {};
  for (const role of ['viewer', 'analyst', 'admin', 'owner'] as const) {
    const { token } = await invite(t, `${prefix}-${role}@acme.test`, role);
    sessions[role] = await accept(t.app, token);
  }
  return sessions as Record<'viewer' | 'analyst' | 'admin' | 'owner', Session>;
}

describe.each(storeKinds())('team access (%s)', (store) => {
  let t: TestApp;
  let advance: (ms: number) => number;
  let now: () => number;

  beforeAll(async () => {
    ({ t, advance, now } = await appWithClock(store));
  }, 120_000);
  afterAll(async () => t?.close());

  it('invites a user, who accepts with a policy-abiding password and is signed in by an httpOnly cookie', async () => {
    const res = await callApi(t, 'POST', '/v1/users', { email: 'Ana@Acme.test', role: 'analyst' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user).toMatchObject({ email: 'ana@acme.test', role: 'analyst', status: 'invited' });
    expect(body.invitation.url).toContain(body.invitation.token);
    expect(new Date(body.invitation.expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect((await callApi(t, 'POST', '/v1/users', { email: 'ana@acme.test', role: 'viewer' })).statusCode).toBe(409);

    const weak = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/invitations/accept',
      payload: { token: body.invitation.token, password: 'short' },
    });
    expect(weak.statusCode).toBe(422);
    const named = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/invitations/accept',
      payload: { token: body.invitation.token, password: 'my name is ana!!' },
    });
    expect(named.statusCode).toBe(422);

    const accepted = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/invitations/accept',
      payload: { token: body.invitation.token, password: PASSWORD },
    });
    expect(accepted.statusCode).toBe(200);
    const setCookie = String(accepted.headers['set-cookie']);
    expect(setCookie).toMatch(/^paylens_session=/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure');
    // An invitation is used once.
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/invitations/accept',
      payload: { token: body.invitation.token, password: PASSWORD },
    });
    expect(again.statusCode).toBe(404);

    const session = {
      cookie: sessionCookie(accepted.headers['set-cookie']),
      csrf: accepted.json().csrfToken,
      userId: body.user.id,
    };
    const me = await asUser(t.app, session, 'GET', '/v1/me');
    expect(me.json()).toMatchObject({
      kind: 'user',
      user: { email: 'ana@acme.test', role: 'analyst', status: 'active' },
      csrfToken: session.csrf,
    });
    expect(me.json().permissions).toEqual(expect.arrayContaining(['view', 'label', 'dead_letters']));
    expect(me.json().permissions).not.toContain('configure');
  });

  it('invites again a user who has not joined: the new link works and the earlier one no longer does', async () => {
    const acceptWith = (token: string) =>
      t.app.inject({ method: 'POST', url: '/v1/auth/invitations/accept', payload: { token, password: PASSWORD } });
    const first = await invite(t, 'late@acme.test', 'viewer');
    const again = await callApi(t, 'POST', `/v1/users/${first.userId}/invitation`);
    expect(again.statusCode).toBe(201);
    expect(again.json().user).toMatchObject({ id: first.userId, email: 'late@acme.test', status: 'invited' });
    expect(again.json().invitation.url).toContain(again.json().invitation.token);
    expect((await acceptWith(first.token)).statusCode).toBe(404);

    // An expired invitation is replaced the same way.
    const expired = await invite(t, 'later@acme.test', 'analyst');
    advance(73 * 3_600_000);
    expect((await acceptWith(expired.token)).statusCode).toBe(404);
    const renewed = await callApi(t, 'POST', `/v1/users/${expired.userId}/invitation`);
    expect(renewed.statusCode).toBe(201);
    const joined = await accept(t.app, renewed.json().invitation.token);
    expect((await asUser(t.app, joined, 'GET', '/v1/me')).json().user).toMatchObject({ role: 'analyst' });
    expect((await callApi(t, 'POST', `/v1/users/${expired.userId}/invitation`)).json()).toMatchObject({
      status: 409,
      code: 'conflict',
    });
    expect((await callApi(t, 'POST', '/v1/users/usr_missing/invitation')).statusCode).toBe(404);

    // Only an owner invites an owner again.
    const pendingOwner = await invite(t, 'owner-late@acme.test', 'owner');
    const admin = await accept(t.app, (await invite(t, 'reinviter@acme.test', 'admin')).token);
    expect((await asUser(t.app, admin, 'POST', `/v1/users/${pendingOwner.userId}/invitation`)).statusCode).toBe(403);
    expect((await asUser(t.app, admin, 'POST', `/v1/users/${first.userId}/invitation`)).statusCode).toBe(201);

    const audit = (await callApi(t, 'GET', '/v1/audit?action=user.reinvite')).json().data as Array<{
      actor: string;
      target: string;
      details: Record<string, unknown>;
    }>;
    expect(audit.map((e) => e.target).sort()).toEqual([first.userId, first.userId, expired.userId].sort());
    expect(audit.find((e) => e.actor === admin.userId)?.details).toMatchObject({
      actorType: 'user',
      email: 'late@acme.test',
      clientAddress: '127.0.0.1',
      userAgent: 'access-test',
    });
  });

  it('sets Secure on the cookie over HTTPS (behind a trusted proxy)', async () => {
    const config = await configFor(store, { TRUSTED_PROXIES: '127.0.0.1' });
    const container = await createContainer(config);
    const app = await buildApp(container, { logger: false });
    try {
      const tenant = (await container.tenants.create('acme'))!;
      const key = (await container.apiKeys.issue(tenant.id, 'k')).secret;
      const made = await app.inject({
        method: 'POST',
        url: '/v1/users',
        headers: { authorization: `Bearer ${key}` },
        payload: { email: 'secure@acme.test', role: 'viewer' },
      });
      const res = await app.inject({
        method: 'POST',
        url: '/v1/auth/invitations/accept',
        headers: { 'x-forwarded-proto': 'https' },
        payload: { token: made.json().invitation.token, password: PASSWORD },
      });
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['set-cookie'])).toContain('Secure');
    } finally {
      await app.close();
      await container.close();
    }
  }, 120_000);

  it('gives each role what its permissions say, and nothing more', async () => {
    const s = await people(t, 'roles');
    const expectStatus = async (
      session: Session,
      method: 'GET' | 'POST' | 'DELETE' | 'PUT',
      url: string,
      body?: unknown,
    ) => (await asUser(t.app, session, method, url, body)).statusCode;

    for (const role of ['viewer', 'analyst', 'admin', 'owner'] as const) {
      expect(await expectStatus(s[role], 'GET', '/v1/events?limit=1')).toBe(200);
      expect(await expectStatus(s[role], 'GET', '/v1/analytics/summary')).toBe(200);
    }
    // Replays and raw payloads: analyst and up. A 404 means the permission check passed.
    expect(await expectStatus(s.viewer, 'POST', '/v1/dead-letters/raw_missing/replay')).toBe(403);
    expect(await expectStatus(s.analyst, 'POST', '/v1/dead-letters/raw_missing/replay')).toBe(404);
    expect(await expectStatus(s.viewer, 'GET', '/v1/raw-events/raw_missing')).toBe(403);
    expect(await expectStatus(s.analyst, 'GET', '/v1/raw-events/raw_missing')).toBe(404);
    // Labels and lists: analyst and up.
    const label = { transactionId: 'tx-none', label: 'fraud' };
    expect(await expectStatus(s.viewer, 'POST', '/v1/risk/labels', label)).toBe(403);
    expect(await expectStatus(s.analyst, 'POST', '/v1/risk/labels', label)).not.toBe(403);
    const entry = { type: 'ip', value: '203.0.113.9', action: 'block', reason: 'test' };
    expect(await expectStatus(s.viewer, 'POST', '/v1/lists', entry)).toBe(403);
    expect(await expectStatus(s.analyst, 'POST', '/v1/lists', entry)).toBe(201);
    // Rules, keys, users, audit: admin and up.
    for (const url of ['/v1/api-keys', '/v1/users', '/v1/audit']) {
      expect(await expectStatus(s.analyst, 'GET', url)).toBe(403);
      expect(await expectStatus(s.admin, 'GET', url)).toBe(200);
    }
    expect(await expectStatus(s.admin, 'GET', '/v1/risk/rules')).toBe(200);
    expect(await expectStatus(s.analyst, 'PUT', '/v1/risk/rules', {})).toBe(403);
    const denied = await asUser(t.app, s.analyst, 'POST', '/v1/api-keys', { name: 'x' });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ code: 'forbidden', requiredPermission: 'api_keys' });
    // An admin's key has the scopes asked for.
    const key = await asUser(t.app, s.admin, 'POST', '/v1/api-keys', { name: 'from admin', scopes: ['read'] });
    expect(key.statusCode).toBe(201);
    expect(key.json().apiKey.scopes).toEqual(['read']);
    // Only machines ingest and score.
    expect(await expectStatus(s.owner, 'POST', '/v1/events', { id: 'x' })).toBe(403);
    // Only an owner makes an owner.
    expect(
      (await asUser(t.app, s.admin, 'POST', '/v1/users', { email: 'o2@acme.test', role: 'owner' })).statusCode,
    ).toBe(403);
    expect(
      (await asUser(t.app, s.owner, 'POST', '/v1/users', { email: 'o2@acme.test', role: 'owner' })).statusCode,
    ).toBe(201);

    // Their changes are audited under their own names, with where they came from.
    const entries = (await callApi(t, 'GET', '/v1/audit?limit=200')).json().data as Array<{
      actor: string;
      action: string;
      details: Record<string, unknown>;
    }>;
    const seen = { actorType: 'user', clientAddress: '127.0.0.1', userAgent: 'access-test' };
    expect(entries.find((e) => e.action === 'list_entry.add' && e.actor === s.analyst.userId)?.details).toMatchObject(
      seen,
    );
    expect(entries.find((e) => e.action === 'api_key.create' && e.actor === s.admin.userId)?.details).toMatchObject(
      seen,
    );
    expect(entries.find((e) => e.action === 'user.invite' && e.actor === s.owner.userId)?.details).toMatchObject({
      ...seen,
      email: 'o2@acme.test',
      role: 'owner',
    });
  });

  it('refuses cookie-authenticated writes without the CSRF token or from another origin', async () => {
    const { token } = await invite(t, 'csrf@acme.test', 'admin');
    const s = await accept(t.app, token);
    const noToken = await t.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: { cookie: s.cookie, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'victim@acme.test', role: 'admin' }),
    });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().code).toBe('csrf_rejected');
    const wrongToken = await t.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: { cookie: s.cookie, 'x-csrf-token': 'nope', 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'victim@acme.test', role: 'admin' }),
    });
    expect(wrongToken.json().code).toBe('csrf_rejected');
    const otherOrigin = await t.app.inject({
      method: 'GET',
      url: '/v1/events',
      headers: { cookie: s.cookie, origin: 'https://evil.example' },
    });
    expect(otherOrigin.json().code).toBe('csrf_rejected');
    const users = (await callApi(t, 'GET', '/v1/users')).json().data as Array<{ email: string }>;
    expect(users.map((u) => u.email)).not.toContain('victim@acme.test');
  });

  it('signs in with a password, locks the account after 10 failures in 15 minutes, and audits it all', async () => {
    const { token, userId } = await invite(t, 'lock@acme.test', 'viewer');
    await accept(t.app, token);
    const ok = await login(t.app, 'lock@acme.test');
    expect(ok.statusCode).toBe(200);
    expect((await login(t.app, 'LOCK@acme.test', 'wrong password!!')).statusCode).toBe(401);
    expect((await login(t.app, 'nobody@acme.test')).statusCode).toBe(401);

    for (let i = 0; i < 9; i++)
      expect((await login(t.app, 'lock@acme.test', `wrong ${i} password`)).statusCode).toBe(401);
    const locked = await login(t.app, 'lock@acme.test');
    expect(locked.statusCode).toBe(429);
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    advance(retryAfter * 1000 + 1000);
    expect((await login(t.app, 'lock@acme.test')).statusCode).toBe(200);

    const audit = (await callApi(t, 'GET', `/v1/audit?actor=${userId}&limit=100`)).json().data as Array<{
      action: string;
      details: Record<string, unknown>;
    }>;
    const actions = audit.map((e) => e.action);
    expect(actions.filter((a) => a === 'auth.sign_in_failed').length).toBeGreaterThanOrEqual(11);
    expect(actions).toContain('auth.sign_in');
    expect(actions).toContain('invitation.accept');
    const failed = audit.find((e) => e.action === 'auth.sign_in_failed')!;
    expect(failed.details).toMatchObject({
      email: 'lock@acme.test',
      clientAddress: '127.0.0.1',
      userAgent: 'access-test',
    });
    expect(audit.some((e) => e.details.reason === 'locked')).toBe(true);
  });

  it('ends sessions after the idle and the absolute timeout', async () => {
    const { token } = await invite(t, 'idle@acme.test', 'viewer');
    const s = await accept(t.app, token);
    advance(29 * 60_000);
    expect((await asUser(t.app, s, 'GET', '/v1/me')).statusCode).toBe(200);
    advance(29 * 60_000);
    expect((await asUser(t.app, s, 'GET', '/v1/me')).statusCode).toBe(200);
    advance(31 * 60_000);
    expect((await asUser(t.app, s, 'GET', '/v1/me')).statusCode).toBe(401);

    const busy = await login(t.app, 'idle@acme.test');
    const b = { cookie: sessionCookie(busy.headers['set-cookie']), csrf: busy.json().csrfToken, userId: '' };
    // Used every 20 minutes it never idles out, and still ends 12 hours after sign-in.
    for (let step = 0; step < 35; step++) {
      advance(20 * 60_000);
      expect((await asUser(t.app, b, 'GET', '/v1/me')).statusCode).toBe(200);
    }
    advance(20 * 60_000 + 1000);
    expect((await asUser(t.app, b, 'GET', '/v1/me')).statusCode).toBe(401);
  });

  it('ends every session of a user at once on a role change or a disable, and on sign-out', async () => {
    const { token, userId } = await invite(t, 'change@acme.test', 'viewer');
    const s = await accept(t.app, token);
    const second = await login(t.app, 'change@acme.test');
    const s2 = { cookie: sessionCookie(second.headers['set-cookie']), csrf: second.json().csrfToken, userId };
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${userId}`,
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ role: 'analyst' }),
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json().role).toBe('analyst');
    expect((await asUser(t.app, s, 'GET', '/v1/me')).statusCode).toBe(401);
    expect((await asUser(t.app, s2, 'GET', '/v1/me')).statusCode).toBe(401);

    const again = await login(t.app, 'change@acme.test');
    const s3 = { cookie: sessionCookie(again.headers['set-cookie']), csrf: again.json().csrfToken, userId };
    expect((await asUser(t.app, s3, 'GET', '/v1/me')).json().user.role).toBe('analyst');
    const out = await asUser(t.app, s3, 'POST', '/v1/auth/logout');
    expect(out.statusCode).toBe(204);
    expect((await asUser(t.app, s3, 'GET', '/v1/me')).statusCode).toBe(401);

    const s4r = await login(t.app, 'change@acme.test');
    const s4 = { cookie: sessionCookie(s4r.headers['set-cookie']), csrf: s4r.json().csrfToken, userId };
    const disable = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${userId}`,
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ disabled: true }),
    });
    expect(disable.json().status).toBe('disabled');
    expect((await asUser(t.app, s4, 'GET', '/v1/me')).statusCode).toBe(401);
    expect((await login(t.app, 'change@acme.test')).statusCode).toBe(401);

    const audit = (await callApi(t, 'GET', `/v1/audit?limit=200`)).json().data as Array<{
      action: string;
      target: string;
      actor: string;
      details: Record<string, unknown>;
    }>;
    const mine = audit.filter((e) => e.target === userId).map((e) => e.action);
    expect(mine).toEqual(expect.arrayContaining(['user.invite', 'user.role_change', 'auth.sign_out', 'user.disable']));
    const roleChange = audit.find((e) => e.target === userId && e.action === 'user.role_change')!;
    expect(roleChange.details).toMatchObject({
      from: 'viewer',
      to: 'analyst',
      actorType: 'key',
      clientAddress: '127.0.0.1',
    });
    expect(audit.find((e) => e.target === userId && e.action === 'user.invite')!.details).toMatchObject({
      actorType: 'key',
      role: 'viewer',
      clientAddress: '127.0.0.1',
    });
    expect(audit.find((e) => e.target === userId && e.action === 'auth.sign_out')).toMatchObject({
      actor: userId,
      details: { actorType: 'user', clientAddress: '127.0.0.1', userAgent: 'access-test' },
    });
  });

  it('keeps a last active owner', async () => {
    const users = (await callApi(t, 'GET', '/v1/users')).json().data as Array<{
      id: string;
      role: string;
      status: string;
    }>;
    const owners = users.filter((u) => u.role === 'owner' && u.status !== 'disabled');
    for (const owner of owners.slice(1)) {
      await t.app.inject({
        method: 'PATCH',
        url: `/v1/users/${owner.id}`,
        headers: { authorization: `Bearer ${t.apiKey}` },
        payload: { disabled: true },
      });
    }
    const last = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${owners[0]!.id}`,
      headers: { authorization: `Bearer ${t.apiKey}` },
      payload: { role: 'admin' },
    });
    expect(last.statusCode).toBe(409);
  });

  it('adds a TOTP second factor with single-use recovery codes', async () => {
    const { token } = await invite(t, 'totp@acme.test', 'viewer');
    const s = await accept(t.app, token);
    const begin = await asUser(t.app, s, 'POST', '/v1/me/totp');
    expect(begin.statusCode).toBe(200);
    expect(begin.json().otpauthUrl).toMatch(/^otpauth:\/\/totp\//);
    const totp = new TOTP({ secret: Secret.fromBase32(begin.json().secret), period: 30, digits: 6 });
    // The server's clock is the test's: codes are made for its time.
    const at = () => totp.generate({ timestamp: now() });
    const wrong = at() === '000000' ? '111111' : '000000';
    expect((await asUser(t.app, s, 'POST', '/v1/me/totp/confirm', { code: wrong })).statusCode).toBe(422);
    const confirmed = await asUser(t.app, s, 'POST', '/v1/me/totp/confirm', { code: at() });
    expect(confirmed.statusCode).toBe(200);
    const codes = confirmed.json().recoveryCodes as string[];
    expect(codes).toHaveLength(10);

    const without = await login(t.app, 'totp@acme.test');
    expect(without.statusCode).toBe(401);
    expect(without.json().code).toBe('totp_required');
    // The confirming code's step is spent; the next step's code signs in, once.
    expect((await login(t.app, 'totp@acme.test', PASSWORD, at())).statusCode).toBe(401);
    advance(30_000);
    const code = at();
    expect((await login(t.app, 'totp@acme.test', PASSWORD, code)).statusCode).toBe(200);
    const replay = await login(t.app, 'totp@acme.test', PASSWORD, code);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe('totp_required');

    expect((await login(t.app, 'totp@acme.test', PASSWORD, codes[0])).statusCode).toBe(200);
    expect((await login(t.app, 'totp@acme.test', PASSWORD, codes[0])).statusCode).toBe(401);
    expect((await login(t.app, 'totp@acme.test', PASSWORD, codes[1])).statusCode).toBe(200);
    const user = (await callApi(t, 'GET', '/v1/users'))
      .json()
      .data.find((u: { email: string }) => u.email === 'totp@acme.test');
    expect(user.totp).toBe(true);
  });

  it('turns TOTP off and replaces the recovery codes only for the password or a current code, with failures counting toward the lockout', async () => {
    const { token, userId } = await invite(t, 'totp-off@acme.test', 'analyst');
    const s = await accept(t.app, token);
    const secret = (await asUser(t.app, s, 'POST', '/v1/me/totp')).json().secret as string;
    const totp = new TOTP({ secret: Secret.fromBase32(secret), period: 30, digits: 6 });
    const at = () => totp.generate({ timestamp: now() });
    const old = (await asUser(t.app, s, 'POST', '/v1/me/totp/confirm', { code: at() })).json()
      .recoveryCodes as string[];
    expect(old).toHaveLength(10);

    // Neither or both proofs, and a wrong password, change nothing.
    expect((await asUser(t.app, s, 'POST', '/v1/me/totp/recovery-codes', {})).statusCode).toBe(422);
    const both = await asUser(t.app, s, 'POST', '/v1/me/totp/recovery-codes', { password: PASSWORD, code: at() });
    expect(both.statusCode).toBe(422);
    const wrong = await asUser(t.app, s, 'POST', '/v1/me/totp/recovery-codes', { password: 'not my password' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'password' }] });

    const renewed = await asUser(t.app, s, 'POST', '/v1/me/totp/recovery-codes', { password: PASSWORD });
    expect(renewed.statusCode).toBe(200);
    const fresh = renewed.json().recoveryCodes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((c) => old.includes(c))).toEqual([]);
    expect((await login(t.app, 'totp-off@acme.test', PASSWORD, old[0])).statusCode).toBe(401);
    expect((await login(t.app, 'totp-off@acme.test', PASSWORD, fresh[0])).statusCode).toBe(200);
    // A current code proves it too, once.
    advance(30_000);
    const code = at();
    expect((await asUser(t.app, s, 'POST', '/v1/me/totp/recovery-codes', { code })).statusCode).toBe(200);
    const spent = await asUser(t.app, s, 'POST', '/v1/me/totp/recovery-codes', { code });
    expect(spent.statusCode).toBe(422);
    expect(spent.json().errors).toEqual([{ field: 'code', message: 'does not match the authenticator' }]);

    // Wrong passwords here lock the account as wrong passwords at sign-in do.
    advance(16 * 60_000);
    for (let i = 0; i < 10; i++)
      expect(
        (await asUser(t.app, s, 'POST', '/v1/me/totp/disable', { password: `wrong ${i} password` })).statusCode,
      ).toBe(422);
    const locked = await asUser(t.app, s, 'POST', '/v1/me/totp/disable', { password: PASSWORD });
    expect(locked.statusCode).toBe(429);
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect((await login(t.app, 'totp-off@acme.test', PASSWORD, fresh[1])).statusCode).toBe(429);
    advance(retryAfter * 1000 + 1000);

    const off = await asUser(t.app, s, 'POST', '/v1/me/totp/disable', { password: PASSWORD });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toMatchObject({ id: userId, totp: false });
    expect((await login(t.app, 'totp-off@acme.test')).statusCode).toBe(200);
    expect((await asUser(t.app, s, 'POST', '/v1/me/totp/disable', { password: PASSWORD })).statusCode).toBe(409);
    expect((await asUser(t.app, s, 'POST', '/v1/me/totp/recovery-codes', { password: PASSWORD })).statusCode).toBe(409);
    // A key has no second factor to change.
    const byKey = await callApi(t, 'POST', '/v1/me/totp/disable', { password: PASSWORD });
    expect(byKey.json()).toMatchObject({ status: 403, code: 'forbidden' });

    const audit = (await callApi(t, 'GET', `/v1/audit?actor=${userId}&limit=100`)).json().data as Array<{
      action: string;
      details: Record<string, unknown>;
    }>;
    const actions = audit.map((e) => e.action);
    expect(actions.filter((a) => a === 'user.recovery_codes_regenerate')).toHaveLength(2);
    expect(actions.filter((a) => a === 'user.totp_disable')).toHaveLength(1);
    const refusals = audit.filter((e) => e.action === 'auth.reauthentication_failed');
    expect(refusals.map((e) => e.details.reason).sort()).toEqual([
      'bad_code',
      ...Array<string>(11).fill('bad_password'),
      'locked',
    ]);
    expect(audit.find((e) => e.action === 'user.totp_disable')!.details).toMatchObject({
      actorType: 'user',
      email: 'totp-off@acme.test',
      clientAddress: '127.0.0.1',
      userAgent: 'access-test',
    });
  });

  it("records a raw payload view as data access with the viewer's identity", async () => {
    const posted = await callApi(t, 'POST', '/v1/events', stripeEvent('charge.succeeded', charge({ amount: 4242 })));
    const rawId = posted.json().rawEvent.id as string;
    const { token, userId } = await invite(t, 'reader@acme.test', 'analyst');
    const s = await accept(t.app, token);
    expect((await asUser(t.app, s, 'GET', `/v1/raw-events/${rawId}`)).statusCode).toBe(200);
    expect((await callApi(t, 'GET', `/v1/raw-events/${rawId}`)).statusCode).toBe(200);
    const views = (await callApi(t, 'GET', '/v1/audit?action=raw_event.view')).json().data as Array<{
      actor: string;
      target: string;
      details: Record<string, unknown>;
    }>;
    expect(views.map((v) => v.actor)).toEqual(expect.arrayContaining([userId]));
    const byUser = views.find((v) => v.actor === userId)!;
    expect(byUser.target).toBe(rawId);
    expect(byUser.details).toMatchObject({ actorType: 'user', email: 'reader@acme.test', userAgent: 'access-test' });
    expect(views.some((v) => v.details.actorType === 'key')).toBe(true);
    expect((await callApi(t, 'GET', '/v1/audit/verify')).json().valid).toBe(true);
  });

  it('closes a user’s live feed at once when their role changes', async () => {
    const { token, userId } = await invite(t, 'live@acme.test', 'viewer');
    const s = await accept(t.app, token);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    const socket = new WebSocket(`ws://127.0.0.1:${address.port}/ws`, ['paylens'], {
      headers: { cookie: s.cookie, origin: `http://127.0.0.1:${address.port}` },
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise<void>((resolve, reject) => {
      socket.on('message', (raw) => {
        if (JSON.parse(raw.toString()).type === 'ready') resolve();
      });
      socket.on('error', reject);
    });
    const started = Date.now();
    await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${userId}`,
      headers: { authorization: `Bearer ${t.apiKey}` },
      payload: { role: 'analyst' },
    });
    expect(await closed).toEqual({ code: 1008, reason: 'session ended' });
    expect(Date.now() - started).toBeLessThan(1000);

    // A page on another origin cannot ride the cookie into the feed.
    const fresh = sessionCookie((await login(t.app, 'live@acme.test')).headers['set-cookie']);
    const foreign = new WebSocket(`ws://127.0.0.1:${address.port}/ws`, ['paylens'], {
      headers: { cookie: fresh, origin: 'https://evil.example' },
    });
    const refused = await new Promise<number>((resolve) =>
      foreign.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(refused).toBe(403);

    // Disabling the user closes the feed of their new session as well.
    const again = new WebSocket(`ws://127.0.0.1:${address.port}/ws`, ['paylens'], {
      headers: { cookie: fresh, origin: `http://127.0.0.1:${address.port}` },
    });
    const againClosed = new Promise<{ code: number; reason: string }>((resolve) =>
      again.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise<void>((resolve, reject) => {
      again.on('message', (raw) => {
        if (JSON.parse(raw.toString()).type === 'ready') resolve();
      });
      again.on('error', reject);
    });
    const disabledAt = Date.now();
    const disable = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${userId}`,
      headers: { authorization: `Bearer ${t.apiKey}` },
      payload: { disabled: true },
    });
    expect(disable.statusCode).toBe(200);
    expect(await againClosed).toEqual({ code: 1008, reason: 'session ended' });
    expect(Date.now() - disabledAt).toBeLessThan(1000);
  });

  it('says in the API description what scope and which roles each route needs', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const replay = doc.paths['/v1/dead-letters/{id}/replay'].post.description as string;
    expect(replay).toContain('`manage` scope');
    expect(replay).toContain('`analyst`, `admin`, `owner`');
    expect(doc.paths['/v1/users'].post.description).toContain('`admin`, `owner`');
    expect(doc.paths['/v1/events'].post.description).toContain('signed-in users cannot call it');
    expect(doc.paths['/v1/auth/login'].post.description).toContain('Needs no credentials');
  });
});
