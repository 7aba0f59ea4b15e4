import type { Server } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from './processes.js';

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
