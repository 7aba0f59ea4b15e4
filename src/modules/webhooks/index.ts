export { createWebhooks } from './webhooks.factory.js';
export type { WebhooksDeps } from './webhooks.factory.js';
export { webhookDeliveryRoutes, webhookEndpointRoutes } from './webhooks.routes.js';
export type { WebhookDeliveryRoutesDeps, WebhookEndpointRoutesDeps } from './webhooks.routes.js';
