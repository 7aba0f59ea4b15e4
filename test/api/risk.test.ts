import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomerKeyHasher } from '../../src/modules/ingest/customer-key.js';
import {
  charge,
  declinedCharge,
  stripeEvent,
} from '../../src/modules/normalize/connectors/stripe/__fixtures__/stripe-events.js';
import { scoreSimulation } from '../../src/modules/risk/simulation/simulation-runner.js';
import { simulateTraffic } from '../../src/modules/risk/simulation/traffic-simulator.js';
import { defaultRuleSet } from '../../src/modules/risk/rules/rules.js';
import { assessmentSchema } from '../../src/modules/risk/risk.schemas.js';
import { callApi, createTestApp, postEvent, appForSuite } from '../harness/app.js';
import { harnessRedisUrl, storeKinds } from '../harness/stores.js';

const T0 = Date.parse('2026-02-01T10:00:00Z');
let seq = 0;
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const tx = (over: Record<string, unknown> = {}) => ({
  transactionId: `tx_${++seq}`,
  amount: { minor: 2500, currency: 'USD' },
  customer: { email: 'alice@example.com' },
  card: { bin: '424242', last4: '4242', country: 'US' },
  ip: '198.51.100.7',
  ipCountry: 'US',
  deviceId: 'dev-alice',
  merchant: { id: 'shop-1', country: 'US' },
  occurredAt: at(0),
  ...over,
});

