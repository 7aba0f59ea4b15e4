import { z } from 'zod';
import type { Container } from '../../container.js';
import { AppError, fieldError } from '../../platform/errors/app-error.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { actorOf, tenantOf } from '../tenancy/index.js';
import { listRoutes } from './list.routes.js';
import { cursorParam, pageOf, pageQuery, timeRangeQuery, toTimeRange } from '../../platform/http/list-query.js';
import { trustedOkSerializer } from '../../platform/http/trusted-serializer.js';
import { labelValues, type AssessmentRecord } from './risk.repository.js';
import { jobStatuses } from './training/training-job.repository.js';
import { labelSources } from './provider-labels.js';
import { riskSources, scoreRequestSchema, subjectFromRequest } from './risk-subject.js';
import { decisions, riskLevels, ruleSetSchema } from './rules.js';

const reasonSchema = z.object({
  code: z.string(),
  message: z.string(),
  weight: z.number(),
  signals: z
    .array(z.object({ feature: z.string(), value: z.number(), contribution: z.number() }))
    .optional()
    .describe(
      "On the model's reason: the features that moved its fraud log-odds most, signed (positive: towards fraud)",
    ),
});

export const assessmentSchema = z.object({
  transactionId: z.string(),
  score: z.number().min(0).max(1),
  riskLevel: z.enum(riskLevels),
  decision: z.enum(decisions),
  reasons: z.array(reasonSchema),
  features: z.record(z.string(), z.number()),
  modelVersion: z.number().int().nullable().describe('Active model version, null when scoring by rules alone'),
  rulesVersion: z.number().int().describe('0 is the built-in default rule set'),
  latencyMs: z.number(),
});

/** A stored assessment read back: the verdict as it was answered, plus where it came from and the label since given. */
const storedAssessmentSchema = assessmentSchema.extend({
  id: z.string(),
  eventId: z.string().nullable().describe('The ingested event it was made for; null when scored through the API'),
  source: z.enum(riskSources),
  occurredAt: z.string(),
  scoredAt: z.string(),
  rulesScore: z.number(),
  modelScore: z.number().nullable().describe("The active model's probability when it was scored; null without a model"),
  amountUsdMinor: z.number().int(),
  label: z.enum(labelValues).nullable(),
});

/** The wire shape of a stored assessment (the dashboard imports it as a type). */
export type StoredAssessmentView = z.output<typeof storedAssessmentSchema>;

const assessmentView = (a: AssessmentRecord): StoredAssessmentView => ({
  ...a,
  occurredAt: a.occurredAt.toISOString(),
  scoredAt: a.scoredAt.toISOString(),
});

const assessmentListQuery = z.object({
  decision: z.enum(decisions).optional(),
  riskLevel: z.enum(riskLevels).optional(),
  source: z.enum(riskSources).optional(),
  labeled: z
    .enum(['true', 'false'])
    .optional()
    .describe('false: only transactions without a label (with decision=review, the review queue)'),
  ...timeRangeQuery.shape,
  ...pageQuery.shape,
});

