export { endpointResolveContext } from './endpoint-context.js';
export { webhookDeliveryRoutes } from './webhook-delivery.routes.js';
export { webhookEndpointRoutes } from './webhook-endpoints.routes.js';
export {
  createEncryptionKeys,
  createWebhookDeliveryService,
  createWebhookEndpointService,
} from './webhooks.factory.js';
