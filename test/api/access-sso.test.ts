import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, createTestApp, type TestApp } from '../harness/app.js';
import { ssoTestApp, type OidcAccount, type SsoTestApp } from '../harness/oidc-provider.js';
import { storeKinds } from '../harness/stores.js';

/** The people the provider knows: its login form takes their id as the login name. */
const ACCOUNTS: Record<string, OidcAccount> = {
  alice: { email: 'alice@acme.test', groups: ['everyone', 'paylens-analysts'] },
  bob: { email: 'bob@acme.test', groups: ['everyone'] },
  carol: { email: 'carol@acme.test', groups: ['paylens-admins'] },
  dave: { email: 'dave@acme.test', groups: ['paylens-analysts'] },
};

/** A browser as far as redirects and cookies go: one cookie jar per host, every redirect followed by hand. */
class Browser {
  private readonly jars = new Map<string, Map<string, string>>();

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const jar = this.jars.get(target.host) ?? new Map<string, string>();
    this.jars.set(target.host, jar);
    const headers: Record<string, string> = {};
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(cookie)) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  cookie(host: string, name: string): string | undefined {
    return this.jars.get(host)?.get(name);
  }

  /**
   * Starts at `url` and follows redirects; on the provider's pages it submits the login form as
   * `account` and confirms the consent form, as a person would. Ends at the first URL off both servers' API
   * flow (the dashboard page Paylens sends the browser to), which it returns.
   */
  async signInThrough(url: string, account: string, dashboardOrigin: string): Promise<URL> {
    let next = url;
    for (let hop = 0; hop < 20; hop++) {
      const res = await this.request(next);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const resolved = new URL(location, next);
        if (resolved.origin === dashboardOrigin && !resolved.pathname.startsWith('/v1/')) return resolved;
        next = resolved.href;
        continue;
      }
      const html = await res.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      if (res.status !== 200 || !action || !prompt) throw new Error(`unexpected page at ${next}: ${res.status}`);
      const form: Record<string, string> =
        prompt === 'login' ? { prompt, login: account, password: 'any password' } : { prompt };
      const submitted = await this.request(new URL(action, next).href, { method: 'POST', form });
      const after = submitted.headers.get('location');
      if (!after) throw new Error(`the ${prompt} form did not redirect (${submitted.status})`);
      next = new URL(after, next).href;
    }
    throw new Error('too many redirects');
  }
}

