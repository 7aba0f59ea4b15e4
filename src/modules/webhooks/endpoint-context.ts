import type { OutboundHttp } from '../../platform/net/outbound-client.js';
import type { ResolveContextLookup } from '../ingest/index.js';
import type { WebhookEndpointService } from './webhook-endpoint.service.js';

/**
 * A retried webhook event needs what its delivery had: the endpoint's settings (e.g. the Mercado
 * Pago access token used to fetch the payment), looked up again from the endpoint it came through.
 */
export function endpointResolveContext(
  endpoints: Pick<WebhookEndpointService, 'forDelivery'>,
  http: OutboundHttp,
): ResolveContextLookup {
  return async (raw) => {
    if (!raw.endpointId) return undefined;
    const lookup = await endpoints.forDelivery(raw.endpointId);
    if (lookup.kind !== 'found' || lookup.endpoint.tenantId !== raw.tenantId) return undefined;
    return { settings: lookup.endpoint.settings, http };
  };
}
