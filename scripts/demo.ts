/**
 * `npm run demo`: a fresh embedded Paylens with a fixed key, plus a simulator sending traffic from
 * five providers; a few minutes in, one provider has an outage (its approval rate collapses) so the
 * dashboard shows a living picture and an alert. Alongside, a web shop scores each checkout before
 * charging (`POST /v1/risk/score`), and attacks come in turn: card testing against an Adyen merchant,
 * stolen cards on brand-new accounts, an account takeover; the Risk page shows what was sent to
 * review or declined and why, and card testing opens a merchant alert. Ctrl-C stops everything.
 *
 * DEMO_PORT (8080), DEMO_RATE events/s (6), DEMO_OUTAGE_PROVIDER (adyen), DEMO_OUTAGE_AFTER_S (150),
 * DEMO_OUTAGE_FOR_S (240), DEMO_BACKFILL_MIN minutes of history sent first (60; the alert detectors
 * compare the last 15 minutes with what came before, so the outage needs that baseline),
 * DEMO_ATTACK_EVERY_S (60) between attacks.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomInt } from 'node:crypto';
import {
  ATTACKS,
  attack,
  brokenStripePayload,
  BUILDERS,
  checkout,
  DEMO_PROVIDERS,
  randomSale,
  shopper,
  SHOPPERS,
  type DemoAction,
  type DemoProvider,
  type Shopper,
} from './demo-traffic.js';

const DEMO_API_KEY = 'pl_demo_0000000000000000000000000000000000000000';

const port = Number(process.env.DEMO_PORT ?? 8080);
const rate = Number(process.env.DEMO_RATE ?? 6);
const outageProvider = (process.env.DEMO_OUTAGE_PROVIDER ?? 'adyen') as DemoProvider;
const outageAfterMs = Number(process.env.DEMO_OUTAGE_AFTER_S ?? 150) * 1000;
const outageForMs = Number(process.env.DEMO_OUTAGE_FOR_S ?? 240) * 1000;
const backfillMinutes = Number(process.env.DEMO_BACKFILL_MIN ?? 60);
const attackEveryMs = Number(process.env.DEMO_ATTACK_EVERY_S ?? 60) * 1000;
const dataDir = resolve('.paylens/demo');
const base = `http://127.0.0.1:${port}`;
const say = (line: string) => process.stdout.write(`${line}\n`);

const WEIGHTS: Array<[DemoProvider, number]> = [
  ['stripe', 0.34],
  ['adyen', 0.26],
  ['checkout', 0.15],
  ['paypal', 0.15],
  ['mercadopago', 0.1],
];
function pickProvider(): DemoProvider {
  let r = Math.random();
  for (const [p, w] of WEIGHTS) if ((r -= w) <= 0) return p;
  return 'stripe';
}

async function post(path: string, body: string): Promise<number> {
  try {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_API_KEY}`, 'content-type': 'application/json' },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

async function send(provider: DemoProvider, at: Date, outage: boolean): Promise<number> {
  const sale = randomSale(provider, at, outage);
  // About one delivery in 150 is malformed, so the unprocessed and dead-letter views have work in them.
  return post(
    '/v1/events',
    JSON.stringify(Math.random() < 1 / 150 ? brokenStripePayload(sale) : BUILDERS[provider](sale)),
  );
}

/** Customers the web shop has seen: an account takeover picks its victim among them. */
const webShoppers: Shopper[] = [];

/** A checkout at the web shop by a returning customer, scored before the charge. */
function webCheckout(at: Date, who: Shopper = shopper(randomInt(0, SHOPPERS))): DemoAction {
  if (webShoppers.length < 500) webShoppers.push(who);
  return { at, kind: 'score', body: checkout(who, at) };
}

function perform(action: DemoAction): Promise<number> {
  return action.kind === 'score'
    ? post('/v1/risk/score', JSON.stringify(action.body))
    : post('/v1/events', JSON.stringify(action.payload));
}

function nextAttack(
  n: number,
  at: Date,
  victim: Shopper = webShoppers[randomInt(0, Math.max(1, webShoppers.length))] ?? shopper(0),
): DemoAction[] {
  return attack(ATTACKS[n % ATTACKS.length]!, at, victim);
}

