import { describe, expect, it } from 'vitest';
import { appForSuite, callApi } from '../harness/app.js';
import { storeKinds } from '../harness/stores.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');

/** A small deterministic generator (LCG), so the history is the same on every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Ten days of labelled traffic where fraud is a 440–470 USD ticket on a card seen before, which
 * no default rule looks at: rules alone rank it at chance, a model learns it from the amount.
 */
function history(seed: number, count = 400) {
  const rnd = lcg(seed);
  return Array.from({ length: count }, (_, i) => {
    const fraud = i % 8 === 3;
    const dollars = fraud
      ? 440 + Math.floor(rnd() * 30)
      : rnd() < 0.5
        ? 20 + Math.floor(rnd() * 380)
        : 520 + Math.floor(rnd() * 380);
    return {
      request: {
        transactionId: `hist_${seed}_${i}`,
        amount: { minor: dollars * 100, currency: 'USD' },
        customer: { id: `cus_${seed}_${i}` },
        card: { bin: '424242', last4: String(1000 + (i % 9000)), country: 'US' },
        ip: `198.51.${i % 200}.${(i * 7) % 250}`,
        ipCountry: 'US',
        merchant: { id: 'shop-1', country: 'US' },
        occurredAt: new Date(T0 + (i / count) * 10 * DAY).toISOString(),
      },
      label: fraud ? 'fraud' : 'legit',
    };
  });
}

