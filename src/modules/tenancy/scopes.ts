import { z } from 'zod';

/**
 * What an API key may do. A route needs exactly one scope: `ingest` sends payment events, `score`
 * asks for risk scores and reports their outcomes (labels), `read` reads everything the tenant has
 * (events, raw payloads, payments, analytics, alerts, risk, audit, the live feed) and `manage`
 * changes configuration (API keys, webhook endpoints, rules, lists, models, dead letters, alert settings).
 */
export const SCOPES = ['ingest', 'score', 'read', 'manage'] as const;
export type Scope = (typeof SCOPES)[number];

export const scopeSchema = z.enum(SCOPES);

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope an API key needs for the route; derived from the method and path unless a route names one. */
    scope?: Scope;
  }
}

/** Writes that are not configuration changes, and one POST that changes nothing. */
const EXCEPTIONS: Record<string, Scope> = {
  'POST /v1/events': 'ingest',
  'POST /v1/events/batch': 'ingest',
  'POST /v1/risk/score': 'score',
  'POST /v1/risk/score/batch': 'score',
  'POST /v1/risk/labels': 'score',
  'POST /v1/risk/rules/backtest': 'read',
  // Keys are configuration even to look at: who may list them may manage them.
  'GET /v1/api-keys': 'manage',
};

/** The scope a /v1 route needs: reads need `read`, every other write `manage`, except the routes listed above. */
export function requiredScope(method: string, url: string): Scope {
  // A HEAD route is its GET's twin and needs what the GET needs.
  const verb = method === 'HEAD' ? 'GET' : method;
  return EXCEPTIONS[`${verb} ${url}`] ?? (verb === 'GET' ? 'read' : 'manage');
}

export function scopeNote(scope: Scope): string {
  return `Requires an API key with the \`${scope}\` scope (403 \`insufficient_scope\` otherwise).`;
}
