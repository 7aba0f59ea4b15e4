export { createAccess } from './access.factory.js';
export type { Access, AccessFactoryDeps } from './access.factory.js';
export { accessRoutes, emailSchema } from './access.routes.js';
export type { AccessRoutesDeps } from './access.routes.js';
export { AccessService, normalizeEmail } from './access.service.js';
export type { Invitation, PublicUser } from './access.service.js';
export { passwordProblem } from './password-policy.js';
export { SsoService, mappedRole } from './sso.service.js';
export type { SsoSettings } from './sso.service.js';