const modelSchema = z.object({
  version: z.number().int(),
  active: z.boolean(),
  trainingSize: z.number().int().describe('Labeled transactions it was fitted on'),
  metrics: z.record(z.string(), z.unknown()).describe('Quality on its training data and the range it was trained on'),
  model: z
    .union([
      z.object({
        kind: z.literal('gbdt'),
        featureNames: z.array(z.string()),
        base: z.number(),
        trees: z.array(
          z.object({
            feature: z.array(z.number()),
            threshold: z.array(z.number()),
            left: z.array(z.number()),
            right: z.array(z.number()),
            value: z.array(z.number()),
          }),
        ),
        calibration: z.object({ a: z.number(), b: z.number() }),
      }),
      z.object({
        featureNames: z.array(z.string()),
        means: z.array(z.number()),
        stds: z.array(z.number()),
        weights: z.array(z.number()),
        bias: z.number(),
      }),
    ])
    .describe('Gradient-boosted trees (kind gbdt) or, for versions trained before them, a logistic regression'),
  createdAt: z.string(),
});
const atThresholdSchema = z.object({
  threshold: z.number(),
  flagged: z.number().int(),
  precision: z.number().nullable(),
  recall: z.number().nullable(),
});
const qualitySchema = z.object({
  transactions: z.number().int(),
  frauds: z.number().int(),
  rocAuc: z.number().nullable(),
  prAuc: z.number().nullable(),
  review: atThresholdSchema,
  decline: atThresholdSchema,
});
const trainingJobSchema = z.object({
  jobId: z.string(),
  status: z.enum(jobStatuses),
  from: z.string().nullable(),
  to: z.string().nullable(),
  requestedBy: z.string().describe('The API key that asked'),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  result: z
    .object({
      version: z.number().int().describe('The model version it stored (listed by GET /v1/risk/models either way)'),
      activated: z.boolean(),
      reason: z
        .string()
        .describe('Why it was or was not activated: both configurations measured on the held-out window'),
      trainingSize: z.number().int(),
      holdout: z.object({
        from: z.string(),
        to: z.string(),
        candidate: qualitySchema.describe('The rules blended with the new model, as scoring would use them'),
        active: qualitySchema.describe('The configuration scoring used when the job ran'),
        comparedWith: z.object({ rulesVersion: z.number().int(), modelVersion: z.number().int().nullable() }),
      }),
    })
    .nullable()
    .describe('Set when the job succeeded'),
  error: z.string().nullable().describe('Why the job failed (e.g. not enough labels of both classes)'),
});
const ruleSetVersionSchema = z.object({
  version: z.number().int(),
  ruleSet: ruleSetSchema,
  createdBy: z.string(),
  createdAt: z.string(),
});
const prSchema = z.object({ precision: z.number().nullable(), recall: z.number().nullable() });
const sideSchema = z.object({
  decisions: z.record(z.enum(decisions), z.number().int()),
  flagged: prSchema,
  declined: prSchema,
});

/** /risk/* and /lists: one plugin, so the app registers risk with one line. */
export async function riskRoutes(app: App, container: Container): Promise<void> {
  const { risk, customerKey, clock } = container;
  await listRoutes(app, container);
  // Dashboards watch for what needs a human: review and decline decisions go to the live feed.
  const announce = <
    T extends { transactionId: string; score: number; riskLevel: string; decision: string; reasons: unknown },
  >(
    tenantId: string,
    a: T,
  ): T => {
    if (a.decision !== 'approve') {
      container.live.publish(tenantId, {
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
        await risk.scorer.score(subjectFromRequest(tenantOf(request), request.body, customerKey, clock())),
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
        results.push(
          announce(tenantId, await risk.scorer.score(subjectFromRequest(tenantId, tx, customerKey, clock()))),
        );
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
      const page = await risk.service.listAssessments(
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
      const assessments = await risk.service.assessmentsOf(tenantId, transactionId);
      if (assessments.length === 0) throw new AppError('not_found', `No scored transaction ${transactionId}`);
      return {
        transactionId,
        label: assessments[0]!.label,
        labelDetail: await risk.repo.labelOf(tenantId, transactionId),
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
    async (request) => risk.service.currentRules(tenantOf(request)),
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
    async (request) => risk.service.putRules(tenantOf(request), request.body, actorOf(request)),
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
    async (request) => ({ data: await risk.service.ruleVersions(tenantOf(request)) }),
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
      return risk.service.backtest(tenantOf(request), request.body.ruleSet, toTimeRange(request.body));
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
    async (request) => ({ data: await risk.service.models(tenantOf(request)) }),
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
      return reply.code(202).send(await risk.training.start(tenantOf(request), range, actorOf(request)));
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
      const job = await risk.training.get(tenantOf(request), request.params.jobId);
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
      const model = await risk.service.activateModel(tenantOf(request), request.params.version);
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
      if (!(await risk.service.label(tenantOf(request), transactionId, label)))
        throw new AppError('not_found', `No scored transaction ${transactionId}`);
      return reply.code(201).send({ transactionId, label });
    },
  );
}
