import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { charge, stripeEvent } from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { appForSuite, callApi } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

describe.each(storeKinds())('data-lake transactional ids on %s', { timeout: 180_000 }, (store) => {
  const t = appForSuite(store);

  it('finds the events of one transactional id through the events list, by an index on every partition', async () => {
    const transactionalId = randomUUID();
    const ingest = (event: unknown, context?: { transactionalId: string }) =>
      t.container.intake.ingest({
        tenantId: t.tenantId,
        source: 'datalake',
        body: JSON.stringify(event),
        contentType: 'application/json',
        ...(context ? { sourceContext: context } : {}),
      });
    const tagged = stripeEvent('charge.succeeded', charge({ amount: 4321 }));
    await ingest(tagged, { transactionalId });
    await ingest(stripeEvent('charge.succeeded', charge()), { transactionalId: randomUUID() });
    await ingest(stripeEvent('charge.succeeded', charge()));

    const found = await callApi(t, 'GET', `/v1/events?transactionalId=${transactionalId}`);
    expect(found.statusCode).toBe(200);
    const events = found.json<{ data: { providerEventId: string; metadata: Record<string, unknown> }[] }>().data;
    expect(events.map((e) => e.providerEventId)).toEqual([tagged.id]);
    expect(events[0]!.metadata).toMatchObject({ transactionalId });
    // Another tenant does not find it.
    const other = await t.newTenant(`other-${store}`);
    const foreign = await callApi(t, 'GET', `/v1/events?transactionalId=${transactionalId}`, undefined, other.apiKey);
    expect(foreign.json<{ data: unknown[] }>().data).toEqual([]);

    // Each partition (every month and the default) has the index the filter can use.
    const partitions = await sql<{ partition: string; indexed: boolean }>`
      SELECT c.relname AS partition,
             EXISTS (SELECT 1 FROM pg_indexes i WHERE i.tablename = c.relname
                     AND i.indexdef LIKE '%transactionalId%') AS indexed
      FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
      WHERE h.inhparent = 'payment_events'::regclass`.execute(t.container.db);
    expect(partitions.rows.length).toBeGreaterThanOrEqual(4);
    expect(partitions.rows.filter((p) => !p.indexed)).toEqual([]);

    // A tenant with history: 5,000 more events (copies of the untagged one), the statistics taken.
    await sql`
      INSERT INTO payment_events
      SELECT (jsonb_populate_record(pe, jsonb_build_object('id', 'pev_bulk_' || n, 'seq', 1000 + n, 'metadata', '{}'::jsonb))).*
      FROM payment_events pe, generate_series(1, 5000) AS n
      WHERE pe.tenant_id = ${t.tenantId} AND NOT (pe.metadata ? 'transactionalId')`.execute(t.container.db);
    await sql`ANALYZE payment_events`.execute(t.container.db);
    // The list's filter, as payment-event.repository.ts writes it, is planned through that index
    // rather than by walking the tenant's events in time order (what it did without one).
    const explained = await sql<Record<string, string>>`
      EXPLAIN SELECT * FROM payment_events
      WHERE tenant_id = ${t.tenantId} AND metadata ? 'transactionalId' AND metadata->>'transactionalId' = ${transactionalId}
      ORDER BY occurred_at DESC, id DESC LIMIT 51`.execute(t.container.db);
    const plan = explained.rows.map((r) => Object.values(r)[0]).join('\n');
    // Only the new index has the transactional id as a key: an index condition on it is that index
    // (on the month that holds the rows; empty months cost nothing either way).
    expect(plan).toMatch(/Index Cond: .*\(metadata ->> 'transactionalId'::text\) = /);
    expect(plan).not.toMatch(/Seq Scan on payment_events_p\d{4}_\d{2} .*\(cost=0\.00\.\.[1-9]/);
  });
});
