import { useCallback, useEffect, useState } from 'react';
import { api, setCsrfToken, UNAUTHORIZED_EVENT } from './api.client.js';
import type { Me, Permission } from './api.types.js';
import { LiveFeedProvider, useLiveStatus } from './live-feed.js';
import { AcceptInvitationPage } from './pages/accept-invitation.page.js';
import { AlertsPage } from './pages/alerts.page.js';
import { AuditPage } from './pages/audit.page.js';
import { EventDetailPage } from './pages/event-detail.page.js';
import { EventsPage } from './pages/events.page.js';
import { OverviewPage } from './pages/overview.page.js';
import { PaymentPage } from './pages/payment.page.js';
import { QueuePage } from './pages/queue.page.js';
import { RiskPage } from './pages/risk.page.js';
import { SignInPage } from './pages/sign-in.page.js';
import { UsersPage } from './pages/users.page.js';
import { Link, useLocation } from './router.js';
import { SessionProvider, sessionOf, useSession, type Session } from './session.js';

const NAV: Array<{ to: string; name: string; needs?: Permission }> = [
  { to: '/', name: 'Overview' },
  { to: '/events', name: 'Events' },
  { to: '/payments', name: 'Payments' },
  { to: '/queue', name: 'Dead letters' },
  { to: '/alerts', name: 'Alerts' },
  { to: '/risk', name: 'Risk' },
  { to: '/audit', name: 'Audit', needs: 'audit' },
  { to: '/users', name: 'Users', needs: 'users' },
];

const ACCEPT_PATH = '/accept-invitation';

/** Who is signed in, from GET /v1/me: undefined while asking, null when nobody is (or only a key, which the dashboard never uses). */
async function whoIsSignedIn(): Promise<Session | null> {
  try {
    const me = await api<Me>('/v1/me', { signingIn: true });
    setCsrfToken(me.csrfToken);
    return sessionOf(me);
  } catch {
    return null;
  }
}

export function App() {
  const { path, query } = useLocation();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const refresh = useCallback(() => {
    void whoIsSignedIn().then(setSession);
  }, []);
  useEffect(() => {
    refresh();
    const ended = () => {
      setCsrfToken(null);
      setSession(null);
    };
    window.addEventListener(UNAUTHORIZED_EVENT, ended);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, ended);
  }, [refresh]);
  const signedIn = (answer: { csrfToken: string }) => {
    setCsrfToken(answer.csrfToken);
    refresh();
  };

  if (path === ACCEPT_PATH) return <AcceptInvitationPage onSignedIn={signedIn} />;
  if (session === undefined)
    return (
      <main className="signin" aria-busy="true">
        <p className="muted">Loading…</p>
      </main>
    );
  if (session === null) return <SignInPage onSignedIn={signedIn} ssoError={query.get('sso_error')} />;
  const signOut = async () => {
    try {
      await api('/v1/auth/logout', { method: 'POST', signingIn: true });
    } catch {
      // Already ended: signed out all the same.
    }
    setCsrfToken(null);
    setSession(null);
  };
  return (
    <SessionProvider session={session}>
      {/* A new session (another user, or a new role) gets a new feed. */}
      <LiveFeedProvider key={session.user.id + session.user.role}>
        <Shell onSignOut={() => void signOut()} />
      </LiveFeedProvider>
    </SessionProvider>
  );
}

function Shell({ onSignOut }: { onSignOut(): void }) {
  const { path, query } = useLocation();
  const live = useLiveStatus();
  const { user, permissions } = useSession();
  const active = (to: string) => (to === '/' ? path === '/' : path.startsWith(to));
  return (
    <div className="shell">
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Paylens
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.needs || permissions.has(n.needs)).map((n) => (
              <li key={n.to}>
                <Link to={n.to} ariaCurrent={active(n.to)}>
                  {n.name}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className={`live live-${live}`} role="status" aria-label={`Live feed ${live}`}>
          <i aria-hidden="true" /> {live}
        </span>
        <span className="whoami" title={user.email}>
          {user.email} <span className="muted">({user.role})</span>
        </span>
        <button type="button" onClick={onSignOut} className="signout">
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} query={query} />
      </main>
    </div>
  );
}

function Page({ path, query }: { path: string; query: URLSearchParams }) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case undefined:
      return <OverviewPage />;
    case 'events':
      return parts[1] ? (
        <EventDetailPage key={parts[1]} id={parts[1]} />
      ) : (
        <EventsPage key={query.toString()} query={query} />
      );
    case 'payments':
      return <PaymentPage key={path} provider={parts[1] ?? null} paymentId={parts[2] ?? null} />;
    case 'queue':
      return <QueuePage />;
    case 'alerts':
      return <AlertsPage />;
    case 'risk':
      return <RiskPage />;
    case 'audit':
      return <AuditPage />;
    case 'users':
      return <UsersPage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page at <code>{path}</code>. <Link to="/">Go to the overview</Link>.
          </p>
        </section>
      );
  }
}
