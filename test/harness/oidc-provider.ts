import type { Server } from 'node:http';
import Provider from 'oidc-provider';
import { expect } from 'vitest';
import { callApi, createTestApp, type TestApp } from './app.js';
import { freePort } from './processes.js';
import type { StoreKind } from './stores.js';

/** An account of the test provider: its development login form takes the account id as the login name. */
export interface OidcAccount {
  email: string;
  groups: string[];
}

/**
 * A real OpenID provider (oidc-provider) on loopback with its development login and consent pages:
 * one confidential client, authorization code with PKCE, `groups` and `email` claims.
 */
export async function startOidcProvider(options: {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  accounts: Record<string, OidcAccount>;
}): Promise<{ issuer: string; close(): Promise<void> }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims: { email: ['email', 'email_verified'], profile: ['groups', 'name'] },
    findAccount: (_ctx, id) => {
      const account = options.accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, email: account.email, email_verified: true, groups: account.groups, name: id }),
      };
    },
    pkce: { required: () => true },
  });
  const server = provider.listen(port) as Server;
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    issuer,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The tenant's SSO settings a test varies; the issuer, client and role claim are the test provider's. */
export interface SsoSettings {
  roleMapping: Record<string, string>;
  jitProvisioning: boolean;
}

export interface SsoTestApp {
  /** The app, with tenant `acme` whose SSO points at the provider. */
  t: TestApp;
  /** The app's origin on loopback, also its PAYLENS_PUBLIC_URL (so its callback URL is the client's redirect URI). */
  base: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** PUT /v1/sso for `acme` with the provider's issuer and client; the role mapping defaults to the one the app started with. */
  configure(settings: Partial<SsoSettings> & Pick<SsoSettings, 'jitProvisioning'>): ReturnType<typeof callApi>;
  close(): Promise<void>;
}

/**
 * A test app listening on a port, a real OpenID provider whose one client redirects to it, and
 * tenant `acme` configured for single sign-on with it: the `groups` claim mapped by `roleMapping`,
 * no default role, JIT provisioning on.
 */
export async function ssoTestApp(options: {
  store: StoreKind;
  accounts: Record<string, OidcAccount>;
  roleMapping: Record<string, string>;
}): Promise<SsoTestApp> {
  const clientId = 'paylens-dashboard';
  const clientSecret = 'a-client-secret-for-the-test-provider-0123456789';
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const provider = await startOidcProvider({
    clientId,
    clientSecret,
    redirectUri: `${base}/v1/auth/sso/callback`,
    accounts: options.accounts,
  });
  let t: TestApp | undefined;
  try {
    t = await createTestApp(options.store, {
      PAYLENS_PUBLIC_URL: base,
      PAYLENS_ENCRYPTION_KEY: 'cd'.repeat(32),
      // The provider runs on loopback over http: only a test (or a private deployment) allows that.
      OUTBOUND_ALLOW_HTTP: 'true',
      OUTBOUND_ALLOW_PRIVATE: 'true',
    });
    await t.app.listen({ host: '127.0.0.1', port });
    const app = t;
    const configure: SsoTestApp['configure'] = (settings) =>
      callApi(app, 'PUT', '/v1/sso', {
        issuer: provider.issuer,
        clientId,
        clientSecret,
        roleClaim: 'groups',
        roleMapping: settings.roleMapping ?? options.roleMapping,
        defaultRole: null,
        jitProvisioning: settings.jitProvisioning,
      });
    const saved = await configure({ jitProvisioning: true });
    expect(saved.statusCode).toBe(200);
    return {
      t: app,
      base,
      issuer: provider.issuer,
      clientId,
      clientSecret,
      configure,
      close: async () => {
        await app.close();
        await provider.close();
      },
    };
  } catch (err) {
    // The caller gets nothing to close: what was started is stopped here.
    await t?.close();
    await provider.close();
    throw err;
  }
}
