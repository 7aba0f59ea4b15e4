import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isEmbedded, type Config } from '../../platform/config/config.js';
import type { Database } from '../../platform/db/schema.js';
import type { SettingsRepository } from '../../platform/db/settings.repository.js';
import type { ConnectorRegistry } from '../normalize/connector-registry.js';
import { EncryptionKeyProvider } from './encryption-key.js';
import { WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { WebhookEndpointService } from './webhook-endpoint.service.js';

/** Short enough that a rotation or deletion made by another instance takes effect within seconds. */
const ENDPOINT_CACHE_TTL_MS = 5_000;

/** One provider per container: every stored secret (webhook endpoints, alert webhooks) uses the same key. */
export function createEncryptionKeys(config: Config, settings: SettingsRepository, logger: Logger): EncryptionKeyProvider {
  return new EncryptionKeyProvider({ configuredKey: config.PAYLENS_ENCRYPTION_KEY, embedded: isEmbedded(config), settings, logger });
}

export interface WebhookServiceDeps {
  db: Kysely<Database>;
  keys: EncryptionKeyProvider;
  registry: ConnectorRegistry;
  clock: () => Date;
}

export function createWebhookEndpointService(deps: WebhookServiceDeps): WebhookEndpointService {
  return new WebhookEndpointService({
    repo: new WebhookEndpointRepository(deps.db),
    registry: deps.registry,
    keys: deps.keys,
    clock: deps.clock,
    cacheTtlMs: ENDPOINT_CACHE_TTL_MS,
  });
}
