export { dashboardStatic } from './dashboard.plugin.js';
export { LIVE_KEY_CHECK_MS, createLiveHub, liveFeedHook } from './live.factory.js';
export { liveRoutes, liveWebsocket } from './live.routes.js';
