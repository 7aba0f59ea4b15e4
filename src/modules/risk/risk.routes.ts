import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Container } from '../../container.js';
import { AppError } from '../../platform/errors/app-error.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { tenantOf } from '../tenancy/auth.plugin.js';
import { actorOf, listRoutes } from './list.routes.js';
import { labelValues } from './risk.repository.js';
import { scoreRequestSchema, subjectFromRequest } from './risk-subject.js';
import { decisions, riskLevels, ruleSetSchema } from './rules.js';

const reasonSchema = z.object({ code: z.string(), message: z.string(), weight: z.number() });

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

const ruleSetVersionSchema = z.object({ version: z.number().int(), ruleSet: ruleSetSchema, createdBy: z.string(), createdAt: z.string() });
const rangeSchema = z.object({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() });
const prSchema = z.object({ precision: z.number().nullable(), recall: z.number().nullable() });
const sideSchema = z.object({ decisions: z.record(z.enum(decisions), z.number().int()), flagged: prSchema, declined: prSchema });

/**
 * A score's 200 body is our own typed Assessment, built field by field in the schema's order, so it
 * serializes to the same bytes without the schema; re-checking it on every score cost about 5% of the
 * CPU at full load. Other statuses keep the checked serializer.
 */
const assessmentSerializer = <T>(route: Parameters<FastifySerializerCompiler<T>>[0]) =>
  route.httpStatus === '200' ? (data: unknown) => JSON.stringify(data) : serializerCompiler(route as Parameters<typeof serializerCompiler>[0]);

/** /risk/* and /lists: one plugin, so the app registers risk with one line. */
export async function riskRoutes(app: App, container: Container): Promise<void> {
  const { risk, customerKey, clock } = container;
  await listRoutes(app, container);
  // Dashboards watch for what needs a human: review and decline decisions go to the live feed.
  const announce = <T extends { transactionId: string; score: number; riskLevel: string; decision: string; reasons: unknown }>(tenantId: string, a: T): T => {
    if (a.decision !== 'approve') {
      container.live.publish(tenantId, { type: 'risk', data: { transactionId: a.transactionId, score: a.score, riskLevel: a.riskLevel, decision: a.decision, reasons: a.reasons } });
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
      serializerCompiler: assessmentSerializer,
    },
    async (request) => announce(tenantOf(request), await risk.scorer.score(subjectFromRequest(tenantOf(request), request.body, customerKey, clock()))),
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
      serializerCompiler: assessmentSerializer,
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const results = [];
      // In order: each transaction's features see the ones before it in the batch.
      for (const tx of request.body.transactions) results.push(announce(tenantId, await risk.scorer.score(subjectFromRequest(tenantId, tx, customerKey, clock()))));
      return { results };
    },
  );

  app.get(
    '/risk/rules',
    { schema: { summary: "The tenant's active rule set", tags: ['risk'], response: { 200: ruleSetVersionSchema, ...problemResponses(401) } } },
    async (request) => risk.service.currentRules(tenantOf(request)),
  );

  app.put(
    '/risk/rules',
    {
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
        body: rangeSchema.extend({ ruleSet: ruleSetSchema }),
        response: {
          200: z.object({ transactions: z.number().int(), labeled: z.number().int(), changed: z.number().int(), transitions: z.record(z.string(), z.number().int()), before: sideSchema, after: sideSchema }),
          ...problemResponses(401, 422),
        },
      },
    },
    async (request) => {
      const { ruleSet, from, to } = request.body;
      return risk.service.backtest(tenantOf(request), ruleSet, { from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined });
    },
  );

  app.post(
    '/risk/labels',
    {
      schema: {
        summary: 'Label a scored transaction (fraud, legit, chargeback)',
        description: 'Labels feed `paylens train` and `paylens evaluate`; labelling again replaces the label.',
        tags: ['risk'],
        body: z.object({ transactionId: z.string().min(1).max(128), label: z.enum(labelValues) }),
        response: { 201: z.object({ transactionId: z.string(), label: z.enum(labelValues) }), ...problemResponses(401, 404, 422) },
      },
    },
    async (request, reply) => {
      const { transactionId, label } = request.body;
      if (!(await risk.service.label(tenantOf(request), transactionId, label))) throw new AppError('not_found', `No scored transaction ${transactionId}`);
      return reply.code(201).send({ transactionId, label });
    },
  );
}
