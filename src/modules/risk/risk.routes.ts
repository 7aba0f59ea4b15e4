import { z } from 'zod';
import { AppError, fieldError } from '../../platform/errors/app-error.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { cursorParam, pageOf, timeRangeQuery, toTimeRange } from '../../platform/http/list-query.js';
import { trustedOkSerializer } from '../../platform/http/trusted-serializer.js';
import { actorOf, tenantOf } from '../tenancy/index.js';
import { listActions, listTypes } from './lists/list.repository.js';
import { labelSources } from './provider-labels.js';
import type { RiskRepository } from './risk.repository.js';
import { labelValues } from './risk.repository.js';
import type { RiskScorer } from './risk-scorer.js';
import type { RiskService } from './risk.service.js';
import { scoreRequestSchema, subjectFromRequest, type CustomerKeyHasher } from './risk-subject.js';
import { ruleSetSchema } from './rules/rules.js';
import {
  assessmentListQuery,
  assessmentSchema,
  assessmentView,
  listAuditSchema,
  listEntrySchema,
  modelSchema,
  ruleSetVersionSchema,
  sideSchema,
  storedAssessmentSchema,
  trainingJobSchema,
} from './risk.schemas.js';
import type { TrainingJobs } from './training/training-jobs.js';

/** What the risk routes use, and nothing more. */
export interface RiskRoutesDeps {
  scorer: Pick<RiskScorer, 'score'>;
  service: RiskService;
  repo: Pick<RiskRepository, 'labelOf'>;
  training: Pick<TrainingJobs, 'start' | 'get'>;
  customerKey: CustomerKeyHasher;
  clock: () => Date;
  /** Where review and decline decisions are announced (the live feed). */
  live: { publish(tenantId: string, message: { type: 'risk'; data: unknown }): void };
}

