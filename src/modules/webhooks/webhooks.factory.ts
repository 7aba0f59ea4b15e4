import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isEmbedded, type Config } from '../../platform/config/config.js';
import type { Database } from '../../database.js';
import type { SettingsRepository } from '../../platform/db/settings.repository.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { OutboundHttp } from '../../platform/net/outbound-client.js';
import type { IntakeService } from '../ingest/index.js';
import type { RawEventRepository } from '../ingest/index.js';
import type { ConnectorRegistry } from '../normalize/index.js';
import { EncryptionKeyProvider } from '../../platform/crypto/encryption-key.js';
import { SeenDeliveries } from './seen-deliveries.js';
import { WebhookDeliveryService } from './webhook-delivery.service.js';
import { WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { WebhookEndpointService } from './webhook-endpoint.service.js';

/** Short enough that a rotation or deletion made by another instance takes effect within seconds. */
const ENDPOINT_CACHE_TTL_MS = 5_000;

/** One provider per container: every stored secret (webhook endpoints, alert webhooks) uses the same key. */
export function createEncryptionKeys(
  config: Config,
  settings: SettingsRepository,
  logger: Logger,
): EncryptionKeyProvider {
  return new EncryptionKeyProvider({
    configuredKey: config.PAYLENS_ENCRYPTION_KEY,
    embedded: isEmbedded(config),
    settings,
    logger,
  });
}

export interface WebhookServiceDeps {
  db: Kysely<Database>;
  keys: EncryptionKeyProvider;
  registry: ConnectorRegistry;
  clock: () => Date;
  /** Every call made for a tenant (Mercado Pago, PayPal), and the judge of the URLs in endpoint settings. */
  http: OutboundHttp;
}

export function createWebhookEndpointService(deps: WebhookServiceDeps): WebhookEndpointService {
  return new WebhookEndpointService({
    repo: new WebhookEndpointRepository(deps.db),
    registry: deps.registry,
    keys: deps.keys,
    clock: deps.clock,
    cacheTtlMs: ENDPOINT_CACHE_TTL_MS,
    http: deps.http,
  });
}

export interface DeliveryServiceDeps {
  db: Kysely<Database>;
  endpoints: WebhookEndpointService;
  registry: ConnectorRegistry;
  intake: IntakeService;
  rawEvents: RawEventRepository;
  metrics: Metrics;
  clock: () => Date;
  http: OutboundHttp;
}

export function createWebhookDeliveryService({ db, ...deps }: DeliveryServiceDeps): WebhookDeliveryService {
  return new WebhookDeliveryService({ ...deps, seen: new SeenDeliveries(db, deps.clock) });
}
