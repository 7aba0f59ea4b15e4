import { LRUCache } from 'lru-cache';
import { newId } from '../../platform/ids.js';
import type { CacheLookups } from '../../platform/metrics/metrics.js';
import type { OutboundHttp } from '../../platform/net/outbound-client.js';
import { MAX_SIGNATURE_TOLERANCE_SECONDS, type Connector } from '../normalize/index.js';
import type { ConnectorRegistry } from '../normalize/index.js';
import type { EncryptionKeyProvider } from '../../platform/crypto/encryption-key.js';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import type {
  WebhookEndpointChanges,
  WebhookEndpointRepository,
  WebhookEndpointRow,
} from './webhook-endpoint.repository.js';
import { mergePatch, mergeSettings, splitSettings } from './webhook-settings.js';

/** What the API shows of an endpoint: never a secret, sensitive settings as REDACTED. */
export interface WebhookEndpoint {
  id: string;
  provider: string;
  url: string;
  description: string | null;
  settings: Record<string, unknown>;
  respondAsync: boolean;
  createdAt: Date;
  secretRotatedAt: Date | null;
  previousSecretExpiresAt: Date | null;
}

/** What verifying a delivery needs, decrypted; lives only in memory. */
export interface DeliveryEndpoint {
  id: string;
  tenantId: string;
  provider: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  settings: Record<string, unknown>;
  respondAsync: boolean;
}

export interface CreateEndpointInput {
  provider: string;
  secret: string;
  description?: string | undefined;
  settings?: Record<string, unknown> | undefined;
  respondAsync?: boolean | undefined;
}

/**
 * An edit of an endpoint: absent fields stay. `settings` is a JSON merge patch (RFC 7396) of the
 * stored settings: a name set to null is removed, others are set, the rest stay, so one value can be
 * changed without sending the credentials again.
 */
export interface EndpointPatch {
  description?: string | null | undefined;
  settings?: Record<string, unknown> | undefined;
  respondAsync?: boolean | undefined;
}

export type EndpointOutcome =
  | { kind: 'ok'; endpoint: WebhookEndpoint }
  | { kind: 'not_found' }
  | { kind: 'unknown_provider'; detail: string }
  /** `field` is the path inside settings, e.g. `apiBaseUrl`. */
  | { kind: 'invalid_settings'; field: string; message: string }
  | { kind: 'encryption_unavailable' };

export type DeliveryLookup =
  { kind: 'found'; endpoint: DeliveryEndpoint } | { kind: 'not_found' } | { kind: 'undecryptable' };

export function webhookUrl(provider: string, endpointId: string): string {
  return `/v1/webhooks/${provider}/${endpointId}`;
}

function present(row: WebhookEndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    provider: row.provider,
    url: webhookUrl(row.provider, row.id),
    description: row.description,
    settings: row.settings,
    respondAsync: row.respondAsync,
    createdAt: row.createdAt,
    secretRotatedAt: row.secretRotatedAt,
    previousSecretExpiresAt: row.previousSecretExpiresAt,
  };
}

/** The associated data that ties each ciphertext to its endpoint and purpose. */
const secretAad = (id: string) => `webhook_endpoint:${id}:secret`;
const settingsAad = (id: string) => `webhook_endpoint:${id}:settings`;

export interface WebhookEndpointServiceDeps {
  repo: WebhookEndpointRepository;
  registry: ConnectorRegistry;
  keys: EncryptionKeyProvider;
  clock: () => Date;
  /** How long a looked-up endpoint is reused; other instances see a rotation or deletion after this. */
  cacheTtlMs: number;
  /** Told whether each delivery's endpoint lookup was answered from the cache. */
  lookups: CacheLookups;
  /** Judges the URLs a connector would call with the settings, when they are saved. */
  http: Pick<OutboundHttp, 'urlProblem'>;
}

/** Manages webhook endpoints and resolves them, decrypted and briefly cached, for deliveries. */
export class WebhookEndpointService {
  private readonly cache: LRUCache<string, DeliveryEndpoint | false>;

  constructor(private readonly deps: WebhookEndpointServiceDeps) {
    this.cache = new LRUCache({ max: 10_000, ttl: Math.max(deps.cacheTtlMs, 1) });
  }

  async create(tenantId: string, input: CreateEndpointInput): Promise<EndpointOutcome> {
    const provider = input.provider.toLowerCase();
    const connector = this.deps.registry.get(provider);
    if (!connector)
      return {
        kind: 'unknown_provider',
        detail: `Unknown provider "${input.provider}"; known: ${this.deps.registry.ids().join(', ')}`,
      };
    if (!connector.verify)
      return {
        kind: 'unknown_provider',
        detail: `The ${connector.displayName} connector cannot verify webhook signatures`,
      };
    const invalid = this.settingsProblem(connector, input.settings ?? {});
    if (invalid) return invalid;
    const box = await this.deps.keys.box();
    if (!box) return { kind: 'encryption_unavailable' };
    const id = newId('whe');
    const { readable, sensitive } = splitSettings(input.settings ?? {});
    const row = await this.deps.repo.insert({
      id,
      tenantId,
      provider,
      description: input.description ?? null,
      secretCiphertext: box.encrypt(input.secret, secretAad(id)),
      settings: readable,
      settingsCiphertext: sensitive ? box.encrypt(JSON.stringify(sensitive), settingsAad(id)) : null,
      respondAsync: input.respondAsync ?? false,
      createdAt: this.deps.clock(),
    });
    this.cache.delete(id);
    return { kind: 'ok', endpoint: present(row) };
  }

  async list(tenantId: string): Promise<WebhookEndpoint[]> {
    return (await this.deps.repo.listForTenant(tenantId)).map(present);
  }