async function waitUp(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`${base}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the server did not start');
}

async function main(): Promise<void> {
  if (!existsSync('web/dist/index.html')) {
    say('Building the dashboard…');
    const build = spawnSync(
      process.execPath,
      ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts'],
      { stdio: 'inherit' },
    );
    if (build.status !== 0) throw new Error('dashboard build failed');
  }
  rmSync(dataDir, { recursive: true, force: true });

  const server = spawn(process.execPath, ['--import', 'tsx', 'src/entrypoints/server.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: process.env.HOST ?? '127.0.0.1',
      PAYLENS_DATA_DIR: dataDir,
      PAYLENS_BOOTSTRAP_API_KEY: DEMO_API_KEY,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      RUN_WORKER_IN_SERVER: 'true',
      ALERT_CHECK_INTERVAL_MS: process.env.ALERT_CHECK_INTERVAL_MS ?? '15000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.on('exit', (code) => process.exit(stopping ? 0 : (code ?? 1)));
  await waitUp();

  say(
    `\n  Paylens demo is running.\n\n    Dashboard  ${base}/\n    API key    ${DEMO_API_KEY}\n    API docs   ${base}/docs\n`,
  );
  say(
    `  Sending ${backfillMinutes} minutes of history, then ~${rate} events/s from ${DEMO_PROVIDERS.join(', ')} and ~${Math.max(1, Math.round(rate / 3))} scored web-shop checkouts/s.`,
  );
  say(`  Outage: ${outageProvider} approvals collapse after ${outageAfterMs / 1000}s for ${outageForMs / 1000}s.`);
  say(`  Attacks every ${attackEveryMs / 1000}s in turn: ${ATTACKS.join(', ')}.  Ctrl-C to stop.\n`);

  // History first, so the charts and the review queue have a shape from the first look; a few requests in flight at once.
  const now = Date.now();
  const history: { at: Date; run: () => Promise<number> }[] = [];
  const ago = () => new Date(now - Math.random() * backfillMinutes * 60_000);
  for (let i = 0; i < backfillMinutes * rate * 10; i++) {
    const at = ago();
    const provider = pickProvider();
    history.push({ at, run: () => send(provider, at, false) });
    if (i % 3 === 0) {
      const action = webCheckout(ago());
      history.push({ at: action.at, run: () => perform(action) });
    }
  }
  // Each attack once in the history, card testing last, a few minutes ago: the Risk page has them at
  // once, and the merchant alert opens at the first check (its burst is in the recent window).
  [1, 2, 0].forEach((n, k) => {
    const start = now - ((2 - k) * Math.min(8, backfillMinutes / 4) + 3) * 60_000;
    // The takeover's victim shopped at the web shop before, as a takeover's victim has.
    const victim = shopper(randomInt(0, SHOPPERS));
    if (ATTACKS[n] === 'account takeover') {
      for (const back of [3, 2, 1]) {
        const before = webCheckout(new Date(start - back * Math.min(10, backfillMinutes / 8) * 60_000), victim);
        history.push({ at: before.at, run: () => perform(before) });
      }
    }
    for (const action of nextAttack(n, new Date(start), victim))
      history.push({ at: action.at, run: () => perform(action) });
  });
  history.sort((a, b) => a.at.getTime() - b.at.getTime());
  for (let i = 0; i < history.length && !stopping; i += 8) {
    await Promise.all(history.slice(i, i + 8).map((h) => h.run()));
  }

  const started = Date.now();
  let sent = 0;
  let failed = 0;
  let announced = false;
  const tick = setInterval(() => {
    if (stopping) return clearInterval(tick);
    const elapsed = Date.now() - started;
    const outage = elapsed >= outageAfterMs && elapsed < outageAfterMs + outageForMs;
    if (outage !== announced) {
      announced = outage;
      say(outage ? `  ⚠ ${outageProvider} outage started` : `  ✓ ${outageProvider} recovered`);
    }
    // Poisson-ish: a varying number of events each 250 ms tick.
    const count = Math.round((rate / 4) * (0.5 + Math.random()));
    const counted = (status: number) => {
      sent += 1;
      if (status < 200 || status >= 300) failed += 1;
    };
    for (let i = 0; i < count; i++) {
      const provider = pickProvider();
      void send(provider, new Date(), outage && provider === outageProvider).then(counted);
      if (Math.random() < 1 / 3) void perform(webCheckout(new Date())).then(counted);
    }
  }, 250);
  let attacks = 0;
  const attackTimer = setInterval(() => {
    if (stopping) return clearInterval(attackTimer);
    const n = attacks++;
    say(`  ⚑ attack: ${ATTACKS[n % ATTACKS.length]}`);
    const start = Date.now();
    for (const action of nextAttack(n, new Date(start)))
      setTimeout(() => void perform(action), action.at.getTime() - start);
  }, attackEveryMs);
  const report = setInterval(() => {
    if (stopping) return clearInterval(report);
    say(
      `  ${new Date().toISOString().slice(11, 19)}  ${sent} events sent live${failed ? `, ${failed} not accepted` : ''}`,
    );
  }, 30_000);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
