// The cookie plugin's request and reply additions (registered on the root instance in buildApp).
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../platform/errors/app-error.js';
import { rateLimited } from '../../platform/http/rate-limit.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import {
  actorDetails,
  principalOf,
  roleSchema,
  SESSION_COOKIE,
  tenantNameSchema,
  tenantOf,
  ROLE_PERMISSIONS,
} from '../tenancy/index.js';
import {
  AccountLocked,
  presentUser,
  type AccessService,
  type Caller,
  type NewSessionResult,
} from './access.service.js';
import { MAX_PASSWORD_LENGTH } from './password-policy.js';
import { SsoRefused, type SsoService } from './sso.service.js';

/** What the access routes use: the two services, and where the dashboard is reached. */
export interface AccessRoutesDeps {
  access: AccessService;
  sso: SsoService;
  /** PAYLENS_PUBLIC_URL: the SSO redirect URI's origin; the request's own origin when null. */
  publicUrl: string | null;
  /** Session cookie lifetime in the browser (the server enforces both timeouts itself). */
  sessionMaxAgeSeconds: number;
}

const SSO_STATE_COOKIE = 'paylens_sso_state';
const SSO_PATH = '/v1/auth/sso';

const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  role: roleSchema,
  status: z.enum(['invited', 'active', 'disabled']),
  totp: z.boolean(),
  createdAt: z.string(),
  lastSignInAt: z.string().nullable(),
});

const invitedSchema = z.object({
  user: userSchema,
  invitation: z.object({ token: z.string(), url: z.string(), expiresAt: z.string() }),
});

const sessionAnswer = z.object({ user: userSchema, csrfToken: z.string(), expiresAt: z.string() });
/** An e-mail address as the tenant's users are keyed by it: trimmed, lowercase. */
export const emailSchema = z.string().trim().toLowerCase().email().max(254);
const passwordSchema = z
  .string()
  .min(1)
  .max(MAX_PASSWORD_LENGTH * 4);
const grantableRole = z.enum(['viewer', 'analyst', 'admin']);

const ssoSettingsSchema = z.object({
  issuer: z.string().url().max(500),
  clientId: z.string().min(1).max(200),
  roleClaim: z.string().min(1).max(100).default('groups'),
  roleMapping: z.record(z.string().max(200), grantableRole).default({}),
  defaultRole: grantableRole.nullable().default(null),
  jitProvisioning: z.boolean().default(false),
});

function callerOf(request: FastifyRequest): Caller {
  return { actor: request.principal?.keyId ?? 'anonymous', details: actorDetails(request) };
}

function secure(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

function setSession(request: FastifyRequest, reply: FastifyReply, session: NewSessionResult, maxAge: number): void {
  reply.setCookie(SESSION_COOKIE, session.token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: secure(request),
    maxAge,
  });
}

function sessionBody(session: NewSessionResult) {
  return { user: session.user, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() };
}

/** A locked account's refusal as 429 with Retry-After. */
async function unlessLocked<T>(reply: FastifyReply, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof AccountLocked)
      throw rateLimited(reply, error.retryAfter, 'Too many failed sign-ins for this account');
    throw error;
  }
}

const reauthenticationSchema = z
  .object({ password: passwordSchema.optional(), code: z.string().max(16).optional() })
  .refine((b) => (b.password === undefined) !== (b.code === undefined), 'send either password or code');

const REAUTHENTICATION_NOTE =
  "Send the current `password` or a current authenticator `code` (a code works once). A wrong one answers 422 and counts toward the account's sign-in lockout (429 with Retry-After).";

