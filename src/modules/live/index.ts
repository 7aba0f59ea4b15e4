export { createLive } from './live.factory.js';
export type { LiveDeps, LiveFeed } from './live.factory.js';
export { dashboardStatic, liveRoutes, liveWebsocket } from './live.routes.js';
export type { LiveRoutesDeps } from './live.routes.js';
