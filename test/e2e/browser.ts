import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestApp } from '../harness/app.js';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const BUILD_LOCK = join(
  tmpdir(),
  `paylens-e2e-build-${createHash('sha256').update(process.cwd()).digest('hex').slice(0, 12)}`,
);

/**
 * Builds web/dist when it is missing or older than its sources, so the tests drive the current
 * dashboard. The browser test files run in parallel: one builds while the others wait for it (a
 * build empties web/dist first, which would pull the dashboard from under a running test).
 */
export async function ensureDashboardBuilt(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch {
      // A lock older than any build is left by a killed run.
      const held = statSync(BUILD_LOCK, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 120_000) rmSync(BUILD_LOCK, { recursive: true, force: true });
      await sleep(200);
    }
  }
  try {
    const built = 'web/dist/index.html';
    const sources = Math.max(
      newestMtime('web/src'),
      statSync('web/index.html').mtimeMs,
      statSync('web/vite.config.ts').mtimeMs,
    );
    if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
    const result = spawnSync(
      process.execPath,
      ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts'],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) throw new Error(`dashboard build failed: ${result.stderr || result.stdout}`);
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** The password every test user gets (the policy: 12+ characters, not well known, not the e-mail name). */
export const PASSWORD = 'violet harbour sextant 1917';

/**
 * A user of the test app's tenant (`acme`) made through the public API as a tenant's first owner is:
 * invited with the tenant's key, the invitation accepted with a password.
 */
export async function createUser(t: TestApp, email: string, role: 'viewer' | 'analyst' | 'admin' | 'owner') {
  const invited = await t.app.inject({
    method: 'POST',
    url: '/v1/users',
    headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ email, role }),
  });
  expect(invited.statusCode).toBe(201);
  const accepted = await t.app.inject({
    method: 'POST',
    url: '/v1/auth/invitations/accept',
    payload: { token: invited.json().invitation.token, password: PASSWORD },
  });
  expect(accepted.statusCode).toBe(200);
  const cookie = [accepted.headers['set-cookie']].flat().find((c) => c?.startsWith('paylens_session='));
  if (!cookie) throw new Error('no session cookie');
  // The session accepting opened, as API calls make it: the cookie and the CSRF token for writes.
  const session = { cookie: cookie.split(';')[0]!, 'x-csrf-token': accepted.json().csrfToken as string };
  return { id: invited.json().user.id as string, email, session };
}

/**
 * A transaction the risk engine declines because its IP is on the tenant's block list, so it waits
 * in the Risk page's review queue. Made with the tenant's key; gives the block-list entry's id.
 */
export async function declinedForReview(
  t: TestApp,
  transaction: { transactionId: string; amountMinor: number; ip: string; reason: string; email?: string },
): Promise<{ listEntryId: string }> {
  const headers = { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' };
  const { transactionId, amountMinor, ip, reason, email } = transaction;
  const block = await t.app.inject({
    method: 'POST',
    url: '/v1/lists',
    headers,
    payload: JSON.stringify({ type: 'ip', value: ip, action: 'block', reason }),
  });
  expect(block.statusCode).toBe(201);
  const scored = await t.app.inject({
    method: 'POST',
    url: '/v1/risk/score',
    headers,
    payload: JSON.stringify({
      transactionId,
      amount: { minor: amountMinor, currency: 'USD' },
      ...(email ? { customer: { email } } : {}),
      ip,
    }),
  });
  expect(scored.json().decision).toBe('decline');
  return { listEntryId: block.json().id as string };
}

/** Signs in through the dashboard's sign-in form, and waits for the signed-in dashboard and its live feed. */
export async function signIn(page: Page, base: string, email: string, password = PASSWORD): Promise<void> {
  await page.goto(base);
  await page.getByLabel('Tenant').fill('acme');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByRole('status', { name: 'Live feed live' }).waitFor();
}
