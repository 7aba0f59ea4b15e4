import { z } from 'zod';
import { pageQuery, timeRangeQuery } from '../../platform/http/list-query.js';
import { labelValues, type AssessmentRecord } from './risk.repository.js';
import { jobStatuses } from './training/training-job.repository.js';
import { listActions, listTypes } from './lists/list.repository.js';
import { riskSources } from './risk-subject.js';
import { decisions, riskLevels, ruleSetSchema } from './rules/rules.js';

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
export const storedAssessmentSchema = assessmentSchema.extend({
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

export const assessmentView = (a: AssessmentRecord): StoredAssessmentView => ({
  ...a,
  occurredAt: a.occurredAt.toISOString(),
  scoredAt: a.scoredAt.toISOString(),
});

export const assessmentListQuery = z.object({
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

export const modelSchema = z.object({
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
export const trainingJobSchema = z.object({
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
export const ruleSetVersionSchema = z.object({
  version: z.number().int(),
  ruleSet: ruleSetSchema,
  createdBy: z.string(),
  createdAt: z.string(),
});
const prSchema = z.object({ precision: z.number().nullable(), recall: z.number().nullable() });
export const sideSchema = z.object({
  decisions: z.record(z.enum(decisions), z.number().int()),
  flagged: prSchema,
  declined: prSchema,
});

export const listEntrySchema = z.object({
  id: z.string(),
  type: z.enum(listTypes),
  value: z.string(),
  action: z.enum(listActions),
  reason: z.string(),
  expiresAt: z.string().nullable(),
  createdBy: z.string().describe('API key id that added it'),
  createdAt: z.string(),
});

export const listAuditSchema = z.object({
  id: z.string(),
  entryId: z.string(),
  operation: z.enum(['add', 'remove']),
  type: z.enum(listTypes),
  value: z.string(),
  action: z.enum(listActions),
  reason: z.string().nullable(),
  actor: z.string().describe('API key id'),
  at: z.string(),
});
