import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { appForSuite, callApi } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

interface Entry {
  seq: number;
  id: string;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

describe.each(storeKinds())('audit log on %s', (store) => {
  const t = appForSuite(store);

  const call = (apiKey: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    callApi(t, method, url, payload, apiKey);
  const entries = async (apiKey: string, query = ''): Promise<Entry[]> =>
    (await call(apiKey, 'GET', `/v1/audit${query}`)).json().data;
  const keyIdOf = async (tenantId: string) => (await t.container.apiKeys.list(tenantId))[0]!.id;

  it('records who changed what through the API, newest first, without secrets, and not reads, scores or failures', async () => {
    const tenant = await t.newTenant(`audit-${store}`);
    const actor = await keyIdOf(tenant.tenantId);
    const created = (await call(tenant.apiKey, 'POST', '/v1/api-keys', { name: 'ci' })).json();
    const entry = (
      await call(tenant.apiKey, 'POST', '/v1/lists', {
        type: 'ip',
        value: '192.0.2.1',
        action: 'block',
        reason: 'audit test',
      })
    ).json();
    expect(
      (
        await call(
          tenant.apiKey,
          'PUT',
          '/v1/risk/rules',
          (await call(tenant.apiKey, 'GET', '/v1/risk/rules')).json().ruleSet,
        )
      ).statusCode,
    ).toBe(200);
    expect((await call(tenant.apiKey, 'DELETE', `/v1/lists/${entry.id}`)).statusCode).toBe(200);
    expect((await call(tenant.apiKey, 'DELETE', `/v1/api-keys/${created.apiKey.id}`)).statusCode).toBe(200);
    // Not audited: failures, reads and the data plane.
    expect((await call(tenant.apiKey, 'DELETE', `/v1/lists/${entry.id}`)).statusCode).toBe(404);
    expect((await call(tenant.apiKey, 'POST', '/v1/risk/models/3/activate')).statusCode).toBe(404);
    expect(
      (
        await call(tenant.apiKey, 'POST', '/v1/risk/score', {
          transactionId: 'a1',
          amount: { minor: 100, currency: 'USD' },
        })
      ).statusCode,
    ).toBe(200);

    const log = await entries(tenant.apiKey);
    expect(log.map((e) => [e.seq, e.action, e.target])).toEqual([
      [5, 'api_key.revoke', created.apiKey.id],
      [4, 'list_entry.remove', entry.id],
      [3, 'risk_rules.update', '1'],
      [2, 'list_entry.add', entry.id],
      [1, 'api_key.create', created.apiKey.id],
    ]);
    expect(log.every((e) => e.actor === actor)).toBe(true);
    expect(log[0]!.details).toMatchObject({
      method: 'DELETE',
      route: '/v1/api-keys/:id',
      status: 200,
      requestId: expect.stringMatching(/^req_/),
    });
    expect(JSON.stringify(log)).not.toContain(created.secret);
    expect(log[1]!.prevHash).toBe(log[2]!.hash);

    expect((await entries(tenant.apiKey, '?action=list_entry.add')).map((e) => e.seq)).toEqual([2]);
    const first = (await call(tenant.apiKey, 'GET', '/v1/audit?limit=2')).json();
    const second = (await call(tenant.apiKey, 'GET', `/v1/audit?limit=2&cursor=${first.nextCursor}`)).json();
    expect([...first.data, ...second.data].map((e: Entry) => e.seq)).toEqual([5, 4, 3, 2]);
    expect((await call(tenant.apiKey, 'GET', '/v1/audit?cursor=bm9wZQ')).statusCode).toBe(422);

    // Another tenant's log holds none of it.
    expect((await entries(t.apiKey)).map((e) => e.target)).not.toContain(entry.id);
    expect(await call(tenant.apiKey, 'GET', '/v1/audit/verify').then((r) => r.json())).toEqual({
      valid: true,
      entries: 5,
      last: { seq: 5, hash: log[0]!.hash },
      broken: null,
    });
  });

  it('keeps one unbroken chain under concurrent changes, and verify finds an edited or removed entry', async () => {
    const tenant = await t.newTenant(`audit-chain-${store}`);
    const added = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(tenant.apiKey, 'POST', '/v1/lists', {
          type: 'device',
          value: `dev-${i}`,
          action: 'block',
          reason: 'burst',
        }),
      ),
    );
    expect(added.every((r) => r.statusCode === 201)).toBe(true);
    const verify = async () => (await call(tenant.apiKey, 'GET', '/v1/audit/verify')).json();
    expect(await verify()).toMatchObject({ valid: true, entries: 12, broken: null });
    expect((await entries(tenant.apiKey)).map((e) => e.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );

    const db = t.container.db;
    await sql`UPDATE audit_log SET details = jsonb_set(details, '{status}', '200') WHERE tenant_id = ${tenant.tenantId} AND seq = 7`.execute(
      db,
    );
    expect(await verify()).toEqual({
      valid: false,
      entries: 6,
      last: { seq: 6, hash: expect.any(String) },
      broken: { seq: 7, reason: 'hash mismatch' },
    });
    await sql`DELETE FROM audit_log WHERE tenant_id = ${tenant.tenantId} AND seq = 3`.execute(db);
    expect((await verify()).broken).toEqual({ seq: 4, reason: 'sequence gap' });
  });
});