/** Sign-in, sessions, invitations, users, TOTP and SSO: the people side of a tenant. */
export async function accessRoutes(app: App, deps: AccessRoutesDeps): Promise<void> {
  const { access, sso } = deps;
  const origin = (request: FastifyRequest) => deps.publicUrl ?? `${request.protocol}://${request.host}`;

  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        summary: 'Sign in with a password (and a TOTP or recovery code when the account has one)',
        description:
          'Sets the httpOnly, SameSite=Lax session cookie (Secure over HTTPS) and answers the CSRF token that cookie-authenticated writes send as X-CSRF-Token. After 10 failed attempts on an account within 15 minutes, further attempts answer 429 with Retry-After. A missing or wrong second factor answers 401 `totp_required`.',
        tags: ['access'],
        body: z.object({
          tenant: tenantNameSchema,
          email: emailSchema,
          password: passwordSchema,
          totp: z.string().max(32).optional(),
        }),
        response: { 200: sessionAnswer, ...problemResponses(401, 422, 429) },
      },
    },
    async (request, reply) => {
      const session = await unlessLocked(reply, access.login(request.body, callerOf(request)));
      setSession(request, reply, session, deps.sessionMaxAgeSeconds);
      return sessionBody(session);
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        summary: 'Sign out: ends this session at once (and its live feed)',
        tags: ['access'],
        response: { 204: z.null(), ...problemResponses(401, 403) },
      },
    },
    async (request, reply) => {
      await access.logout(principalOf(request), callerOf(request));
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/invitations/accept',
    {
      config: { public: true },
      schema: {
        summary: 'Accept an invitation with a password; signs the new user in',
        description:
          'Passwords need at least 12 characters (at most 256), 5 different characters, and must be neither a well-known password nor contain the e-mail name.',
        tags: ['access'],
        body: z.object({ token: z.string().min(1).max(200), password: passwordSchema }),
        response: { 200: sessionAnswer, ...problemResponses(404, 422) },
      },
    },
    async (request, reply) => {
      const session = await access.acceptInvitation(request.body.token, request.body.password, callerOf(request));
      setSession(request, reply, session, deps.sessionMaxAgeSeconds);
      return sessionBody(session);
    },
  );

  app.get(
    '/auth/sso/start',
    {
      config: { public: true },
      schema: {
        summary: "Start single sign-on with the tenant's OpenID Connect provider (redirects there)",
        tags: ['access'],
        querystring: z.object({ tenant: tenantNameSchema, invitation: z.string().max(200).optional() }),
      },
    },
    async (request, reply) => {
      try {
        const { url, state } = await sso.start(
          request.query.tenant,
          request.query.invitation ?? null,
          `${origin(request)}${SSO_PATH}/callback`,
        );
        // Binds the flow to this browser: a callback carrying another browser's state is refused.
        reply.setCookie(SSO_STATE_COOKIE, state, {
          path: SSO_PATH,
          httpOnly: true,
          sameSite: 'lax',
          secure: secure(request),
          maxAge: 600,
        });
        return reply.redirect(url, 302);
      } catch (error) {
        if (error instanceof SsoRefused) return reply.redirect(`/?sso_error=${error.reason}`, 302);
        throw error;
      }
    },
  );

  app.get(
    '/auth/sso/callback',
    {
      config: { public: true },
      schema: {
        summary: "The OpenID Connect provider's redirect back: opens a session and goes to the dashboard",
        tags: ['access'],
        querystring: z.object({ state: z.string().max(500).optional() }).passthrough(),
      },
    },
    async (request, reply) => {
      const state = request.query.state;
      const bound = (request.cookies as Record<string, string | undefined>)[SSO_STATE_COOKIE];
      reply.clearCookie(SSO_STATE_COOKIE, { path: SSO_PATH });
      try {
        if (!state || state !== bound) throw new SsoRefused('flow');
        const callbackUrl = new URL(request.url, `${origin(request)}`);
        const session = await sso.callback(callbackUrl, state, callerOf(request));
        setSession(request, reply, session, deps.sessionMaxAgeSeconds);
        return reply.redirect('/', 302);
      } catch (error) {
        if (error instanceof SsoRefused) return reply.redirect(`/?sso_error=${error.reason}`, 302);
        throw error;
      }
    },
  );

  app.get(
    '/me',
    {
      schema: {
        summary: 'Who is calling: the signed-in user (role, permissions, CSRF token) or the API key',
        tags: ['access'],
        response: {
          200: z.object({
            kind: z.enum(['user', 'key']),
            tenantId: z.string(),
            user: userSchema.nullable(),
            permissions: z.array(z.string()),
            scopes: z.array(z.string()),
            csrfToken: z.string().nullable(),
          }),
          ...problemResponses(401),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const signedIn = principal.user;
      const record = signedIn ? await access.get(principal.tenantId, signedIn.id) : null;
      return {
        kind: principal.kind,
        tenantId: principal.tenantId,
        user: record ? presentUser(record) : null,
        permissions: signedIn ? [...ROLE_PERMISSIONS[signedIn.role]] : [],
        scopes: [...principal.scopes],
        csrfToken: signedIn?.csrfToken ?? null,
      };
    },
  );

  const userOnly = (request: FastifyRequest) => {
    const user = principalOf(request).user;
    if (!user) throw new AppError('forbidden', 'Only a signed-in user has a second factor');
    return user;
  };

  app.post(
    '/me/totp',
    {
      schema: {
        summary: 'Start turning on a TOTP second factor: a secret and its otpauth:// URL',
        tags: ['access'],
        response: { 200: z.object({ secret: z.string(), otpauthUrl: z.string() }), ...problemResponses(401, 403, 409) },
      },
    },
    async (request) => access.beginTotp(tenantOf(request), userOnly(request).id),
  );

  app.post(
    '/me/totp/confirm',
    {
      schema: {
        summary: 'Turn TOTP on with a code from the authenticator; answers the recovery codes, once',
        tags: ['access'],
        body: z.object({ code: z.string().max(16) }),
        response: { 200: z.object({ recoveryCodes: z.array(z.string()) }), ...problemResponses(401, 403, 409, 422) },
      },
    },
    async (request) => ({
      recoveryCodes: await access.confirmTotp(
        tenantOf(request),
        userOnly(request).id,
        request.body.code,
        callerOf(request),
      ),
    }),
  );

  app.post(
    '/me/totp/disable',
    {
      schema: {
        summary: 'Turn the TOTP second factor off (its recovery codes stop working)',
        description: REAUTHENTICATION_NOTE,
        tags: ['access'],
        body: reauthenticationSchema,
        response: { 200: userSchema, ...problemResponses(401, 403, 409, 422, 429) },
      },
    },
    async (request, reply) =>
      unlessLocked(reply, access.disableTotp(tenantOf(request), userOnly(request).id, request.body, callerOf(request))),
  );

  app.post(
    '/me/totp/recovery-codes',
    {
      schema: {
        summary: 'Replace the recovery codes: answers 10 new ones, once; the old ones stop working',
        description: REAUTHENTICATION_NOTE,
        tags: ['access'],
        body: reauthenticationSchema,
        response: {
          200: z.object({ recoveryCodes: z.array(z.string()) }),
          ...problemResponses(401, 403, 409, 422, 429),
        },
      },
    },
    async (request, reply) => ({
      recoveryCodes: await unlessLocked(
        reply,
        access.regenerateRecoveryCodes(tenantOf(request), userOnly(request).id, request.body, callerOf(request)),
      ),
    }),
  );

  app.get(
    '/users',
    {
      schema: {
        summary: "The tenant's users",
        tags: ['users'],
        response: { 200: z.object({ data: z.array(userSchema) }), ...problemResponses(401, 403) },
      },
    },
    async (request) => ({ data: await access.list(tenantOf(request)) }),
  );

  // Among people only an owner makes or changes an owner; a key with `manage` (what made the first owner) may.
  const isOwner = (request: FastifyRequest) => {
    const principal = principalOf(request);
    return principal.kind === 'key' || principal.user?.role === 'owner';
  };

  app.post(
    '/users',
    {
      schema: {
        summary: 'Invite a user: the invitation link is in this response only',
        description:
          'Only an owner may invite an owner. The invitation is accepted with POST /v1/auth/invitations/accept (a password) or through SSO, once, before it expires.',
        tags: ['users'],
        body: z.object({ email: emailSchema, role: roleSchema }),
        response: { 201: invitedSchema, ...problemResponses(401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      if (request.body.role === 'owner' && !isOwner(request))
        throw new AppError('forbidden', 'Only an owner can invite an owner');
      const invited = await access.invite(tenantOf(request), request.body, callerOf(request));
      return reply.code(201).send(invited);
    },
  );

  app.post(
    '/users/:id/invitation',
    {
      schema: {
        summary: 'Invite a user again who has not joined yet: a new invitation link, in this response only',
        description:
          'For a user still `invited` (their link expired or went astray): earlier links stop working. 409 for a user who has joined or is disabled; only an owner invites an owner again.',
        tags: ['users'],
        params: z.object({ id: z.string().max(64) }),
        response: {
          201: invitedSchema,
          ...problemResponses(401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const invited = await access.reinvite(tenantOf(request), request.params.id, {
        ...callerOf(request),
        isOwner: isOwner(request),
      });
      return reply.code(201).send(invited);
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        summary: "Change a user's role, or disable or enable them",
        description:
          "A role change or a disable ends the user's sessions at once, and closes their live feed. Only an owner changes an owner; the last active owner stays one.",
        tags: ['users'],
        params: z.object({ id: z.string().max(64) }),
        body: z
          .object({ role: roleSchema.optional(), disabled: z.boolean().optional() })
          .refine((b) => b.role !== undefined || b.disabled !== undefined, 'name a role or disabled'),
        response: { 200: userSchema, ...problemResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request) =>
      access.update(tenantOf(request), request.params.id, request.body, {
        ...callerOf(request),
        isOwner: isOwner(request),
      }),
  );

  app.get(
    '/sso',
    {
      schema: {
        summary: "The tenant's single sign-on settings (never the client secret)",
        tags: ['users'],
        response: { 200: z.object({ sso: ssoSettingsSchema.nullable() }), ...problemResponses(401, 403) },
      },
    },
    async (request) => ({ sso: await sso.settings(tenantOf(request)) }),
  );

  app.put(
    '/sso',
    {
      schema: {
        summary: "Set the tenant's OpenID Connect provider, its client, and how its claims map to roles",
        description:
          'Register the redirect URI `<PAYLENS_PUBLIC_URL>/v1/auth/sso/callback` with the provider. The role comes from `roleClaim` (a string or a list, e.g. groups) through `roleMapping`; `defaultRole` applies when nothing matches (null refuses such users). With `jitProvisioning` a verified e-mail address unknown to the tenant becomes a user on first sign-in.',
        tags: ['users'],
        body: ssoSettingsSchema.extend({ clientSecret: z.string().min(1).max(500) }),
        response: { 200: z.object({ sso: ssoSettingsSchema }), ...problemResponses(401, 403, 409, 422) },
      },
    },
    async (request) => ({ sso: await sso.save(tenantOf(request), request.body, callerOf(request)) }),
  );
}
