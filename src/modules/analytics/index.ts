export { createAnalytics } from './analytics.factory.js';
export type { Analytics, AnalyticsDeps } from './analytics.factory.js';
export { analyticsRoutes } from './analytics.routes.js';
export type { AnalyticsRoutesDeps } from './analytics.routes.js';