describe.each(storeKinds())('model training on the running server (%s)', (store) => {
  const t = appForSuite(store);

  const call = (apiKey: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    callApi(t, method, url, payload, apiKey);

  async function seed(apiKey: string, rows: ReturnType<typeof history>) {
    const scored = await call(apiKey, 'POST', '/v1/risk/score/batch', { transactions: rows.map((r) => r.request) });
    expect(scored.statusCode).toBe(200);
    for (const r of rows)
      expect(
        (await call(apiKey, 'POST', '/v1/risk/labels', { transactionId: r.request.transactionId, label: r.label }))
          .statusCode,
      ).toBe(201);
  }

  async function finished(apiKey: string, jobId: string) {
    for (let i = 0; i < 600; i++) {
      const job = (await call(apiKey, 'GET', `/v1/risk/models/jobs/${jobId}`)).json();
      if (job.status === 'succeeded' || job.status === 'failed') return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${jobId} did not finish`);
  }

  it(
    'answers 202 with a job, fits in the background, activates a version that beats rules alone on the held-out window, audited',
    { timeout: 120_000 },
    async () => {
      const tenant = await t.newTenant(`train-${store}`);
      const rows = history(1);
      await seed(tenant.apiKey, rows);

      const accepted = await call(tenant.apiKey, 'POST', '/v1/risk/models', {});
      expect(accepted.statusCode).toBe(202);
      const { jobId } = accepted.json();
      expect(accepted.json()).toMatchObject({
        jobId: expect.stringMatching(/^trj_/),
        status: 'queued',
        result: null,
        error: null,
        requestedBy: expect.stringMatching(/^key_/),
      });

      const job = await finished(tenant.apiKey, jobId);
      expect(job.status).toBe('succeeded');
      expect(job.startedAt).not.toBeNull();
      const { result } = job;
      // The most recent fifth by event time is held out: 80 of 400, none of them trained on.
      expect(result).toMatchObject({
        version: 1,
        activated: true,
        trainingSize: 320,
        holdout: { comparedWith: { rulesVersion: 0, modelVersion: null } },
      });
      expect(result.holdout.candidate.transactions).toBe(80);
      expect(result.holdout.active.transactions).toBe(80);
      expect(Date.parse(result.holdout.from)).toBe(Date.parse(rows[320]!.request.occurredAt));
      expect(Date.parse(result.holdout.to)).toBe(Date.parse(rows[399]!.request.occurredAt));
      expect(result.holdout.candidate.rocAuc).toBeGreaterThan(0.95);
      expect(result.holdout.candidate.rocAuc).toBeGreaterThan(result.holdout.active.rocAuc + 0.2);
      expect(result.holdout.candidate.prAuc).toBeGreaterThan(result.holdout.active.prAuc);
      expect(result.reason).toMatch(/held-out ROC AUC .* for rules v0 alone: better, activated/);

      const models = (await call(tenant.apiKey, 'GET', '/v1/risk/models')).json().data;
      expect(models.map((m: { version: number; active: boolean }) => [m.version, m.active])).toEqual([[1, true]]);
      expect(models[0]).toMatchObject({
        trainingSize: 320,
        metrics: { activated: true, jobId, holdout: { candidate: { rocAuc: result.holdout.candidate.rocAuc } } },
      });
      // Scoring uses it from the next score on.
      const next = (
        await call(tenant.apiKey, 'POST', '/v1/risk/score', {
          ...rows[3]!.request,
          transactionId: 'after-training',
          occurredAt: new Date(T0 + 11 * DAY).toISOString(),
        })
      ).json();
      expect(next.modelVersion).toBe(1);

      const audit = (await call(tenant.apiKey, 'GET', '/v1/audit?action=risk_model.train')).json().data;
      expect(audit.map((e: { action: string; target: string }) => [e.action, e.target])).toEqual([
        ['risk_model.train', jobId],
      ]);
    },
  );

  it(
    'stores a version that does not beat the active one without activating it, and says why',
    { timeout: 120_000 },
    async () => {
      const tenant = await t.newTenant(`retrain-${store}`);
      await seed(tenant.apiKey, history(2));
      const first = await finished(
        tenant.apiKey,
        (await call(tenant.apiKey, 'POST', '/v1/risk/models', {})).json().jobId,
      );
      expect(first.result).toMatchObject({ version: 1, activated: true });

      // The same history again: the same fit, so it ranks the held-out window exactly as version 1 does.
      const second = await finished(tenant.apiKey, (await call(tenant.apiKey, 'POST', '/v1/risk/models')).json().jobId);
      expect(second.status).toBe('succeeded');
      expect(second.result).toMatchObject({
        version: 2,
        activated: false,
        holdout: { comparedWith: { modelVersion: 1 } },
      });
      expect(second.result.holdout.candidate.rocAuc).toBe(second.result.holdout.active.rocAuc);
      expect(second.result.reason).toMatch(/for rules v0 \+ model v1: no better, kept inactive/);
      const models = (await call(tenant.apiKey, 'GET', '/v1/risk/models')).json().data;
      expect(models.map((m: { version: number; active: boolean }) => [m.version, m.active])).toEqual([
        [2, false],
        [1, true],
      ]);
    },
  );

  it(
    'counts a rescored transaction once, as its latest assessment, however the history is paged',
    { timeout: 120_000 },
    async () => {
      const tenant = await t.newTenant(`train-rescored-${store}`);
      const rows = history(4, 450);
      await seed(tenant.apiKey, rows);
      // Ten transactions scored again a second later: still 450 transactions, not 460.
      const again = rows
        .slice(10, 20)
        .map((r) => ({ ...r.request, occurredAt: new Date(Date.parse(r.request.occurredAt) + 1000).toISOString() }));
      expect((await call(tenant.apiKey, 'POST', '/v1/risk/score/batch', { transactions: again })).statusCode).toBe(200);
      const job = await finished(
        tenant.apiKey,
        (await call(tenant.apiKey, 'POST', '/v1/risk/models', {})).json().jobId,
      );
      expect(job.status).toBe('succeeded');
      expect(job.result.trainingSize + job.result.holdout.candidate.transactions).toBe(450);
      expect(job.result.holdout.candidate.transactions).toBe(90);
    },
  );

  it(
    'fails a job whose range lacks labels of both classes, rejects an empty range, and keeps jobs per tenant',
    { timeout: 60_000 },
    async () => {
      const tenant = await t.newTenant(`train-thin-${store}`);
      const rows = history(3, 80);
      await seed(tenant.apiKey, rows);
      // Before the first fraud (row 3) there are only legit transactions.
      const thin = await call(tenant.apiKey, 'POST', '/v1/risk/models', { to: rows[3]!.request.occurredAt });
      expect(thin.statusCode).toBe(202);
      const failed = await finished(tenant.apiKey, thin.json().jobId);
      expect(failed).toMatchObject({ status: 'failed', result: null, to: rows[3]!.request.occurredAt });
      expect(failed.error).toMatch(/found 0 fraud \/ \d+ legit before it and 0 \/ \d+ in it/);
      expect((await call(tenant.apiKey, 'GET', '/v1/risk/models')).json().data).toEqual([]);

      const backwards = await call(tenant.apiKey, 'POST', '/v1/risk/models', {
        from: '2026-03-05T00:00:00Z',
        to: '2026-03-01T00:00:00Z',
      });
      expect(backwards.statusCode).toBe(422);
      expect(backwards.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'body.to' }] });
      expect((await call(tenant.apiKey, 'POST', '/v1/risk/models', { from: 'yesterday' })).statusCode).toBe(422);

      expect((await call(tenant.apiKey, 'GET', '/v1/risk/models/jobs/trj_nope')).statusCode).toBe(404);
      expect((await call(t.apiKey, 'GET', `/v1/risk/models/jobs/${thin.json().jobId}`)).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'POST', url: '/v1/risk/models' })).statusCode).toBe(401);
    },
  );
});
