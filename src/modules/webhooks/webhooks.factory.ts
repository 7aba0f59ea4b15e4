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

export interface WebhookServiceDeps {
  config: Config;
  db: Kysely<Database>;
  settings: SettingsRepository;
  registry: ConnectorRegistry;
  logger: Logger;
  clock: () => Date;
}

export function createWebhookEndpointService(deps: WebhookServiceDeps): WebhookEndpointService {
  return new WebhookEndpointService({
    repo: new WebhookEndpointRepository(deps.db),
    registry: deps.registry,
    keys: new EncryptionKeyProvider({
      configuredKey: deps.config.PAYLENS_ENCRYPTION_KEY,
      embedded: isEmbedded(deps.config),
      settings: deps.settings,
      logger: deps.logger,
    }),
    clock: deps.clock,
    cacheTtlMs: ENDPOINT_CACHE_TTL_MS,
  });
}
