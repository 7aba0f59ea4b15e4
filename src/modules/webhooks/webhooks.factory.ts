import type { Kysely } from 'kysely';
import type { Database } from '../../database.js';
import type { EncryptionKeyProvider } from '../../platform/crypto/encryption-key.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { OutboundHttp } from '../../platform/net/outbound-client.js';
import type { IntakeService, RawEventRepository } from '../ingest/index.js';
import type { ConnectorRegistry } from '../normalize/index.js';
import { endpointResolveContext } from './endpoint-context.js';
import { SeenDeliveries } from './seen-deliveries.js';
import { WebhookDeliveryService } from './webhook-delivery.service.js';
import { WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { WebhookEndpointService } from './webhook-endpoint.service.js';

/** Short enough that a rotation or deletion made by another instance takes effect within seconds. */
const ENDPOINT_CACHE_TTL_MS = 5_000;

export interface WebhooksDeps {
  db: Kysely<Database>;
  /** Shared with the alert webhooks, so one PAYLENS_ENCRYPTION_KEY protects every stored secret. */
  keys: EncryptionKeyProvider;
  registry: ConnectorRegistry;
  /** Where a verified delivery is stored, and where a replayed delivery's first receipt is read. */
  intake: Pick<IntakeService, 'ingest'>;
  rawEvents: Pick<RawEventRepository, 'findById'>;
  metrics: Metrics;
  clock: () => Date;
  /** Every call made for a tenant (Mercado Pago, PayPal), and the judge of the URLs in endpoint settings. */
  http: OutboundHttp;
}

/**
 * Webhook endpoints, the deliveries that come through them, and the endpoint context a retried
 * event needs (the ingest retry worker and dead-letter replays look it up here).
 */
export function createWebhooks(deps: WebhooksDeps) {
  const endpoints = new WebhookEndpointService({
    repo: new WebhookEndpointRepository(deps.db),
    registry: deps.registry,
    keys: deps.keys,
    clock: deps.clock,
    cacheTtlMs: ENDPOINT_CACHE_TTL_MS,
    lookups: deps.metrics.cache('webhook_endpoint'),
    http: deps.http,
  });
  const deliveries = new WebhookDeliveryService({
    endpoints,
    registry: deps.registry,
    intake: deps.intake,
    rawEvents: deps.rawEvents,
    seen: new SeenDeliveries(deps.db, deps.clock),
    metrics: deps.metrics,
    clock: deps.clock,
    http: deps.http,
  });
  return { endpoints, deliveries, resolveContextFor: endpointResolveContext(endpoints, deps.http) };
}
