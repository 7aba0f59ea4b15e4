import { useEffect, useState } from 'react';
import { storedKey, storeKey, UNAUTHORIZED_EVENT } from './api.client.js';
import { LiveFeedProvider, useLiveStatus } from './live-feed.js';
import { AlertsPage } from './pages/alerts.page.js';
import { AuditPage } from './pages/audit.page.js';
import { EventDetailPage } from './pages/event-detail.page.js';
import { EventsPage } from './pages/events.page.js';
import { OverviewPage } from './pages/overview.page.js';
import { PaymentPage } from './pages/payment.page.js';
import { QueuePage } from './pages/queue.page.js';
import { RiskPage } from './pages/risk.page.js';
import { SignInPage } from './pages/sign-in.page.js';
import { Link, useLocation } from './router.js';

const NAV = [
  { to: '/', name: 'Overview' },
  { to: '/events', name: 'Events' },
  { to: '/payments', name: 'Payments' },
  { to: '/queue', name: 'Dead letters' },
  { to: '/alerts', name: 'Alerts' },
  { to: '/risk', name: 'Risk' },
  { to: '/audit', name: 'Audit' },
];

export function App() {
  const [key, setKey] = useState(storedKey);
  useEffect(() => {
    const signOut = () => {
      storeKey(null);
      setKey(null);
    };
    window.addEventListener(UNAUTHORIZED_EVENT, signOut);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, signOut);
  }, []);
  if (!key) {
    return (
      <SignInPage
        onSignedIn={(k) => {
          storeKey(k);
          setKey(k);
        }}
      />
    );
  }
  return (
    <LiveFeedProvider apiKey={key}>
      <Shell
        onSignOut={() => {
          storeKey(null);
          setKey(null);
        }}
      />
    </LiveFeedProvider>
  );
}

function Shell({ onSignOut }: { onSignOut(): void }) {
  const { path, query } = useLocation();
  const live = useLiveStatus();
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
            {NAV.map((n) => (
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