  async get(tenantId: string, id: string): Promise<WebhookEndpoint | null> {
    const row = await this.deps.repo.findForTenant(tenantId, id);
    return row ? present(row) : null;
  }

  /** Installs a new secret; the old one keeps verifying deliveries for `gracePeriodSeconds`. */
  async rotateSecret(
    tenantId: string,
    id: string,
    secret: string,
    gracePeriodSeconds: number,
  ): Promise<EndpointOutcome> {
    const box = await this.deps.keys.box();
    if (!box) return { kind: 'encryption_unavailable' };
    const now = this.deps.clock();
    const row = await this.deps.repo.rotateSecret(tenantId, id, {
      secretCiphertext: box.encrypt(secret, secretAad(id)),
      previousSecretExpiresAt: gracePeriodSeconds > 0 ? new Date(now.getTime() + gracePeriodSeconds * 1000) : null,
      rotatedAt: now,
    });
    this.cache.delete(id);
    return row ? { kind: 'ok', endpoint: present(row) } : { kind: 'not_found' };
  }

  /** Applies `patch`; settings are checked as at creation, with the stored ones merged in. */
  async update(tenantId: string, id: string, patch: EndpointPatch): Promise<EndpointOutcome> {
    let refused: EndpointOutcome | null = null;
    const row = await this.deps.repo.update(tenantId, id, async (current) => {
      const changes: WebhookEndpointChanges = {};
      if (patch.description !== undefined) changes.description = patch.description;
      if (patch.respondAsync !== undefined) changes.respondAsync = patch.respondAsync;
      if (patch.settings === undefined) return changes;
      const connector = this.deps.registry.get(current.provider);
      if (!connector) {
        refused = { kind: 'unknown_provider', detail: `No connector for ${current.provider} is installed` };
        return null;
      }
      const box = await this.deps.keys.box();
      const stored = box ? this.storedSettings(box, current) : null;
      if (!box || !stored) {
        refused = { kind: 'encryption_unavailable' };
        return null;
      }
      const settings = mergePatch(stored, patch.settings);
      refused = this.settingsProblem(connector, settings);
      if (refused) return null;
      const { readable, sensitive } = splitSettings(settings);
      changes.settings = readable;
      changes.settingsCiphertext = sensitive ? box.encrypt(JSON.stringify(sensitive), settingsAad(id)) : null;
      return changes;
    });
    this.cache.delete(id);
    if (refused) return refused;
    return row ? { kind: 'ok', endpoint: present(row) } : { kind: 'not_found' };
  }

  async remove(tenantId: string, id: string): Promise<boolean> {
    const deleted = await this.deps.repo.softDelete(tenantId, id, this.deps.clock());
    this.cache.delete(id);
    return deleted;
  }

  /**
   * Settings a tenant could turn against the network are refused when saved (and the outbound
   * client checks again at every call): each URL the connector would call, and the replay window.
   */
  private settingsProblem(connector: Connector, settings: Record<string, unknown>): EndpointOutcome | null {
    const tolerance = settings.signatureToleranceSeconds;
    if (
      tolerance !== undefined &&
      !(
        typeof tolerance === 'number' &&
        Number.isInteger(tolerance) &&
        tolerance >= 1 &&
        tolerance <= MAX_SIGNATURE_TOLERANCE_SECONDS
      )
    ) {
      return {
        kind: 'invalid_settings',
        field: 'signatureToleranceSeconds',
        message: `must be a whole number of seconds from 1 to ${MAX_SIGNATURE_TOLERANCE_SECONDS}`,
      };
    }
    for (const { field, url } of connector.outboundUrls?.(settings) ?? []) {
      const problem = this.deps.http.urlProblem(url);
      if (problem) return { kind: 'invalid_settings', field, message: problem };
    }
    return null;
  }

  async forDelivery(id: string): Promise<DeliveryLookup> {
    const cached = this.cache.get(id);
    if (cached !== undefined) {
      this.deps.lookups.hit();
      return cached ? { kind: 'found', endpoint: cached } : { kind: 'not_found' };
    }
    this.deps.lookups.miss();
    const row = await this.deps.repo.findActive(id);
    if (!row) {
      this.cache.set(id, false);
      return { kind: 'not_found' };
    }
    const box = await this.deps.keys.box();
    const endpoint = box ? this.decrypt(box, row) : null;
    if (!endpoint) return { kind: 'undecryptable' };
    this.cache.set(id, endpoint);
    return { kind: 'found', endpoint };
  }

  /** The settings as stored, credentials decrypted; null when they cannot be (another key). */
  private storedSettings(box: SecretBox, row: WebhookEndpointRow): Record<string, unknown> | null {
    try {
      const sensitive = row.settingsCiphertext
        ? (JSON.parse(box.decrypt(row.settingsCiphertext, settingsAad(row.id))) as Record<string, unknown>)
        : null;
      return mergeSettings(row.settings, sensitive);
    } catch {
      return null;
    }
  }

  private decrypt(box: SecretBox, row: WebhookEndpointRow): DeliveryEndpoint | null {
    const settings = this.storedSettings(box, row);
    if (!settings) return null;
    try {
      return {
        id: row.id,
        tenantId: row.tenantId,
        provider: row.provider,
        secret: box.decrypt(row.secretCiphertext, secretAad(row.id)),
        previousSecret: row.previousSecretCiphertext
          ? box.decrypt(row.previousSecretCiphertext, secretAad(row.id))
          : null,
        previousSecretExpiresAt: row.previousSecretExpiresAt,
        settings,
        respondAsync: row.respondAsync,
      };
    } catch {
      // A wrong or changed PAYLENS_ENCRYPTION_KEY: the caller answers 503 so the provider retries later.
      return null;
    }
  }
}