describe.each(storeKinds())('single sign-on with a real OpenID provider (%s)', (store) => {
  let sso: SsoTestApp;
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    sso = await ssoTestApp({
      store,
      accounts: ACCOUNTS,
      roleMapping: { 'paylens-analysts': 'analyst', 'paylens-admins': 'admin' },
    });
    ({ t, base } = sso);
  }, 120_000);

  afterAll(async () => {
    await sso?.close();
  });

  const me = async (browser: Browser) => {
    const cookie = browser.cookie(new URL(base).host, 'paylens_session');
    const res = await fetch(`${base}/v1/me`, { headers: { cookie: `paylens_session=${cookie}` } });
    return { status: res.status, body: (await res.json()) as { user: { email: string; role: string } | null } };
  };

  it('keeps the client secret write-only', async () => {
    const settings = await callApi(t, 'GET', '/v1/sso');
    expect(settings.json().sso).toMatchObject({ issuer: sso.issuer, clientId: sso.clientId, jitProvisioning: true });
    expect(JSON.stringify(settings.json())).not.toContain(sso.clientSecret);
  });

  it('signs a new user in with authorization code + PKCE and provisions them with the role their group maps to', async () => {
    const browser = new Browser();
    const start = await browser.request(`${base}/v1/auth/sso/start?tenant=acme`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).toBe(sso.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${base}/v1/auth/sso/callback`);

    const landed = await browser.signInThrough(authorize.href, 'alice', base);
    expect(landed.pathname).toBe('/');
    expect(landed.searchParams.get('sso_error')).toBeNull();
    const session = await me(browser);
    expect(session.status).toBe(200);
    expect(session.body.user).toMatchObject({ email: 'alice@acme.test', role: 'analyst' });

    const audit = (await callApi(t, 'GET', '/v1/audit?limit=50')).json().data as Array<{
      action: string;
      details: Record<string, unknown>;
    }>;
    expect(audit.find((e) => e.action === 'user.provision')?.details).toMatchObject({ email: 'alice@acme.test' });
    expect(audit.find((e) => e.action === 'auth.sign_in')?.details).toMatchObject({ method: 'sso' });
  });

  it('accepts an invitation through SSO: the invited address, its invited role', async () => {
    const invited = await callApi(t, 'POST', '/v1/users', { email: 'bob@acme.test', role: 'viewer' });
    const token = invited.json().invitation.token as string;
    const browser = new Browser();
    const landed = await browser.signInThrough(
      `${base}/v1/auth/sso/start?tenant=acme&invitation=${encodeURIComponent(token)}`,
      'bob',
      base,
    );
    expect(landed.searchParams.get('sso_error')).toBeNull();
    expect((await me(browser)).body.user).toMatchObject({ email: 'bob@acme.test', role: 'viewer' });
    const users = (await callApi(t, 'GET', '/v1/users')).json().data as Array<{ email: string; status: string }>;
    expect(users.find((u) => u.email === 'bob@acme.test')?.status).toBe('active');

    // An invitation is for its address: someone else at the provider (dave) cannot take erin's.
    const other = await callApi(t, 'POST', '/v1/users', { email: 'erin@acme.test', role: 'viewer' });
    const thief = new Browser();
    const stolen = await thief.signInThrough(
      `${base}/v1/auth/sso/start?tenant=acme&invitation=${encodeURIComponent(other.json().invitation.token)}`,
      'dave',
      base,
    );
    expect(stolen.searchParams.get('sso_error')).toBe('not_invited');
    expect(thief.cookie(new URL(base).host, 'paylens_session')).toBeUndefined();
    const erin = (await callApi(t, 'GET', '/v1/users'))
      .json()
      .data.find((u: { email: string }) => u.email === 'erin@acme.test');
    expect(erin.status).toBe('invited');
  });

  it('maps an admin group to admin, and without JIT provisioning turns back people neither invited nor known', async () => {
    const admin = new Browser();
    await admin.signInThrough(`${base}/v1/auth/sso/start?tenant=acme`, 'carol', base);
    expect((await me(admin)).body.user).toMatchObject({ email: 'carol@acme.test', role: 'admin' });

    // Without JIT provisioning, someone neither invited nor known is turned back.
    const off = await sso.configure({ roleMapping: { 'paylens-admins': 'admin' }, jitProvisioning: false });
    expect(off.statusCode).toBe(200);
    const stranger = new Browser();
    const refused = await stranger.signInThrough(`${base}/v1/auth/sso/start?tenant=acme`, 'dave', base);
    expect(refused.searchParams.get('sso_error')).toBe('not_invited');
    expect(stranger.cookie(new URL(base).host, 'paylens_session')).toBeUndefined();
  });

  it("ends a user's sessions when the provider maps them to another role, and audits refused SSO sign-ins", async () => {
    const settings = await sso.configure({ jitProvisioning: false });
    expect(settings.statusCode).toBe(200);
    const first = new Browser();
    await first.signInThrough(`${base}/v1/auth/sso/start?tenant=acme`, 'alice', base);
    expect((await me(first)).body.user).toMatchObject({ email: 'alice@acme.test', role: 'analyst' });
    const groups = ACCOUNTS.alice!.groups;
    ACCOUNTS.alice!.groups = ['paylens-admins'];
    try {
      const second = new Browser();
      await second.signInThrough(`${base}/v1/auth/sso/start?tenant=acme`, 'alice', base);
      expect((await me(second)).body.user).toMatchObject({ email: 'alice@acme.test', role: 'admin' });
      // The session opened as an analyst is gone; the new one lives.
      expect((await me(first)).status).toBe(401);
      expect((await me(second)).status).toBe(200);
    } finally {
      ACCOUNTS.alice!.groups = groups;
    }

    const alice = (await callApi(t, 'GET', '/v1/users'))
      .json()
      .data.find((u: { email: string }) => u.email === 'alice@acme.test') as { id: string };
    const disable = await t.app.inject({
      method: 'PATCH',
      url: `/v1/users/${alice.id}`,
      headers: { authorization: `Bearer ${t.apiKey}` },
      payload: { disabled: true },
    });
    expect(disable.statusCode).toBe(200);
    const refused = await new Browser().signInThrough(`${base}/v1/auth/sso/start?tenant=acme`, 'alice', base);
    expect(refused.searchParams.get('sso_error')).toBe('disabled');
    const stranger = await new Browser().signInThrough(`${base}/v1/auth/sso/start?tenant=acme`, 'dave', base);
    expect(stranger.searchParams.get('sso_error')).toBe('not_invited');

    const failed = (await callApi(t, 'GET', '/v1/audit?action=auth.sign_in_failed&limit=50')).json().data as Array<{
      actor: string;
      target: string | null;
      details: Record<string, unknown>;
    }>;
    expect(failed.find((e) => e.details.reason === 'disabled')).toMatchObject({
      actor: alice.id,
      target: alice.id,
      details: { method: 'sso', email: 'alice@acme.test', clientAddress: '127.0.0.1' },
    });
    expect(failed.find((e) => e.details.email === 'dave@acme.test')).toMatchObject({
      actor: 'anonymous',
      target: null,
      details: { method: 'sso', reason: 'not_invited', clientAddress: '127.0.0.1' },
    });
    const changes = (await callApi(t, 'GET', `/v1/audit?action=user.role_change&actor=${alice.id}`)).json().data;
    expect(changes[0].details).toMatchObject({ from: 'analyst', to: 'admin', by: 'sso' });
  });

  it('refuses a callback that does not belong to the browser that started the flow', async () => {
    const browser = new Browser();
    const start = await browser.request(`${base}/v1/auth/sso/start?tenant=acme`);
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    // Another browser (no state cookie) arriving with this state and any code.
    const forged = await fetch(`${base}/v1/auth/sso/callback?code=forged&state=${state}`, { redirect: 'manual' });
    expect(forged.status).toBe(302);
    expect(new URL(forged.headers.get('location')!, base).searchParams.get('sso_error')).toBe('flow');
    expect(
      forged.headers.getSetCookie().some((c) => c.startsWith('paylens_session=') && !c.startsWith('paylens_session=;')),
    ).toBe(false);
    // An unknown tenant has no SSO.
    const unknown = await fetch(`${base}/v1/auth/sso/start?tenant=nobody`, { redirect: 'manual' });
    expect(new URL(unknown.headers.get('location')!, base).searchParams.get('sso_error')).toBe('not_configured');
  });

  it('refuses an issuer on a private address unless the outbound policy allows it', async () => {
    const strict = await createTestApp(store, { PAYLENS_ENCRYPTION_KEY: 'cd'.repeat(32) });
    try {
      const res = await callApi(strict, 'PUT', '/v1/sso', {
        issuer: sso.issuer,
        clientId: sso.clientId,
        clientSecret: sso.clientSecret,
      });
      expect(res.statusCode).toBe(422);
    } finally {
      await strict.close();
    }
  }, 120_000);
});
