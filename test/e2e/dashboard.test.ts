import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  charge,
  declinedCharge,
  stripeEvent,
} from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { BUILDERS, DEMO_PROVIDERS, randomSale } from '../../scripts/demo-traffic.js';
import { createTestApp, postEvent, type TestApp } from '../harness/app.js';
import { CHROMIUM_ARGS, createUser, declinedForReview, ensureDashboardBuilt, PASSWORD } from './browser.js';

describe('dashboard (browser)', { tags: ['chromium'] }, () => {
  let t: TestApp;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const cspViolations: string[] = [];
  const auth = () => ({ authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' });
  const post = async (payload: unknown) => {
    const res = await postEvent(t, payload);
    expect(res.statusCode).toBe(201);
    return res.json() as { rawEvent: { id: string; status: string }; events: Array<{ id: string }> };
  };

  beforeAll(async () => {
    const executablePath = inject('chromiumPath');
    if (!executablePath) throw new Error('no Chromium in this run');
    await ensureDashboardBuilt();
    t = await createTestApp('pglite');
    // The tenant's first owner, as a team starts: invited with the tenant's key, accepted with a password.
    await createUser(t, 'owner@acme.test', 'owner');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    base = `http://127.0.0.1:${address.port}`;
    userDataDir = mkdtempSync(join(tmpdir(), 'paylens-e2e-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1360, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    // Chromium reports every resource, inline script or style the page's Content-Security-Policy blocked.
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await t?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('serves the dashboard at / and keeps unknown API paths as problem+json 404s', async () => {
    const index = await fetch(`${base}/events/some-deep-link`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('<div id="root">');
    const api = await fetch(`${base}/v1/no-such-route`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect(await (await fetch(`${base}/docs/json`)).json()).toHaveProperty(['paths', '/v1/events']);
  });

  it('rejects a wrong password, then signs in with the keyboard, keeping no key in the browser', async () => {
    await page.goto(base);
    await page.getByLabel('Tenant').fill('acme');
    await page.getByLabel('E-mail').fill('owner@acme.test');
    const password = page.getByLabel('Password');
    await password.fill(`${PASSWORD}x`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');

    await password.fill('');
    await password.focus();
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByRole('status', { name: 'Live feed live' }).waitFor();
    // The session is an httpOnly cookie; no key or token is kept where a script could read it.
    const cookies = await context.cookies(base);
    expect(cookies.find((c) => c.name === 'paylens_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie])).toEqual([
      0,
      0,
      '',
    ]);
  });

  it('shows events posted to the API live in the Events view, without a reload', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { name: 'Events' }).waitFor();
    await page.getByRole('status', { name: 'Live feed live' }).waitFor();
    await page.evaluate(() => ((window as unknown as { marker: boolean }).marker = true));

    const approved = await post(stripeEvent('charge.succeeded', charge({ amount: 4242 })));
    const declined = await post(
      stripeEvent('charge.failed', declinedCharge('insufficient_funds', { amount: 1999, currency: 'eur' })),
    );
    for (const id of [approved.events[0]!.id, declined.events[0]!.id]) {
      await page.locator(`tr[data-event-id="${id}"]`).waitFor();
    }
    const declinedRow = page.locator(`tr[data-event-id="${declined.events[0]!.id}"]`);
    expect(await declinedRow.textContent()).toContain('insufficient funds');
    expect(await declinedRow.textContent()).toContain('€19.99');
    // Same page instance: the rows came over the WebSocket, not from a navigation.
    expect(await page.evaluate(() => (window as unknown as { marker?: boolean }).marker)).toBe(true);

    await declinedRow.getByRole('link').click();
    await page.getByRole('heading', { name: `Event ${declined.events[0]!.id}` }).waitFor();
    await page.getByLabel('Raw payload').waitFor();
    expect(await page.getByLabel('Raw payload').textContent()).toContain('"insufficient_funds"');
  });

  it('follows an event to its payment timeline', async () => {
    const rawViews: string[] = [];
    const countRawViews = (request: Request) => {
      if (new URL(request.url()).pathname.startsWith('/v1/raw-events/')) rawViews.push(request.url());
    };
    page.on('request', countRawViews);
    const paymentId = `pi_e2e${Date.now()}`;
    await post(
      stripeEvent('charge.failed', declinedCharge('insufficient_funds', { amount: 5100, payment_intent: paymentId })),
    );
    const approved = await post(stripeEvent('charge.succeeded', charge({ amount: 5100, payment_intent: paymentId })));
    await page.goto(`${base}/events/${approved.events[0]!.id}`);
    await page.getByRole('link', { name: paymentId }).click();
    await page.getByRole('heading', { name: 'Payment timeline' }).waitFor();
    const timeline = page.locator('ol.timeline li');
    await expect.poll(() => timeline.count()).toBe(2);
    expect(await timeline.first().textContent()).toContain('declined');
    expect(await timeline.last().textContent()).toContain('approved');
    page.off('request', countRawViews);
    // The event's page asked for its raw payload once; the timeline itself reads none.
    expect(rawViews).toEqual([expect.stringContaining(`/v1/raw-events/${approved.rawEvent.id}`)]);
  });

  it('adds and removes a block-list entry from the Risk page', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Risk' }).click();
    await page.getByRole('heading', { name: 'Block and allow lists' }).waitFor();
    const form = page.getByRole('form', { name: 'Add a list entry' });
    // A label wrapping a control names it with the control's value too ("Type ip"), hence the prefixes.
    await form.getByLabel(/^Type/).selectOption('ip');
    await form.getByLabel(/^Value/).fill('203.0.113.77');
    await form.getByLabel(/^Reason/).fill('card testing from this address');
    await form.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('button', { name: 'Remove ip 203.0.113.77' }).waitFor();
    const lists = await t.app.inject({ method: 'GET', url: '/v1/lists', headers: auth() });
    expect(lists.json().data).toEqual([
      expect.objectContaining({
        type: 'ip',
        value: '203.0.113.77',
        action: 'block',
        reason: 'card testing from this address',
      }),
    ]);

    await page.getByRole('button', { name: 'Remove ip 203.0.113.77' }).click();
    await page.getByText('No entries.').waitFor();
    expect((await t.app.inject({ method: 'GET', url: '/v1/lists', headers: auth() })).json().data).toEqual([]);
  });

  it('settles a declined transaction from the Risk page review queue with a label', async () => {
    const { listEntryId } = await declinedForReview(t, {
      transactionId: 'e2e-review-1',
      amountMinor: 4200,
      email: 'e2e@example.com',
      ip: '198.51.100.99',
      reason: 'e2e proxy',
    });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Risk' }).click();
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    await page.getByLabel(/^Decision/).selectOption('decline');
    const row = page.locator('tr[data-transaction-id="e2e-review-1"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('e2e proxy');
    await row.getByRole('button', { name: 'Label e2e-review-1 fraud' }).click();
    await page.getByRole('status').filter({ hasText: 'e2e-review-1 labelled fraud.' }).waitFor();
    await row.waitFor({ state: 'detached' });
    const history = await t.app.inject({ method: 'GET', url: '/v1/risk/assessments/e2e-review-1', headers: auth() });
    expect(history.json()).toMatchObject({ transactionId: 'e2e-review-1', label: 'fraud' });

    // A new decline arrives over the live feed and joins the queue without a reload.
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/risk/score',
      headers: auth(),
      payload: JSON.stringify({
        transactionId: 'e2e-review-2',
        amount: { minor: 900, currency: 'USD' },
        ip: '198.51.100.99',
      }),
    });
    expect(again.json().decision).toBe('decline');
    await page.locator('tr[data-transaction-id="e2e-review-2"]').waitFor();

    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/v1/lists/${listEntryId}`,
          headers: { authorization: `Bearer ${t.apiKey}` },
        })
      ).statusCode,
    ).toBe(200);
  });

  it('shows the audit log of those changes and verifies its hash chain', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const actions = page.locator('tr[data-audit-seq] td:nth-child(3)');
    await expect
      .poll(() => actions.allTextContents())
      // Newest first. The two event pages above (one from the Events view, one on the way to the payment
      // timeline) each opened their event's raw payload once, each recorded as a data access; before them,
      // the owner's invitation, its acceptance (which signs in), and the failed and good sign-ins.
      .toEqual([
        'list_entry.remove',
        'list_entry.add',
        'list_entry.remove',
        'list_entry.add',
        'raw_event.view',
        'raw_event.view',
        'auth.sign_in',
        'auth.sign_in_failed',
        'auth.sign_in',
        'invitation.accept',
        'user.invite',
      ]);
    const views = (
      await t.app.inject({ method: 'GET', url: '/v1/audit?action=raw_event.view', headers: auth() })
    ).json().data as Array<{ target: string; details: { actorType: string; email?: string } }>;
    // One entry per payload viewed, by the signed-in owner.
    expect(new Set(views.map((v) => v.target)).size).toBe(2);
    expect(views.map((v) => v.details)).toEqual([
      expect.objectContaining({ actorType: 'user', email: 'owner@acme.test' }),
      expect.objectContaining({ actorType: 'user', email: 'owner@acme.test' }),
    ]);
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByRole('status').filter({ hasText: 'Chain intact: 11 entries' }).waitFor();

    // An entry edited behind the API's back is found, and named.
    await t.container.db
      .updateTable('audit_log')
      .set({ actor: 'key_someone_else' })
      .where('tenant_id', '=', t.tenantId)
      .where('seq', '=', '2')
      .execute();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Chain broken at entry #2: hash mismatch (1 entry verified before it).' })
      .waitFor();
  });

  it('replays a dead letter from the UI', async () => {
    // A Stripe charge without a currency is identified but cannot be normalized: stored unprocessed.
    const broken = stripeEvent('charge.succeeded', charge({ currency: null, amount: 3100 }));
    const stored = await post(broken);
    expect(stored.rawEvent.status).toBe('unprocessed');
    // Stands for a connector fix shipped after the retries ran out: the payload now normalizes, and it is dead.
    const fixed = { ...broken, data: { object: { ...(broken.data as { object: object }).object, currency: 'usd' } } };
    await t.container.db
      .updateTable('raw_events')
      .set({ status: 'dead', next_attempt_at: null, attempts: 5, payload: JSON.stringify(fixed) })
      .where('id', '=', stored.rawEvent.id)
      .execute();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dead letters' }).click();
    const row = page.locator(`tr[data-raw-id="${stored.rawEvent.id}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: `Inspect ${broken.id}` }).click();
    await page.getByLabel('Raw payload (masked)').waitFor();

    await row.getByRole('button', { name: `Replay ${broken.id}` }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Replayed' }).textContent())
      .toContain('1 event(s) stored');
    await row.waitFor({ state: 'detached' });

    const raw = await t.app.inject({ method: 'GET', url: `/v1/raw-events/${stored.rawEvent.id}`, headers: auth() });
    expect(raw.json()).toMatchObject({ status: 'normalized', events: [{ amountMinor: 3100, currency: 'USD' }] });
  });

  it(
    'renders the Overview with traffic from five providers, on a laptop and on a phone',
    { timeout: 120_000 },
    async () => {
      const now = Date.now();
      const sales = Array.from({ length: 900 }, (_, i) => {
        const provider = DEMO_PROVIDERS[i % DEMO_PROVIDERS.length]!;
        const at = new Date(now - Math.floor(Math.random() * 40 * 60_000));
        // The last ten minutes of Adyen are an outage, as in `npm run demo`.
        return { provider, sale: randomSale(provider, at, provider === 'adyen' && now - at.getTime() < 10 * 60_000) };
      });
      for (let i = 0; i < sales.length; i += 16) {
        const answers = await Promise.all(
          sales.slice(i, i + 16).map(({ provider, sale }) => postEvent(t, BUILDERS[provider](sale))),
        );
        expect(answers.map((a) => a.statusCode).filter((code) => code !== 201)).toEqual([]);
      }
      // The alert detectors run on a timer in the server; run them once now so the outage shows.
      await t.container.analytics.alerts.runOnce(new Date());

      // What the API answers to the page's own query (same window), to compare with what the page shows.
      const pageQuery = (path: string, also = '') =>
        page.waitForRequest((r) => r.url().includes(`${path}?`) && r.url().includes(also));
      const sameAnswer = async (request: Promise<Request>) => {
        const url = new URL((await request).url());
        return (await t.app.inject({ method: 'GET', url: url.pathname + url.search, headers: auth() })).json();
      };
      const summaryRequest = pageQuery('/v1/analytics/summary');
      const approvalSeriesRequest = pageQuery('/v1/analytics/timeseries', 'approval_rate');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      // The earlier tests' events are dated 2024 (fixtures), so the last hour holds exactly these 900 sales.
      const approved = sales.filter(({ sale }) => sale.decline === null).length;
      const kpi = (name: string) =>
        page
          .locator('.kpi')
          .filter({ has: page.locator('.kpi-name', { hasText: new RegExp(`^${name}$`) }) })
          .locator('.kpi-value');
      // The figures, or the summary's error note, whichever comes first: an error note fails here with its message.
      await page.locator('.kpis, .notice.error').first().waitFor();
      expect(await page.locator('.notice.error').allTextContents()).toEqual([]);
      expect(await kpi('Events').textContent()).toBe('900');
      expect(await kpi('Approval rate').textContent()).toBe(`${((approved / 900) * 100).toFixed(1)}%`);

      const reasons = await t.app.inject({
        method: 'GET',
        url: `/v1/analytics/failure-reasons?from=${new Date(now - 50 * 60_000).toISOString()}&to=${new Date(now + 60_000).toISOString()}`,
        headers: auth(),
      });
      const reasonRows = (reasons.json() as { data: Array<{ reason: string; count: number }> }).data;
      expect(reasonRows.reduce((sum, r) => sum + r.count, 0)).toBe(900 - approved);
      const bars = page.locator('ul.barlist li');
      await bars.first().waitFor();
      const shown = await bars.evaluateAll((items) =>
        items.map((li) => [
          li.querySelector('.barlist-label')?.firstChild?.textContent,
          li.querySelector('.barlist-value')?.textContent,
        ]),
      );
      expect(shown).toEqual(
        reasonRows.slice(0, 7).map((r) => [r.reason.replace(/_/g, ' '), r.count.toLocaleString('en-US')]),
      );

      const alerts = (await t.app.inject({ method: 'GET', url: '/v1/alerts', headers: auth() })).json() as {
        data: Array<{ provider: string | null; message: string; status: string }>;
      };
      const outage = alerts.data.find((a) => a.status === 'open' && a.provider === 'adyen');
      expect(outage?.message).toMatch(/^adyen\b/);
      await page.locator('ul.alerts li').filter({ hasText: outage!.message }).waitFor();
      const { riskDecisions } = (await sameAnswer(summaryRequest)) as {
        riskDecisions: Record<'approve' | 'review' | 'decline', number>;
      };
      await page
        .getByRole('img', {
          name: `approve ${riskDecisions.approve}, review ${riskDecisions.review}, decline ${riskDecisions.decline}`,
        })
        .waitFor();
      // The approval chart's legend: every provider with its latest rate.
      const series = (await sameAnswer(approvalSeriesRequest)) as {
        series: Array<{ key: string; points: Array<{ value: number | null }> }>;
      };
      const latest = series.series.map(
        (s) =>
          [
            s.key,
            s.points
              .map((p) => p.value)
              .filter((v) => v !== null)
              .at(-1)!,
          ] as const,
      );
      expect(latest.map(([key]) => key).sort()).toEqual([...DEMO_PROVIDERS].sort());
      const names: Record<string, string> = {
        stripe: 'Stripe',
        adyen: 'Adyen',
        checkout: 'Checkout.com',
        paypal: 'PayPal',
        mercadopago: 'Mercado Pago',
      };
      const approvalChart = page
        .locator('figure.chart')
        .filter({ has: page.getByRole('img', { name: 'Approval rate by provider over time' }) });
      await approvalChart.waitFor();
      expect(await approvalChart.locator('figcaption span').allTextContents()).toEqual(
        latest.map(([key, value]) => `${names[key]} ${(value * 100).toFixed(0)}%`),
      );
      await page.getByRole('img', { name: 'Volume in USD by provider over time' }).waitFor();
      await page.waitForLoadState('networkidle');
      for (const title of ['Approval rate by provider', 'Top failure reasons', 'Risk decisions', 'Active alerts']) {
        await page.getByRole('heading', { name: title }).waitFor();
      }
      expect(await page.getByText('Could not load').count()).toBe(0);

      await page.waitForTimeout(500);
      // The README's picture changes only when asked; a normal run checks the capture in a temporary file.
      const screenshot =
        process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/dashboard.png' : join(userDataDir, 'dashboard.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).toBeGreaterThan(10_000);

      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.setViewportSize({ width: 1360, height: 900 });
    },
  );

  it('ran every view above under a strict Content-Security-Policy without a single violation', async () => {
    const csp = (await fetch(base)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(cspViolations).toEqual([]);
  });
});
