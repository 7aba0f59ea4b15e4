import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createContainer, type Container } from '../../src/container.js';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { loadConfig } from '../../src/platform/config/config.js';
import type { App } from '../../src/platform/http/types.js';
import { createPostgresDatabase, storeKinds } from '../harness/stores.js';
import { runCli } from './run-cli.js';

const JANE = 'Jane.Doe@Example.com';

interface Opened {
  app: App;
  container: Container;
  call(method: 'GET' | 'POST', url: string, payload?: unknown): Promise<Awaited<ReturnType<App['inject']>>>;
  close(): Promise<void>;
}

async function open(env: Record<string, string>, apiKey: () => string): Promise<Opened> {
  const container = await createContainer(
    loadConfig({ LOG_LEVEL: 'silent', PAYLENS_CUSTOMER_KEY_SALT: 'erase-test-salt-0123456789', ...env }),
  );
  const app = await buildApp(container, { logger: false });
  await app.ready();
  return {
    app,
    container,
    call: (method, url, payload) =>
      app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${apiKey()}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      }),
    close: async () => {
      await app.close();
      await container.close();
    },
  };
}

async function countRows(c: Container, table: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(c.db);
  return Number(rows[0]?.n ?? 0);
}

describe.each(storeKinds())('paylens erase on %s', { timeout: 300_000 }, (store) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paylens-erase-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("removes one customer's events, payloads, payments, assessments, labels and list entries, says how many, and audits it", async () => {
    const env: Record<string, string> =
      store === 'postgres' ? { DATABASE_URL: await createPostgresDatabase() } : { PAYLENS_DATA_DIR: dataDir };
    let apiKey = '';
    const first = await open(env, () => apiKey);
    const tenant = await first.container.tenants.create('acme');
    apiKey = (await first.container.apiKeys.issue(tenant!.id, 'test')).secret;

    // Jane makes two payments, Bob one; a payload nothing could read names Jane.
    const janeCharges = [charge({ payment_intent: 'pi_Jane1' }), charge({ payment_intent: 'pi_Jane2' })];
    const bob = charge({
      payment_intent: 'pi_Bob1',
      customer: 'cus_Bob',
      billing_details: { email: 'bob@shop.example', name: 'Bob' },
    });
    const ids: Record<string, string[]> = { jane: [], bob: [] };
    for (const [who, object] of [
      ['jane', janeCharges[0]],
      ['jane', janeCharges[1]],
      ['bob', bob],
    ] as const) {
      const res = await first.call('POST', '/v1/events', stripeEvent('charge.succeeded', object!));
      expect(res.statusCode).toBe(201);
      ids[who]!.push(res.json().events[0].id);
    }
    const deadLetter = await first.call('POST', '/v1/events', { note: 'unreadable', contact: JANE.toLowerCase() });
    expect(deadLetter.statusCode).toBeLessThan(300);
    await first.container.risk.recorder.flush();
    const { transaction_id: janePayment } = await first.container.db
      .selectFrom('risk_assessments')
      .select('transaction_id')
      .where('event_id', '=', ids.jane![0]!)
      .executeTakeFirstOrThrow();
    expect(
      (await first.call('POST', '/v1/risk/labels', { transactionId: janePayment, label: 'fraud' })).statusCode,
    ).toBe(201);
    expect(
      (
        await first.call('POST', '/v1/lists', {
          type: 'email',
          value: JANE,
          action: 'block',
          reason: 'chargebacks',
        })
      ).statusCode,
    ).toBe(201);
    const before = {
      raw_events: await countRows(first.container, 'raw_events'),
      payment_events: await countRows(first.container, 'payment_events'),
      payments: await countRows(first.container, 'payments'),
      risk_assessments: await countRows(first.container, 'risk_assessments'),
    };
    expect(before).toEqual({ raw_events: 4, payment_events: 3, payments: 3, risk_assessments: 3 });
    // The embedded store is one process's: the server stops before the CLI opens it.
    if (store === 'pglite') await first.close();

    const erased = await runCli(['erase', '--tenant', 'acme', '--customer', JANE, '--json'], {
      ...env,
      PAYLENS_CUSTOMER_KEY_SALT: 'erase-test-salt-0123456789',
    });
    expect(erased.code, erased.stderr).toBe(0);
    const report = JSON.parse(erased.stdout);
    expect(report.removed).toMatchObject({
      payment_events: 2,
      raw_events: 3,
      raw_event_keys: 3,
      payments: 2,
      risk_assessments: 2,
      risk_labels: 1,
      risk_lists: 1,
      risk_list_audit: 1,
    });
    expect(report.customerKeys).toEqual([expect.stringMatching(/^ck_[0-9a-f]{32}$/)]);

    const after = store === 'pglite' ? await open(env, () => apiKey) : first;
    try {
      for (const id of ids.jane!) expect((await after.call('GET', `/v1/events/${id}`)).statusCode).toBe(404);
      expect((await after.call('GET', `/v1/events/${ids.bob![0]}`)).statusCode).toBe(200);
      expect(await countRows(after.container, 'raw_events')).toBe(1);
      expect(await countRows(after.container, 'payments')).toBe(1);
      expect(await countRows(after.container, 'risk_assessments')).toBe(1);
      expect(await countRows(after.container, 'risk_labels')).toBe(0);
      expect((await after.call('GET', '/v1/lists')).json().data).toEqual([]);
      // Nothing stored still names her.
      for (const table of ['raw_events', 'risk_list_audit', 'audit_log']) {
        const { rows } = await sql<{ n: string }>`
          SELECT count(*) AS n FROM ${sql.table(table)} t WHERE lower(t::text) LIKE ${`%${JANE.toLowerCase()}%`}`.execute(
          after.container.db,
        );
        expect(Number(rows[0]?.n), table).toBe(0);
      }

      const audit = await after.call('GET', '/v1/audit?action=customer.erase');
      expect(audit.statusCode).toBe(200);
      const [entry] = audit.json().data;
      expect(entry).toMatchObject({ actor: 'cli', action: 'customer.erase', target: report.customerKeys[0] });
      expect(entry.details.removed).toEqual(report.removed);
      expect((await after.call('GET', '/v1/audit/verify')).json().valid).toBe(true);

      // Erasing again finds nothing.
      if (store === 'pglite') await after.close();
      const again = await runCli(['erase', '--tenant', 'acme', '--customer', JANE, '--json'], {
        ...env,
        PAYLENS_CUSTOMER_KEY_SALT: 'erase-test-salt-0123456789',
      });
      expect(again.code, again.stderr).toBe(0);
      const nothing = JSON.parse(again.stdout).removed;
      expect(nothing.payment_events + nothing.raw_events + nothing.payments + nothing.risk_assessments).toBe(0);
    } finally {
      if (store === 'postgres') await after.close();
    }
  });

  it('refuses an unknown tenant and a missing customer', async () => {
    const env: Record<string, string> =
      store === 'postgres' ? { DATABASE_URL: await createPostgresDatabase() } : { PAYLENS_DATA_DIR: dataDir };
    const unknown = await runCli(['erase', '--tenant', 'nobody', '--customer', JANE], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no tenant named nobody');
    const missing = await runCli(['erase', '--tenant', 'acme'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--customer');
  });
});