/** /risk/* and /lists. */
export async function riskRoutes(app: App, deps: RiskRoutesDeps): Promise<void> {
  const { scorer, service, repo, training, customerKey, clock, live } = deps;
  // Dashboards watch for what needs a human: review and decline decisions go to the live feed.
  const announce = <
    T extends { transactionId: string; score: number; riskLevel: string; decision: string; reasons: unknown },
  >(
    tenantId: string,
    a: T,
  ): T => {
    if (a.decision !== 'approve') {
      live.publish(tenantId, {
        type: 'risk',
        data: {
          transactionId: a.transactionId,
          score: a.score,
          riskLevel: a.riskLevel,
          decision: a.decision,
          reasons: a.reasons,
        },
      });
    }
    return a;
  };

  app.post(
    '/risk/score',
    {
      schema: {
        summary: 'Score one transaction for fraud',
        description:
          'Computes velocity features (1 h / 24 h / 7 d by event time), applies the tenant rules and the active model, and answers the score (0–1), level, decision and reasons. The transaction is recorded and feeds the velocity history.',
        tags: ['risk'],
        body: scoreRequestSchema,
        response: { 200: assessmentSchema, ...problemResponses(401, 422) },
      },
      serializerCompiler: trustedOkSerializer,
    },
    async (request) =>
      announce(
        tenantOf(request),
        await scorer.score(subjectFromRequest(tenantOf(request), request.body, customerKey, clock())),
      ),
  );

  app.post(
    '/risk/score/batch',
    {
      schema: {
        summary: 'Score up to 1,000 transactions, in order',
        tags: ['risk'],
        body: z.object({ transactions: z.array(scoreRequestSchema).min(1).max(1000) }),
        response: { 200: z.object({ results: z.array(assessmentSchema) }), ...problemResponses(401, 422) },
      },
      serializerCompiler: trustedOkSerializer,
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const results = [];
      // In order: each transaction's features see the ones before it in the batch.
      for (const tx of request.body.transactions)
        results.push(announce(tenantId, await scorer.score(subjectFromRequest(tenantId, tx, customerKey, clock()))));
      return { results };
    },
  );

  app.get(
    '/risk/assessments',
    {
      schema: {
        summary: 'Stored assessments, newest first by event time',
        description:
          'Every scoring is listed (a rescored transaction appears once per scoring). Filters combine with AND; `from` is inclusive and `to` exclusive on the event time. `decision=review&labeled=false` is the review queue: label each transaction with `POST /v1/risk/labels`. Pass `nextCursor` back as `cursor` for the next page.',
        tags: ['risk'],
        querystring: assessmentListQuery,
        response: { 200: pageOf(storedAssessmentSchema), ...problemResponses(401, 422) },
      },
    },
    async (request) => {
      const { decision, riskLevel, source, labeled, limit, cursor } = request.query;
      const page = await service.listAssessments(
        tenantOf(request),
        {
          decision,
          riskLevel,
          source,
          labeled: labeled === undefined ? undefined : labeled === 'true',
          ...toTimeRange(request.query),
        },
        limit,
        cursorParam(cursor, 'rsk'),
      );
      return { data: page.data.map(assessmentView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/risk/assessments/:transactionId',
    {
      schema: {
        summary: "One transaction's assessments, the latest scoring first, with its label",
        tags: ['risk'],
        params: z.object({ transactionId: z.string().min(1).max(128) }),
        response: {
          200: z.object({
            transactionId: z.string(),
            label: z.enum(labelValues).nullable(),
            labelDetail: z
              .object({
                label: z.enum(labelValues),
                source: z
                  .enum(labelSources)
                  .describe('api: given through POST /v1/risk/labels; dispute or fraud_warning: a provider said so'),
                provider: z.string().nullable(),
                reasonCode: z.string().nullable().describe("The provider's dispute reason or fraud type, verbatim"),
                eventId: z.string().nullable().describe('The ingested event that gave the label'),
                labeledAt: z.string(),
              })
              .nullable(),
            assessments: z.array(storedAssessmentSchema),
          }),
          ...problemResponses(401, 404),
        },
      },
    },
    async (request) => {
      const { transactionId } = request.params;
      const tenantId = tenantOf(request);
      const assessments = await service.assessmentsOf(tenantId, transactionId);
      if (assessments.length === 0) throw new AppError('not_found', `No scored transaction ${transactionId}`);
      return {
        transactionId,
        label: assessments[0]!.label,
        labelDetail: await repo.labelOf(tenantId, transactionId),
        assessments: assessments.map(assessmentView),
      };
    },
  );

  app.get(
    '/risk/rules',
    {
      schema: {
        summary: "The tenant's active rule set",
        tags: ['risk'],
        response: { 200: ruleSetVersionSchema, ...problemResponses(401) },
      },
    },
    async (request) => service.currentRules(tenantOf(request)),
  );

  app.put(
    '/risk/rules',
    {
      config: { audit: 'risk_rules.update' },
      schema: {
        summary: 'Replace the rule set (a new version; old versions are kept)',
        tags: ['risk'],
        body: ruleSetSchema,
        response: { 200: ruleSetVersionSchema, ...problemResponses(401, 409, 422) },
      },
    },
    async (request) => service.putRules(tenantOf(request), request.body, actorOf(request)),
  );

  app.get(
    '/risk/rules/versions',
    {
      schema: {
        summary: 'Every version of the rule set, newest first (version 0 is the default)',
        tags: ['risk'],
        response: { 200: z.object({ data: z.array(ruleSetVersionSchema) }), ...problemResponses(401) },
      },
    },
    async (request) => ({ data: await service.ruleVersions(tenantOf(request)) }),
  );

  app.post(
    '/risk/rules/backtest',
    {
      schema: {
        summary: 'Replay a candidate rule set over stored assessments',
        description:
          'Uses each stored assessment\'s features and model probability as they were when scored; reports decisions before (as stored) and after, the transitions, and precision/recall against labels where present ("flagged" = review or decline).',
        tags: ['risk'],
        body: timeRangeQuery.extend({ ruleSet: ruleSetSchema }),
        response: {
          200: z.object({
            transactions: z.number().int(),
            labeled: z.number().int(),
            changed: z.number().int(),
            transitions: z.record(z.string(), z.number().int()),
            before: sideSchema,
            after: sideSchema,
          }),
          ...problemResponses(401, 422),
        },
      },
    },
    async (request) => {
      return service.backtest(tenantOf(request), request.body.ruleSet, toTimeRange(request.body));
    },
  );

  app.get(
    '/risk/models',
    {
      schema: {
        summary:
          'Every trained model version, newest first, with its metrics (on its training data and, when trained through the API, on the held-out window) and which one is active',
        tags: ['risk'],
        response: { 200: z.object({ data: z.array(modelSchema) }), ...problemResponses(401) },
      },
    },
    async (request) => ({ data: await service.models(tenantOf(request)) }),
  );

  app.post(
    '/risk/models',
    {
      config: { audit: 'risk_model.train' },
      schema: {
        summary: 'Train a model version on labelled history, in the background',
        description:
          'Answers 202 with a job at once; the fit runs in a worker thread, so scoring and ingestion keep answering. The most recent fifth of the labelled transactions in `from`/`to` (by event time) is held out: the new version is fitted on the rest, stored with its metrics on the held-out window, and activated only if it ranks that window at least as well as the active configuration by ROC AUC and average precision, and better by one. Follow the job at `GET /v1/risk/models/jobs/{jobId}`.',
        tags: ['risk'],
        body: timeRangeQuery
          .nullish()
          .describe('Optional: the event-time range of the labelled history to learn from (default: all of it)'),
        response: { 202: trainingJobSchema, ...problemResponses(401, 422) },
      },
    },
    async (request, reply) => {
      const range = toTimeRange(request.body ?? {});
      if (range.from && range.to && range.from >= range.to) throw fieldError('body.to', 'must be later than from');
      return reply.code(202).send(await training.start(tenantOf(request), range, actorOf(request)));
    },
  );

  app.get(
    '/risk/models/jobs/:jobId',
    {
      schema: {
        summary:
          'A training job: queued, running, succeeded (with the version and why it was or was not activated) or failed',
        tags: ['risk'],
        params: z.object({ jobId: z.string().min(1).max(64) }),
        response: { 200: trainingJobSchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const job = await training.get(tenantOf(request), request.params.jobId);
      if (!job) throw new AppError('not_found', `No training job ${request.params.jobId}`);
      return job;
    },
  );

  app.post(
    '/risk/models/:version/activate',
    {
      config: { audit: 'risk_model.activate' },
      schema: {
        summary: 'Make a trained model version the active one (roll back or forward)',
        description:
          'Scoring blends the active model from the next score on; `paylens train` activates each new version it stores, `POST /v1/risk/models` only one that beats the active configuration on its held-out window.',
        tags: ['risk'],
        params: z.object({ version: z.coerce.number().int().min(1) }),
        response: { 200: modelSchema, ...problemResponses(401, 404, 422) },
      },
    },
    async (request) => {
      const model = await service.activateModel(tenantOf(request), request.params.version);
      if (!model) throw new AppError('not_found', `No model version ${request.params.version}`);
      return model;
    },
  );

  app.post(
    '/risk/labels',
    {
      schema: {
        summary: 'Label a scored transaction (fraud, legit, chargeback)',
        description:
          'Labels feed training (`POST /v1/risk/models`, `paylens train`) and `paylens evaluate`; labelling again replaces the label. Disputes and issuer fraud warnings ingested from a provider label the disputed payment by themselves (`chargeback` with the reason code, `fraud`).',
        tags: ['risk'],
        body: z.object({ transactionId: z.string().min(1).max(128), label: z.enum(labelValues) }),
        response: {
          201: z.object({ transactionId: z.string(), label: z.enum(labelValues) }),
          ...problemResponses(401, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const { transactionId, label } = request.body;
      if (!(await service.label(tenantOf(request), transactionId, label)))
        throw new AppError('not_found', `No scored transaction ${transactionId}`);
      return reply.code(201).send({ transactionId, label });
    },
  );

  app.get(
    '/lists',
    {
      schema: {
        summary: 'Block and allow list entries',
        tags: ['risk'],
        querystring: z.object({ type: z.enum(listTypes).optional(), action: z.enum(listActions).optional() }),
        response: { 200: z.object({ data: z.array(listEntrySchema) }), ...problemResponses(401, 422) },
      },
    },
    async (request) => ({ data: await service.listEntries(tenantOf(request), request.query) }),
  );

  app.post(
    '/lists',
    {
      config: { audit: 'list_entry.add' },
      schema: {
        summary: 'Add a block or allow entry',
        description:
          'Block → decline with the reason; allow → approve whatever the score. Emails and customer ids are matched by their salted hash. Audited.',
        tags: ['risk'],
        body: z.object({
          type: z.enum(listTypes),
          value: z.string().trim().min(1).max(320),
          action: z.enum(listActions),
          reason: z.string().trim().min(1).max(500),
          expiresAt: z.iso.datetime({ offset: true }).optional(),
        }),
        response: { 201: listEntrySchema, ...problemResponses(401, 409, 422) },
      },
    },
    async (request, reply) => {
      const { expiresAt, ...entry } = request.body;
      const added = await service.addListEntry(
        tenantOf(request),
        { ...entry, expiresAt: expiresAt ? new Date(expiresAt) : null },
        actorOf(request),
      );
      if (!added) throw new AppError('conflict', `${entry.type} ${entry.value} is already on the ${entry.action} list`);
      return reply.code(201).send(added);
    },
  );

  app.delete(
    '/lists/:id',
    {
      config: { audit: 'list_entry.remove' },
      schema: {
        summary: 'Remove a list entry (audited)',
        tags: ['risk'],
        params: z.object({ id: z.string().max(64) }),
        response: { 200: listEntrySchema, ...problemResponses(401, 404) },
      },
    },
    async (request) => {
      const removed = await service.removeListEntry(tenantOf(request), request.params.id, actorOf(request));
      if (!removed) throw new AppError('not_found', `No list entry ${request.params.id}`);
      return removed;
    },
  );

  app.get(
    '/lists/audit',
    {
      schema: {
        summary: 'Who changed the lists, when and what; newest first',
        tags: ['risk'],
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: { 200: z.object({ data: z.array(listAuditSchema) }), ...problemResponses(401, 422) },
      },
    },
    async (request) => ({ data: await service.listAudit(tenantOf(request), request.query.limit) }),
  );
}
