import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { callApi, createTestApp, type TestApp } from '../harness/app.js';
import { startOidcProvider } from '../harness/oidc-provider.js';
import { freePort } from '../harness/processes.js';
import { CHROMIUM_ARGS, ensureDashboardBuilt } from './browser.js';

const CLIENT_ID = 'paylens-dashboard';
const CLIENT_SECRET = 'a-client-secret-for-the-e2e-provider-0123456789';

describe('dashboard single sign-on (browser)', { tags: ['chromium'], timeout: 90_000 }, () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let provider: { issuer: string; close(): Promise<void> };

  beforeAll(async () => {
    const executablePath = inject('chromiumPath');
    if (!executablePath) throw new Error('no Chromium in this run');
    await ensureDashboardBuilt();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: `${base}/v1/auth/sso/callback`,
      accounts: {
        alice: { email: 'alice@acme.test', groups: ['paylens-analysts'] },
        bob: { email: 'bob@acme.test', groups: ['everyone'] },
      },
    });
    t = await createTestApp('pglite', {
      PAYLENS_PUBLIC_URL: base,
      PAYLENS_ENCRYPTION_KEY: 'ef'.repeat(32),
      // The provider runs on loopback over http: only a test (or a private deployment) allows that.
      OUTBOUND_ALLOW_HTTP: 'true',
      OUTBOUND_ALLOW_PRIVATE: 'true',
    });
    await t.app.listen({ host: '127.0.0.1', port });
    const saved = await callApi(t, 'PUT', '/v1/sso', {
      issuer: provider.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      roleClaim: 'groups',
      roleMapping: { 'paylens-analysts': 'analyst' },
      defaultRole: null,
      jitProvisioning: true,
    });
    expect(saved.statusCode).toBe(200);
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await provider?.close();
  });

  /** From the dashboard's sign-in page through the provider's login and consent pages, as `account`. */
  async function signInWithSso(page: Page, account: string): Promise<void> {
    await page.goto(base);
    await page.getByLabel('Tenant').fill('acme');
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await page.waitForURL((url) => url.origin === provider.issuer);
    await page.locator('input[name="login"]').fill(account);
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => url.origin === base);
  }

  it('signs in through the tenant’s OpenID provider, with the role its group maps to', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithSso(page, 'alice');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('status', { name: 'Live feed live' }).waitFor();
    expect(await page.locator('.whoami').textContent()).toBe('alice@acme.test (analyst)');
    await context.close();
  });

  it('says why when the provider’s account maps to no role', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInWithSso(page, 'bob');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('maps to no role');
    expect(new URL(page.url()).searchParams.get('sso_error')).toBe('no_role');
    await context.close();
  });
});
