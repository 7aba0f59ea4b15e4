import { AppError } from '../../platform/errors/app-error.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { IngestResult, IntakeService } from '../ingest/intake.service.js';
import type { Connector, VerifyInput, VerifyResult } from '../normalize/connector.js';
import type { ConnectorRegistry } from '../normalize/connector-registry.js';
import type { DeliveryEndpoint, WebhookEndpointService } from './webhook-endpoint.service.js';

export interface DeliveryInput {
  provider: string;
  endpointId: string;
  rawBody: Buffer;
  headers: VerifyInput['headers'];
  query: VerifyInput['query'];
  contentType: string | undefined;
}

export type DeliveryOutcome =
  | { kind: 'not_found' }
  | { kind: 'undecryptable' }
  | { kind: 'invalid_signature'; reason: string }
  | { kind: 'accepted'; result: IngestResult; ack: Connector['webhookAck'] };

export interface WebhookDeliveryDeps {
  endpoints: WebhookEndpointService;
  registry: ConnectorRegistry;
  intake: IntakeService;
  metrics: Metrics;
  clock: () => Date;
  fetch: typeof fetch;
}

/**
 * One provider delivery: find the endpoint, verify the signature over the raw bytes with the
 * current secret (then the previous one while its grace period lasts), and only then hand the
 * body to the intake, which stores it durably and dedupes redeliveries.
 */
export class WebhookDeliveryService {
  constructor(private readonly deps: WebhookDeliveryDeps) {}

  async deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
    const lookup = await this.deps.endpoints.forDelivery(input.endpointId);
    if (lookup.kind === 'undecryptable') return lookup;
    const endpoint = lookup.kind === 'found' ? lookup.endpoint : null;
    const connector = endpoint && endpoint.provider === input.provider ? this.deps.registry.get(endpoint.provider) : undefined;
    if (!endpoint || !connector) return { kind: 'not_found' };

    const verdict = await this.verify(connector, endpoint, input);
    if (!verdict.ok) {
      this.deps.metrics.invalidSignatures.inc({ provider: endpoint.provider });
      return { kind: 'invalid_signature', reason: verdict.reason };
    }
    const result = await this.deps.intake.ingest({
      tenantId: endpoint.tenantId,
      source: 'webhook',
      body: input.rawBody,
      contentType: input.contentType,
      providerHint: endpoint.provider,
      endpointId: endpoint.id,
      resolveContext: { settings: endpoint.settings, fetch: this.deps.fetch },
    });
    return { kind: 'accepted', result, ack: connector.webhookAck };
  }

  private async verify(connector: Connector, endpoint: DeliveryEndpoint, input: DeliveryInput): Promise<VerifyResult> {
    const verify = connector.verify;
    if (!verify) return { ok: false, reason: `the ${connector.displayName} connector cannot verify signatures` };
    const now = this.deps.clock();
    const attempt = async (secret: string): Promise<VerifyResult> => {
      try {
        return await verify.call(connector, { rawBody: input.rawBody, headers: input.headers, query: input.query, secret, settings: endpoint.settings, now });
      } catch (error) {
        // Verification that could not run (e.g. a certificate download failed) is not a bad signature: 503 makes the provider retry.
        throw new AppError('unavailable', `Could not verify the ${connector.displayName} signature right now: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    const current = await attempt(endpoint.secret);
    if (current.ok) return current;
    const { previousSecret, previousSecretExpiresAt } = endpoint;
    if (previousSecret !== null && previousSecretExpiresAt !== null && now < previousSecretExpiresAt) {
      const previous = await attempt(previousSecret);
      if (previous.ok) return previous;
    }
    return current;
  }
}
