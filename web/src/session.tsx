import { createContext, useContext, type ReactNode } from 'react';
import type { Me, Permission, User } from './api.types.js';

export interface Session {
  user: User;
  permissions: ReadonlySet<Permission>;
}

const SessionContext = createContext<Session | null>(null);

/** Builds the session from GET /v1/me; null when the caller is not a signed-in user. */
export function sessionOf(me: Me): Session | null {
  return me.user ? { user: me.user, permissions: new Set(me.permissions) } : null;
}

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in dashboard');
  return session;
}

/**
 * Whether the signed-in user's role holds `permission` (GET /v1/me lists them). It only decides
 * which controls are shown: the server refuses the call all the same.
 */
export function useCan(permission: Permission): boolean {
  return useSession().permissions.has(permission);
}
