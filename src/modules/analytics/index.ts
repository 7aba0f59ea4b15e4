export { createAnalytics } from './analytics.factory.js';
export { analyticsRoutes } from './analytics.routes.js';
