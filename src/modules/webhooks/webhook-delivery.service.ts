import { AppError } from '../../platform/errors/app-error.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { OutboundHttp } from '../../platform/net/outbound-client.js';
import { summarizeRawEvent, type IngestResult, type IntakeService } from '../ingest/index.js';
import type { RawEventRepository } from '../ingest/index.js';
import type { Connector, SignedDelivery, VerifyInput, VerifyResult } from '../normalize/index.js';
import type { ConnectorRegistry } from '../normalize/index.js';
import type { SeenDeliveries } from './seen-deliveries.js';
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
  /** The same delivery id is being processed right now; the provider's retry will get the outcome. */
  | { kind: 'in_flight' }
  | { kind: 'accepted'; result: IngestResult; ack: Connector['webhookAck'] };

export interface WebhookDeliveryDeps {
  endpoints: WebhookEndpointService;
  registry: ConnectorRegistry;
  intake: Pick<IntakeService, 'ingest'>;
  rawEvents: Pick<RawEventRepository, 'findById'>;
  seen: Pick<SeenDeliveries, 'claim' | 'complete' | 'release'>;
  metrics: Metrics;
  clock: () => Date;
  http: OutboundHttp;
}

/**
 * One provider delivery: find the endpoint, verify the signature over the raw bytes with the
 * current secret (then the previous one while its grace period lasts), and only then hand the
 * body to the intake, which stores it durably and dedupes redeliveries. When the signature names a
 * delivery id (schemes whose signature does not cover the whole body), that id is processed once:
 * a replay answers 200 with the raw event the first delivery made and stores nothing, the answer
 * a provider's own retry of an accepted delivery needs to stop retrying.
 */
export class WebhookDeliveryService {
  constructor(private readonly deps: WebhookDeliveryDeps) {}

  async deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
    const lookup = await this.deps.endpoints.forDelivery(input.endpointId);
    if (lookup.kind === 'undecryptable') return lookup;
    const endpoint = lookup.kind === 'found' ? lookup.endpoint : null;
    const connector =
      endpoint && endpoint.provider === input.provider ? this.deps.registry.get(endpoint.provider) : undefined;
    if (!endpoint || !connector) return { kind: 'not_found' };

    const verdict = await this.verify(connector, endpoint, input);
    if (!verdict.ok) {
      this.deps.metrics.invalidSignatures.inc({ provider: endpoint.provider });
      return { kind: 'invalid_signature', reason: verdict.reason };
    }
    const signed = verdict.delivery;
    if (!signed) return { kind: 'accepted', result: await this.ingest(endpoint, input), ack: connector.webhookAck };
    const claim = await this.deps.seen.claim(endpoint.id, signed.id, signed.freshUntil);
    if (claim.kind === 'in_flight') return claim;
    if (claim.kind === 'seen') return this.replay(endpoint, claim.rawEventId, connector);
    return { kind: 'accepted', result: await this.ingestClaimed(endpoint, input, signed), ack: connector.webhookAck };
  }

  private ingest(endpoint: DeliveryEndpoint, input: DeliveryInput): Promise<IngestResult> {
    return this.deps.intake.ingest({
      tenantId: endpoint.tenantId,
      source: 'webhook',
      body: input.rawBody,
      contentType: input.contentType,
      providerHint: endpoint.provider,
      endpointId: endpoint.id,
      resolveContext: { settings: endpoint.settings, http: this.deps.http },
      respondAsync: endpoint.respondAsync,
    });
  }

  private async ingestClaimed(
    endpoint: DeliveryEndpoint,
    input: DeliveryInput,
    signed: SignedDelivery,
  ): Promise<IngestResult> {
    let result: IngestResult;
    try {
      result = await this.ingest(endpoint, input);
    } catch (error) {
      await this.deps.seen.release(endpoint.id, signed.id);
      throw error;
    }
    await this.deps.seen.complete(endpoint.id, signed.id, result.rawEvent.id);
    return result;
  }

  private async replay(endpoint: DeliveryEndpoint, rawEventId: string, connector: Connector): Promise<DeliveryOutcome> {
    const raw = await this.deps.rawEvents.findById(endpoint.tenantId, rawEventId);
    if (!raw) throw new AppError('conflict', 'This delivery was already received');
    return {
      kind: 'accepted',
      result: { replayed: true, rawEvent: summarizeRawEvent(raw), events: [] },
      ack: connector.webhookAck,
    };
  }

  private async verify(connector: Connector, endpoint: DeliveryEndpoint, input: DeliveryInput): Promise<VerifyResult> {
    const verify = connector.verify;
    if (!verify) return { ok: false, reason: `the ${connector.displayName} connector cannot verify signatures` };
    const now = this.deps.clock();
    const attempt = async (secret: string): Promise<VerifyResult> => {
      try {
        return await verify.call(connector, {
          rawBody: input.rawBody,
          headers: input.headers,
          query: input.query,
          secret,
          settings: endpoint.settings,
          now,
          http: this.deps.http,
        });
      } catch (error) {
        // Verification that could not run (e.g. a certificate download failed) is not a bad signature: 503 makes the provider retry.
        throw new AppError(
          'unavailable',
          `Could not verify the ${connector.displayName} signature right now: ${error instanceof Error ? error.message : String(error)}`,
        );
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
