import { z } from 'zod';
import { cursorParam, pageOf, pageQuery, timeRangeQuery, toTimeRange } from '../../platform/http/list-query.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { chainBreakReasons } from './audit-chain.js';
import type { AuditLog } from './audit.service.js';
import { tenantOf } from './auth.plugin.js';

const entrySchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  at: z.string(),
  actor: z.string().describe('The API key id that made the call'),
  action: z.string(),
  target: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});

/** Wire shapes (the dashboard imports them as types). */
export type AuditEntryView = z.output<typeof entrySchema>;

const linkSchema = z.object({ seq: z.number().int(), hash: z.string() });

const chainReportSchema = z.object({
  valid: z.boolean(),
  entries: z.number().int().describe('Entries verified before the first break (all of them when valid)'),
  last: linkSchema.nullable().describe('The last verified entry'),
  broken: z.object({ seq: z.number().int(), reason: z.enum(chainBreakReasons) }).nullable(),
});
export type ChainReportView = z.output<typeof chainReportSchema>;

/** What the audit routes use: the tenant's audit log. */
export interface AuditRoutesDeps {
  audit: Pick<AuditLog, 'list' | 'verify'>;
}

export async function auditRoutes(app: App, { audit }: AuditRoutesDeps): Promise<void> {
  app.get(
    '/audit',
    {
      schema: {
        summary: 'Who changed what and when: the tenant audit log, newest first',
        description:
          'Every successful configuration change through the tenant API (API keys, webhook endpoints, risk rules, list entries, model activation, dead-letter replays and discards, alert settings and resends) is an entry in a per-tenant hash chain. Pass `nextCursor` back as `cursor` for the next page.',
        tags: ['audit'],
        querystring: z.object({
          action: z.string().max(64).optional(),
          actor: z.string().max(64).optional(),
          ...timeRangeQuery.shape,
          ...pageQuery.shape,
        }),
        response: { 200: pageOf(entrySchema), ...problemResponses(401, 422) },
      },
    },
    async (request) => {
      const q = request.query;
      return audit.list(
        tenantOf(request),
        { action: q.action, actor: q.actor, ...toTimeRange(q) },
        q.limit,
        cursorParam(q.cursor, 'aud'),
      );
    },
  );

  app.get(
    '/audit/verify',
    {
      schema: {
        summary: 'Recompute the audit hash chain and report the first altered entry, if any',
        description:
          'Each entry hashes the one before it, so an edited, removed or reordered entry breaks the chain from there on. Entries cut off the end leave a valid, shorter chain: keep the reported last `seq` and `hash` elsewhere to notice that.',
        tags: ['audit'],
        response: {
          200: chainReportSchema,
          ...problemResponses(401),
        },
      },
    },
    async (request) => audit.verify(tenantOf(request)),
  );
}
