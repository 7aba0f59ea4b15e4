import { Secret, TOTP } from 'otpauth';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { createTestApp, postEvent, type TestApp } from '../harness/app.js';
import { CHROMIUM_ARGS, createUser, declinedForReview, ensureDashboardBuilt, PASSWORD, signIn } from './browser.js';

// Each test signs someone in through a real browser: slower than the default 30 s on a loaded machine.
describe('dashboard team access (browser)', { tags: ['chromium'], timeout: 90_000 }, () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const auth = () => ({ authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' });

  /** A browser of its own per person: separate cookie jars, as two people on two machines. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    contexts.push(context);
    // A step that never happens fails with its own locator rather than the test's timeout.
    context.setDefaultTimeout(20_000);
    return context.newPage();
  }

  const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

  beforeAll(async () => {
    const executablePath = inject('chromiumPath');
    if (!executablePath) throw new Error('no Chromium in this run');
    await ensureDashboardBuilt();
    t = await createTestApp('pglite');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    base = `http://127.0.0.1:${address.port}`;
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await t?.close();
  });

  it('a viewer sees no replay, discard, label, rule or list controls, and a forced replay is refused', async () => {
    // A dead letter: a Stripe charge without a currency is stored unprocessed; its retries ran out.
    const broken = stripeEvent('charge.succeeded', charge({ currency: null, amount: 3100 }));
    const posted = await postEvent(t, broken);
    expect(posted.statusCode).toBe(201);
    const rawId = posted.json().rawEvent.id as string;
    await t.container.db
      .updateTable('raw_events')
      .set({ status: 'dead', next_attempt_at: null, attempts: 5 })
      .where('id', '=', rawId)
      .execute();
    await createUser(t, 'vera@acme.test', 'viewer');
    const page = await newPage();
    await signIn(page, base, 'vera@acme.test');
    expect(await page.locator('.whoami').textContent()).toBe('vera@acme.test (viewer)');
    expect(await nav(page).getByRole('link').allTextContents()).toEqual([
      'Overview',
      'Events',
      'Payments',
      'Dead letters',
      'Alerts',
      'Risk',
    ]);

    await nav(page).getByRole('link', { name: 'Dead letters' }).click();
    const row = page.locator(`tr[data-raw-id="${rawId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(broken.id);
    expect(await row.getByRole('button').count()).toBe(0);

    // The server decides, not the missing button: the page's own cookie and CSRF token get a 403.
    const forced = await page.evaluate(async (id) => {
      const me = (await (await fetch('/v1/me')).json()) as { csrfToken: string };
      const res = await fetch(`/v1/dead-letters/${id}/replay`, {
        method: 'POST',
        headers: { 'x-csrf-token': me.csrfToken },
      });
      return { status: res.status, body: (await res.json()) as { code: string } };
    }, rawId);
    expect(forced).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    const still = await t.app.inject({ method: 'GET', url: `/v1/raw-events/${rawId}`, headers: auth() });
    expect(still.json().status).toBe('dead');

    await nav(page).getByRole('link', { name: 'Risk' }).click();
    await page.getByRole('heading', { name: 'Block and allow lists' }).waitFor();
    await page.getByLabel(/^Rules and thresholds/).waitFor();
    expect(await page.getByLabel(/^Rules and thresholds/).getAttribute('readonly')).not.toBeNull();
    expect(await page.getByRole('button', { name: 'Save rules' }).count()).toBe(0);
    expect(await page.getByRole('form', { name: 'Add a list entry' }).count()).toBe(0);
  });

  it('an analyst labels a review from the Risk page, and sees no rule or user controls', async () => {
    await declinedForReview(t, {
      transactionId: 'analyst-review-1',
      amountMinor: 6100,
      ip: '198.51.100.7',
      reason: 'e2e analyst',
    });
    await createUser(t, 'ana@acme.test', 'analyst');

    const page = await newPage();
    await signIn(page, base, 'ana@acme.test');
    expect(await nav(page).getByRole('link', { name: 'Users' }).count()).toBe(0);
    expect(await nav(page).getByRole('link', { name: 'Audit' }).count()).toBe(0);
    await nav(page).getByRole('link', { name: 'Risk' }).click();
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    // Lists are an analyst's to edit; rules are not.
    await page.getByRole('form', { name: 'Add a list entry' }).waitFor();
    expect(await page.getByRole('button', { name: 'Save rules' }).count()).toBe(0);

    await page.getByLabel(/^Decision/).selectOption('decline');
    const row = page.locator('tr[data-transaction-id="analyst-review-1"]');
    await row.waitFor();
    await row.getByRole('button', { name: 'Label analyst-review-1 fraud' }).click();
    await page.getByRole('status').filter({ hasText: 'analyst-review-1 labelled fraud.' }).waitFor();
    await row.waitFor({ state: 'detached' });
    const history = await t.app.inject({
      method: 'GET',
      url: '/v1/risk/assessments/analyst-review-1',
      headers: auth(),
    });
    expect(history.json()).toMatchObject({ transactionId: 'analyst-review-1', label: 'fraud' });
  });

  it('an admin invites someone, who accepts in the browser, signs out and in, and is shut out when disabled', async () => {
    await createUser(t, 'adele@acme.test', 'admin');
    const admin = await newPage();
    await signIn(admin, base, 'adele@acme.test');
    await nav(admin).getByRole('link', { name: 'Users' }).click();
    await admin.getByRole('heading', { name: 'Users' }).waitFor();
    // An admin may not make an owner.
    const form = admin.getByRole('form', { name: 'Invite a user' });
    expect(await form.getByLabel(/^Role/).locator('option').allTextContents()).toEqual(['viewer', 'analyst', 'admin']);
    await form.getByLabel(/^E-mail/).fill('newcomer@acme.test');
    await form.getByLabel(/^Role/).selectOption('analyst');
    await form.getByRole('button', { name: 'Invite' }).click();
    const link = admin.getByLabel('Invitation link');
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(new RegExp(`^${base}/accept-invitation#token=inv_`));
    const invitee = admin.locator('tr[data-user-email="newcomer@acme.test"]');
    expect(await invitee.textContent()).toContain('invited');

    const newcomer = await newPage();
    await newcomer.goto(url);
    await newcomer.getByLabel('New password').fill(PASSWORD);
    await newcomer.getByLabel('Repeat the password').fill(PASSWORD);
    await newcomer.getByRole('button', { name: 'Set password and sign in' }).click();
    await newcomer.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await newcomer.locator('.whoami').textContent()).toBe('newcomer@acme.test (analyst)');
    // The spent token leaves the address bar.
    expect(newcomer.url()).toBe(`${base}/`);

    await newcomer.getByRole('button', { name: 'Sign out' }).click();
    await newcomer.getByRole('form', { name: 'Sign in' }).waitFor();
    expect((await newcomer.context().cookies(base)).filter((c) => c.name === 'paylens_session')).toEqual([]);
    await signIn(newcomer, base, 'newcomer@acme.test');

    await admin.reload();
    await invitee.waitFor();
    await expect.poll(() => invitee.textContent()).toContain('active');
    // Disabled by the admin: the newcomer's live feed closes and their dashboard goes back to sign-in.
    await invitee.getByRole('button', { name: 'Disable newcomer@acme.test' }).click();
    await admin.getByRole('status').filter({ hasText: 'newcomer@acme.test is disabled.' }).waitFor();
    await newcomer.getByRole('form', { name: 'Sign in' }).waitFor({ timeout: 5000 });
  });

  it('asks for the second factor when the account has one, and signs in with the authenticator code', async () => {
    const { session } = await createUser(t, 'tess@acme.test', 'viewer');
    const begun = await t.app.inject({ method: 'POST', url: '/v1/me/totp', headers: session });
    expect(begun.statusCode).toBe(200);
    const totp = new TOTP({ secret: Secret.fromBase32(begun.json().secret), period: 30, digits: 6 });
    // Enrolled with the previous step's code, so the current one is still unused for the sign-in.
    const confirmed = await t.app.inject({
      method: 'POST',
      url: '/v1/me/totp/confirm',
      headers: session,
      payload: { code: totp.generate({ timestamp: Date.now() - 30_000 }) },
    });
    expect(confirmed.statusCode).toBe(200);

    const page = await newPage();
    await page.goto(base);
    await page.getByLabel('Tenant').fill('acme');
    await page.getByLabel('E-mail').fill('tess@acme.test');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('authenticator');
    await page.getByLabel('Authenticator or recovery code').fill('000000');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('wrong or already used');
    await page.getByLabel('Authenticator or recovery code').fill(totp.generate());
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.locator('.whoami').textContent()).toBe('tess@acme.test (viewer)');
  });
});
