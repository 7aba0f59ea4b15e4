import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ssoTestApp, type SsoTestApp } from '../harness/oidc-provider.js';
import { CHROMIUM_ARGS, ensureDashboardBuilt } from './browser.js';

describe('dashboard single sign-on (browser)', { tags: ['chromium'], timeout: 90_000 }, () => {
  let sso: SsoTestApp;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    const executablePath = inject('chromiumPath');
    if (!executablePath) throw new Error('no Chromium in this run');
    await ensureDashboardBuilt();
    sso = await ssoTestApp({
      store: 'pglite',
      accounts: {
        alice: { email: 'alice@acme.test', groups: ['paylens-analysts'] },
        bob: { email: 'bob@acme.test', groups: ['everyone'] },
      },
      roleMapping: { 'paylens-analysts': 'analyst' },
    });
    base = sso.base;
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await sso?.close();
  });

  /** From the dashboard's sign-in page through the provider's login and consent pages, as `account`. */
  async function signInWithSso(page: Page, account: string): Promise<void> {
    await page.goto(base);
    await page.getByLabel('Tenant').fill('acme');
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    await page.waitForURL((url) => url.origin === sso.issuer);
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
    // The reason alone: nothing failed to load, so no 'Could not load' before it.
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('Your identity provider account maps to no role in this tenant.');
    expect(new URL(page.url()).searchParams.get('sso_error')).toBe('no_role');
    await context.close();
  });
});