describe.each(storeKinds())('risk API on %s', (store) => {
  const auth = () => ({ authorization: `Bearer ${t.apiKey}` });
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, apiKey?: string) =>
    callApi(t, method, url, payload, apiKey);
  const score = (body: unknown, apiKey?: string) => call('POST', '/v1/risk/score', body, apiKey);

  const t = appForSuite(store);

  it('scores a transaction with level, decision, reasons, features and versions', async () => {
    const first = await score(
      tx({
        customer: { email: 'new@example.com' },
        deviceId: 'dev-new',
        card: { bin: '400000', last4: '0001', country: 'US' },
      }),
    );
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body).toMatchObject({
      score: expect.any(Number),
      riskLevel: 'low',
      decision: 'approve',
      modelVersion: null,
      rulesVersion: 0,
      latencyMs: expect.any(Number),
    });
    expect(body.features).toMatchObject({
      first_seen_customer: 1,
      first_seen_card: 1,
      first_seen_device: 1,
      amount_usd: 25,
      customer_count_1h: 0,
    });
    const again = (
      await score(
        tx({
          customer: { email: 'NEW@Example.com' },
          deviceId: 'dev-new',
          card: { bin: '400000', last4: '0001', country: 'US' },
          occurredAt: at(5),
        }),
      )
    ).json();
    expect(again.features).toMatchObject({
      first_seen_customer: 0,
      first_seen_card: 0,
      customer_count_1h: 1,
      customer_amount_usd_1h: 25,
    });
  });

  it('answers exactly the documented assessment shape, one or a batch (the 200 bodies skip the response schema check)', async () => {
    const res = await score(tx({ ipCountry: 'NG', amount: { minor: 990_000, currency: 'USD' } }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(JSON.stringify(assessmentSchema.encode(res.json())));
    const batch = await call('POST', '/v1/risk/score/batch', { transactions: [tx({ ipCountry: 'NG' }), tx()] });
    expect(batch.statusCode).toBe(200);
    expect(batch.body).toBe(
      JSON.stringify({ results: batch.json().results.map((a: unknown) => assessmentSchema.encode(a as never)) }),
    );
  });

  it('declines a card-testing burst with the reason, and records every assessment', async () => {
    const card = { bin: '411111', last4: '1111', country: 'BR' };
    const results = [];
    for (let i = 0; i < 6; i++) {
      results.push(
        (
          await score(
            tx({
              customer: { email: 'tester@evil.example' },
              card,
              ip: '203.0.113.9',
              ipCountry: 'NG',
              deviceId: 'dev-evil',
              amount: { minor: 100, currency: 'USD' },
              occurredAt: at(i),
              outcome: 'declined',
            }),
          )
        ).json(),
      );
    }
    expect(results[0].decision).toBe('approve');
    const last = results.at(-1);
    expect(last.decision).toBe('decline');
    expect(last.riskLevel).toBe('critical');
    expect(last.reasons.map((r: { code: string }) => r.code)).toEqual(
      expect.arrayContaining(['card_testing_card', 'card_testing_customer', 'country_mismatch']),
    );
    expect(last.features).toMatchObject({ card_declines_1h: 5, customer_declines_1h: 5, country_mismatch: 1 });
    await t.container.risk.recorder.flush();
    const rows = await t.container.db
      .selectFrom('risk_assessments')
      .select(['decision', 'features'])
      .where('transaction_id', '=', last.transactionId)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.decision).toBe('decline');
  });

  it('scores a batch in order, each seeing the ones before it', async () => {
    const res = await call('POST', '/v1/risk/score/batch', {
      transactions: [0, 1, 2].map((i) => tx({ customer: { id: 'cus_batch' }, occurredAt: at(100 + i) })),
    });
    expect(res.statusCode).toBe(200);
    expect(
      res.json().results.map((r: { features: { customer_count_1h: number } }) => r.features.customer_count_1h),
    ).toEqual([0, 1, 2]);
    const tooMany = await call('POST', '/v1/risk/score/batch', {
      transactions: Array.from({ length: 1001 }, () => tx()),
    });
    expect(tooMany.statusCode).toBe(422);
  });

  it('answers 422 with the fields at fault for invalid score requests, and 401 without a key', async () => {
    const res = await score({ transactionId: '', amount: { minor: -5, currency: 'DOLLARS' }, ipCountry: 'USA' });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'validation_failed' });
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining(['body.transactionId', 'body.amount.minor', 'body.amount.currency', 'body.ipCountry']),
    );
    expect((await t.app.inject({ method: 'POST', url: '/v1/risk/score', payload: tx() })).statusCode).toBe(401);
  });

  it('block lists decline with the reason, allow lists approve, removal and expiry lift them, all audited', async () => {
    const blocked = await call('POST', '/v1/lists', {
      type: 'ip',
      value: '192.0.2.66',
      action: 'block',
      reason: 'botnet exit node',
    });
    expect(blocked.statusCode).toBe(201);
    expect(
      (await call('POST', '/v1/lists', { type: 'ip', value: '192.0.2.66', action: 'block', reason: 'again' }))
        .statusCode,
    ).toBe(409);
    const hit = (await score(tx({ ip: '192.0.2.66', occurredAt: at(200) }))).json();
    expect(hit).toMatchObject({ decision: 'decline', score: 1 });
    expect(hit.reasons[0]).toMatchObject({ code: 'list_block', message: expect.stringContaining('botnet exit node') });

    // Allow by email (matched through the customer key hash) overrides a card-testing verdict.
    await call('POST', '/v1/lists', {
      type: 'email',
      value: 'Trusted@Example.com',
      action: 'allow',
      reason: 'VIP customer',
    });
    let last;
    for (let i = 0; i < 6; i++)
      last = (
        await score(
          tx({
            customer: { email: 'trusted@example.com' },
            card: { bin: '555555', last4: '4444', country: 'GB' },
            ipCountry: 'NG',
            outcome: 'declined',
            occurredAt: at(300 + i),
          }),
        )
      ).json();
    expect(last.decision).toBe('approve');
    expect(last.riskLevel).toBe('critical');
    expect(last.reasons[0].code).toBe('list_allow');

    await call('POST', '/v1/lists', {
      type: 'device',
      value: 'dev-old',
      action: 'block',
      reason: 'expired ban',
      expiresAt: '2020-01-01T00:00:00Z',
    });
    expect((await score(tx({ deviceId: 'dev-old', occurredAt: at(400) }))).json().decision).toBe('approve');

    const list = (await call('GET', '/v1/lists?action=block')).json().data;
    expect(list.map((e: { value: string }) => e.value).sort()).toEqual(['192.0.2.66', 'dev-old']);
    const removed = await call('DELETE', `/v1/lists/${blocked.json().id}`);
    expect(removed.statusCode).toBe(200);
    expect((await call('DELETE', `/v1/lists/${blocked.json().id}`)).statusCode).toBe(404);
    expect((await score(tx({ ip: '192.0.2.66', occurredAt: at(500) }))).json().decision).toBe('approve');

    const keyId = (await t.container.apiKeys.list(t.tenantId))[0]!.id;
    const audit = (await call('GET', '/v1/lists/audit')).json().data;
    expect(audit.map((a: { operation: string; value: string }) => `${a.operation} ${a.value}`)).toEqual([
      'remove 192.0.2.66',
      'add dev-old',
      'add Trusted@Example.com',
      'add 192.0.2.66',
    ]);
    expect(
      audit.every((a: { actor: string; at: string }) => a.actor === keyId && !Number.isNaN(Date.parse(a.at))),
    ).toBe(true);
    expect(
      (await call('POST', '/v1/lists', { type: 'phone', value: 'x', action: 'block', reason: 'r' })).statusCode,
    ).toBe(422);
  });

  it('lists stored assessments newest first, filters and pages them, and shows one transaction with its label', async () => {
    const other = await t.newTenant(`assessments-${store}`);
    const as = (method: 'GET' | 'POST', url: string, body?: unknown) => call(method, url, body, other.apiKey);
    await as('POST', '/v1/lists', { type: 'ip', value: '203.0.113.66', action: 'block', reason: 'proxy farm' });
    const first = tx({ occurredAt: at(0) });
    const blocked = tx({ ip: '203.0.113.66', occurredAt: at(1) });
    const later = tx({ occurredAt: at(2) });
    const scoringFrom = Date.now();
    for (const body of [first, blocked, later, { ...first, occurredAt: at(3) }])
      expect((await as('POST', '/v1/risk/score', body)).statusCode).toBe(200);
    expect(
      (await as('POST', '/v1/risk/labels', { transactionId: later.transactionId, label: 'legit' })).statusCode,
    ).toBe(201);

    const all = (await as('GET', '/v1/risk/assessments')).json();
    expect(all.nextCursor).toBeNull();
    expect(all.data.map((a: { transactionId: string; occurredAt: string }) => [a.transactionId, a.occurredAt])).toEqual(
      [
        [first.transactionId, at(3)],
        [later.transactionId, at(2)],
        [blocked.transactionId, at(1)],
        [first.transactionId, at(0)],
      ],
    );
    expect(all.data[2]).toMatchObject({
      id: expect.stringMatching(/^rsk_/),
      source: 'api',
      eventId: null,
      decision: 'decline',
      score: 1,
      label: null,
      amountUsdMinor: 2500,
    });
    expect(all.data[2].reasons[0]).toMatchObject({
      code: 'list_block',
      message: expect.stringContaining('proxy farm'),
    });
    expect(all.data[1]).toMatchObject({
      label: 'legit',
      decision: 'approve',
      rulesVersion: 0,
      modelVersion: null,
      modelScore: null,
    });
    expect(all.data[0].features).toMatchObject({ customer_count_1h: 3, first_seen_customer: 0, list_block: 0 });
    // Scored now, about events of 2026-02-01: the scoring time is its own column, in scoring order.
    const scoredAt = all.data.map((a: { scoredAt: string }) => Date.parse(a.scoredAt));
    expect(scoredAt.every((ms: number) => ms >= scoringFrom - 1 && ms <= Date.now())).toBe(true);
    expect(scoredAt[0]).toBeGreaterThanOrEqual(scoredAt[3]);

    const ids = (query: string) =>
      as('GET', `/v1/risk/assessments?${query}`).then((r) =>
        r.json().data.map((a: { transactionId: string }) => a.transactionId),
      );
    expect(await ids('decision=decline')).toEqual([blocked.transactionId]);
    expect(await ids('labeled=true')).toEqual([later.transactionId]);
    expect(await ids('labeled=false')).toEqual([first.transactionId, blocked.transactionId, first.transactionId]);
    expect(await ids(`from=${at(1)}&to=${at(3)}`)).toEqual([later.transactionId, blocked.transactionId]);
    expect(await ids('source=ingest')).toEqual([]);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: string }[]; nextCursor: string | null } = (
        await as('GET', `/v1/risk/assessments?limit=1${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      expect(page.data).toHaveLength(1);
      paged.push(page.data[0]!.id);
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.data.map((a: { id: string }) => a.id));
    const badCursor = await as('GET', '/v1/risk/assessments?cursor=bm9wZQ');
    expect(badCursor.statusCode).toBe(422);
    expect(badCursor.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'querystring.cursor' }] });
    expect((await as('GET', '/v1/risk/assessments?decision=maybe')).statusCode).toBe(422);

    const history = (await as('GET', `/v1/risk/assessments/${first.transactionId}`)).json();
    expect(history).toMatchObject({ transactionId: first.transactionId, label: null });
    expect(history.assessments.map((a: { occurredAt: string }) => a.occurredAt)).toEqual([at(3), at(0)]);
    expect((await as('GET', `/v1/risk/assessments/${later.transactionId}`)).json().label).toBe('legit');
    expect((await as('GET', '/v1/risk/assessments/no-such-tx')).statusCode).toBe(404);
    // Another tenant sees none of it.
    expect((await call('GET', `/v1/risk/assessments/${first.transactionId}`)).statusCode).toBe(404);
    const mine = (await call('GET', '/v1/risk/assessments?limit=500'))
      .json()
      .data.map((a: { transactionId: string }) => a.transactionId);
    expect(mine).not.toContain(blocked.transactionId);
  });

  it('versions rule sets per tenant, validates them (422) and scores with the newest', async () => {
    const current = (await call('GET', '/v1/risk/rules')).json();
    expect(current).toMatchObject({ version: 0, ruleSet: { thresholds: { medium: 0.3, high: 0.5, critical: 0.8 } } });
    expect(current.ruleSet.rules.length).toBe(defaultRuleSet.rules.length);

    const invalid = await call('PUT', '/v1/risk/rules', {
      rules: [{ id: 'x', feature: 'shoe_size', op: 'gt', value: 1, weight: 2, message: 'm' }],
      thresholds: { medium: 0.6, high: 0.5, critical: 0.9 },
    });
    expect(invalid.statusCode).toBe(422);
    const fields = invalid.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.rules.0.feature', 'body.rules.0.weight', 'body.thresholds']));

    const strict = {
      ...defaultRuleSet,
      rules: [
        ...defaultRuleSet.rules,
        {
          id: 'any_amount',
          feature: 'amount_usd',
          op: 'gte',
          value: 0,
          weight: 0.55,
          message: 'Everything is reviewed',
        },
      ],
    };
    const racer = await t.newTenant(`rules-race-${store}`);
    const racing = await Promise.all(
      Array.from({ length: 8 }, () => call('PUT', '/v1/risk/rules', defaultRuleSet, racer.apiKey)),
    );
    // Writers that read the same latest version race for the next number: one wins it, the others
    // are told to reread (409), never a 500; every 200 is its own stored version.
    const won = racing.filter((r) => r.statusCode === 200);
    expect(won.length).toBeGreaterThan(0);
    for (const lost of racing.filter((r) => r.statusCode !== 200))
      expect(lost.json()).toMatchObject({ status: 409, code: 'conflict' });
    const stored = (await call('GET', '/v1/risk/rules/versions', undefined, racer.apiKey)).json().data;
    expect(stored.map((v: { version: number }) => v.version).sort()).toEqual(
      [0, ...won.map((r) => r.json().version)].sort(),
    );
    const v1 = await call('PUT', '/v1/risk/rules', strict);
    expect(v1.statusCode).toBe(200);
    expect(v1.json()).toMatchObject({ version: 1, createdBy: expect.stringMatching(/^key_/) });
    const reviewed = (await score(tx({ occurredAt: at(600) }))).json();
    expect(reviewed).toMatchObject({ rulesVersion: 1, decision: 'review' });
    expect(reviewed.reasons.map((r: { code: string }) => r.code)).toContain('any_amount');

    const v2 = await call('PUT', '/v1/risk/rules', {
      rules: [],
      thresholds: { medium: 0.2, high: 0.6, critical: 0.9 },
    });
    expect(v2.json().version).toBe(2);
    const versions = (await call('GET', '/v1/risk/rules/versions')).json().data;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([2, 1, 0]);
    expect(versions[1].ruleSet.rules.map((r: { id: string }) => r.id)).toContain('any_amount');
    expect((await score(tx({ occurredAt: at(601) }))).json()).toMatchObject({
      rulesVersion: 2,
      decision: 'approve',
      reasons: [],
    });

    const other = await t.newTenant(`rules-other-${store}`);
    expect((await call('GET', '/v1/risk/rules', undefined, other.apiKey)).json().version).toBe(0);
    await call('PUT', '/v1/risk/rules', defaultRuleSet);
  });

  it('labels scored transactions (404 for unknown ones) and backtests a candidate rule set against them', async () => {
    const tenant = await t.newTenant(`backtest-${store}`);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      // Four unrelated customers (one device, card and IP each): shared ones would be new-account fraud signals.
      const own = {
        deviceId: `dev-bt${i}`,
        card: { bin: '424242', last4: `100${i}`, country: 'US' },
        ip: `198.51.100.${20 + i}`,
      };
      const res = (
        await score(
          tx({ customer: { id: `cus_bt${i}` }, ...own, ipCountry: i < 2 ? 'NG' : 'US', occurredAt: at(700 + i) }),
          tenant.apiKey,
        )
      ).json();
      ids.push(res.transactionId);
    }
    const label = (transactionId: string, value: string) =>
      call('POST', '/v1/risk/labels', { transactionId, label: value }, tenant.apiKey);
    expect((await label(ids[0]!, 'fraud')).statusCode).toBe(201);
    expect((await label(ids[1]!, 'legit')).statusCode).toBe(201);
    expect((await label(ids[2]!, 'chargeback')).json()).toEqual({ transactionId: ids[2], label: 'chargeback' });
    expect((await label(ids[2]!, 'legit')).statusCode).toBe(201);
    expect((await label('tx_never_scored', 'fraud')).statusCode).toBe(404);
    expect((await label(ids[3]!, 'maybe')).statusCode).toBe(422);

    const candidate = {
      ...defaultRuleSet,
      rules: defaultRuleSet.rules.map((r) => (r.id === 'country_mismatch' ? { ...r, weight: 0.85 } : r)),
    };
    const res = await call('POST', '/v1/risk/rules/backtest', { ruleSet: candidate }, tenant.apiKey);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      transactions: 4,
      labeled: 3,
      changed: 2,
      transitions: { 'approve->decline': 2 },
      before: { decisions: { approve: 4, review: 0, decline: 0 }, flagged: { precision: null, recall: 0 } },
      after: { decisions: { approve: 2, review: 0, decline: 2 }, declined: { precision: 0.5, recall: 1 } },
    });
    expect(
      (await call('POST', '/v1/risk/rules/backtest', { ruleSet: { rules: 'nope' } }, tenant.apiKey)).statusCode,
    ).toBe(422);
  });

  it('scores ingested authorizations and sales inline; the verdict is stored with the event', async () => {
    const email = { billing_details: { email: 'inline@example.com', name: 'In Line' } };
    let last;
    for (let i = 0; i < 4; i++) {
      const res = await postEvent(
        t,
        stripeEvent('charge.failed', declinedCharge('do_not_honor', email), { created: 1732445000 + i * 60 }),
      );
      expect(res.statusCode).toBe(201);
      last = res.json().events[0];
    }
    expect(last.risk).toMatchObject({
      decision: expect.any(String),
      rulesVersion: expect.any(Number),
      modelVersion: null,
    });
    expect(last.risk.reasons.map((r: { code: string }) => r.code)).toContain('card_testing_customer');
    const read = (await t.app.inject({ method: 'GET', url: `/v1/events/${last.id}`, headers: auth() })).json();
    expect(read.risk).toEqual(last.risk);
    const rows = await t.container.db
      .selectFrom('risk_assessments')
      .select(['event_id', 'source', 'score'])
      .where('event_id', '=', last.id)
      .execute();
    expect(rows).toEqual([{ event_id: last.id, source: 'ingest', score: last.risk.score }]);
    const listed = (
      await t.app.inject({ method: 'GET', url: '/v1/risk/assessments?source=ingest&limit=1', headers: auth() })
    ).json().data;
    expect(listed).toEqual([
      expect.objectContaining({
        eventId: last.id,
        source: 'ingest',
        score: last.risk.score,
        decision: last.risk.decision,
      }),
    ]);

    const ok = (await postEvent(t, stripeEvent('charge.succeeded', charge(email)))).json().events[0];
    expect(ok.risk).toMatchObject({ score: expect.any(Number), riskLevel: expect.any(String) });
  });

  it('trains a model on labeled history; scoring then blends it and evaluation reports it', async () => {
    const tenant = await t.newTenant(`model-${store}`);
    const traffic = simulateTraffic({ customers: 60, days: 6, fraudRate: 0.08, seed: 5 });
    await scoreSimulation(t.container.risk, tenant.tenantId, traffic, t.container.customerKey);
    const trained = await t.container.risk.service.train(tenant.tenantId, {});
    expect(trained?.model.version).toBe(1);
    expect(trained?.model.trainingSize).toBe(traffic.length);
    expect(trained?.training.rocAuc).toBeGreaterThan(0.9);
    const scored = (
      await score(tx({ customer: { id: 'cus_after_model' }, occurredAt: '2026-01-08T00:00:00Z' }), tenant.apiKey)
    ).json();
    expect(scored.modelVersion).toBe(1);
    const report = await t.container.risk.service.evaluate(tenant.tenantId, {});
    expect(report.map((r) => [r.rulesVersion, r.modelVersion, r.basis])).toEqual([
      [0, null, 'as scored'],
      [0, 1, 'rescored with the active configuration'],
    ]);
    expect(report[1]!.rocAuc).toBeGreaterThan(report[0]!.rocAuc! - 0.05);
    expect(report[0]!.transactions).toBe(traffic.length);

    // A second version, then a rollback to the first: listed with metrics, and scoring follows the active one.
    expect(
      (await t.container.risk.service.train(tenant.tenantId, { to: new Date('2026-01-06T00:00:00Z') }))?.model.version,
    ).toBe(2);
    const models = (await call('GET', '/v1/risk/models', undefined, tenant.apiKey)).json().data;
    expect(models.map((m: { version: number; active: boolean }) => [m.version, m.active])).toEqual([
      [2, true],
      [1, false],
    ]);
    expect(models[1]).toMatchObject({
      trainingSize: traffic.length,
      metrics: { training: { rocAuc: expect.any(Number) } },
      model: { featureNames: expect.arrayContaining(['card_declines_1h']) },
    });
    expect(models[0].trainingSize).toBeLessThan(traffic.length);
    expect(
      (await score(tx({ customer: { id: 'cus_v2' }, occurredAt: '2026-01-08T00:01:00Z' }), tenant.apiKey)).json()
        .modelVersion,
    ).toBe(2);
    const rolledBack = await call('POST', '/v1/risk/models/1/activate', undefined, tenant.apiKey);
    expect(rolledBack.json()).toMatchObject({ version: 1, active: true });
    expect(
      (await score(tx({ customer: { id: 'cus_v1' }, occurredAt: '2026-01-08T00:02:00Z' }), tenant.apiKey)).json()
        .modelVersion,
    ).toBe(1);
    expect(
      (await call('GET', '/v1/risk/models', undefined, tenant.apiKey))
        .json()
        .data.filter((m: { active: boolean }) => m.active)
        .map((m: { version: number }) => m.version),
    ).toEqual([1]);
    expect((await call('POST', '/v1/risk/models/9/activate', undefined, tenant.apiKey)).statusCode).toBe(404);
    expect((await call('POST', '/v1/risk/models/1/activate')).statusCode).toBe(404);
    expect((await call('POST', '/v1/risk/models/latest/activate', undefined, tenant.apiKey)).statusCode).toBe(422);
  });
});

describe('risk API with REDIS_URL', { tags: ['redis'] }, () => {
  it('keeps the velocity history in Redis, shared by two instances', { timeout: 120_000 }, async () => {
    const redisUrl = harnessRedisUrl();
    const a = await createTestApp('pglite', { REDIS_URL: redisUrl });
    const b = await createTestApp('pglite', { REDIS_URL: redisUrl });
    try {
      expect(a.container.risk.velocity.kind).toBe('redis');
      const body = (i: number) => JSON.stringify(tx({ customer: { id: 'cus_shared' }, occurredAt: at(900 + i) }));
      const first = await a.app.inject({
        method: 'POST',
        url: '/v1/risk/score',
        headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/json' },
        payload: body(0),
      });
      const second = await a.app.inject({
        method: 'POST',
        url: '/v1/risk/score',
        headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/json' },
        payload: body(1),
      });
      expect(first.json().features.customer_count_1h).toBe(0);
      expect(second.json().features.customer_count_1h).toBe(1);
      // Instance b reads the same Redis under a's tenant id: the history is shared, not per process.
      const hash = createCustomerKeyHasher('test-salt-0123456789');
      const snapshot = await b.container.risk.velocity.observe({
        tenantId: a.tenantId,
        transactionId: 'probe',
        at: T0 + 902 * 60_000,
        amountUsdMinor: 1,
        declined: false,
        customer: hash('id', 'cus_shared'),
        card: null,
        device: null,
        ip: null,
        merchant: null,
      });
      expect(snapshot.customer.count1h).toBe(2);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('risk CLI: simulate → train → evaluate', () => {
  const run = promisify(execFile);
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'paylens-risk-cli-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'generates deterministic labeled traffic, trains a model version on it and evaluates per version',
    { timeout: 180_000 },
    async () => {
      const env = {
        ...process.env,
        PAYLENS_DATA_DIR: dir,
        LOG_LEVEL: 'silent',
        PAYLENS_CUSTOMER_KEY_SALT: 'test-salt-0123456789',
        DATABASE_URL: '',
        REDIS_URL: '',
      };
      const cli = (...args: string[]) =>
        run(process.execPath, ['--import', 'tsx', 'src/entrypoints/cli.ts', ...args], { env, timeout: 120_000 });
      const expected = simulateTraffic({ customers: 60, days: 4, fraudRate: 0.06, seed: 8 });
      const sim = await cli(
        'simulate',
        '--customers',
        '60',
        '--days',
        '4',
        '--fraud-rate',
        '0.06',
        '--seed',
        '8',
        '--tenant',
        'lab',
      );
      expect(sim.stdout).toContain(
        `generated ${expected.length} transactions, ${expected.filter((t) => t.label === 'fraud').length} fraudulent`,
      );

      const trained = JSON.parse((await cli('train', '--tenant', 'lab', '--json')).stdout);
      expect(trained).toMatchObject({
        version: 1,
        trainingSize: expected.length,
        model: { featureNames: expect.arrayContaining(['card_declines_1h']) },
      });
      expect(trained.training.rocAuc).toBeGreaterThan(0.9);

      const report = JSON.parse((await cli('evaluate', '--tenant', 'lab', '--json')).stdout);
      expect(
        report.map((r: { rulesVersion: number; modelVersion: number | null }) => [r.rulesVersion, r.modelVersion]),
      ).toEqual([
        [0, null],
        [0, 1],
      ]);
      expect(report[0]).toMatchObject({
        transactions: expected.length,
        rocAuc: expect.any(Number),
        prAuc: expect.any(Number),
        review: { threshold: 0.5 },
        decline: { threshold: 0.8 },
      });

      const missing = await cli('train', '--tenant', 'nobody').catch((e: { code: number; stderr: string }) => e);
      expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('no tenant named nobody') });
      const bad = await cli('simulate', '--customers', 'many', '--days', '1', '--fraud-rate', '0.1').catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--customers') });
    },
  );

  it('--post sends the traffic to a running Paylens (batch scores, then labels)', { timeout: 120_000 }, async () => {
    const t = await createTestApp('pglite');
    try {
      const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
      const env = { ...process.env, LOG_LEVEL: 'silent' };
      const args = [
        '--import',
        'tsx',
        'src/entrypoints/cli.ts',
        'simulate',
        '--customers',
        '20',
        '--days',
        '2',
        '--fraud-rate',
        '0.1',
        '--seed',
        '4',
        '--post',
        address,
        '--api-key',
        t.apiKey,
      ];
      const { stdout } = await run(process.execPath, args, { env, timeout: 100_000 });
      const expected = simulateTraffic({ customers: 20, days: 2, fraudRate: 0.1, seed: 4 });
      expect(stdout).toContain('scored over HTTP');
      await t.container.risk.recorder.flush();
      const labeled = await t.container.risk.repo.assessments(t.tenantId, { labeledOnly: true });
      expect(labeled).toHaveLength(expected.length);
      expect(labeled.filter((a) => a.label === 'fraud')).toHaveLength(
        expected.filter((e) => e.label === 'fraud').length,
      );
    } finally {
      await t.close();
    }
  });
});
