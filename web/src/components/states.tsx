import type { ReactNode } from 'react';
import type { ApiError } from '../api.client.js';
import { label } from '../format.js';
import type { Loadable } from '../use-api.js';

export function NotAvailable({ what }: { what: string }) {
  return (
    <div className="notice" role="status">
      <strong>{what} is not available on this server yet.</strong>
      <p className="muted">
        The API behind this view is not deployed in this version. The rest of the dashboard works.
      </p>
    </div>
  );
}

/** An error notice that says only `children`: for what went wrong other than loading (a refused sign-in, a broken link). */
export function ErrorMessage({ children }: { children: ReactNode }) {
  return (
    <div className="notice error" role="alert">
      {children}
    </div>
  );
}

export function ErrorNote({ error }: { error: ApiError }) {
  return (
    <ErrorMessage>
      <strong>Could not load: </strong>
      {error.message}
    </ErrorMessage>
  );
}

/** Renders loading / unavailable / error states, or `children(data)` once loaded. */
export function Loaded<T>({
  state,
  what,
  children,
}: {
  state: Loadable<T>;
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (state.error?.unavailable) return <NotAvailable what={what} />;
  if (state.error) return <ErrorNote error={state.error} />;
  if (state.data === null)
    return (
      <p className="muted" aria-busy="true">
        Loading…
      </p>
    );
  return <>{children(state.data)}</>;
}

export function Badge({ value, kind }: { value: string | null | undefined; kind?: string }) {
  if (!value) return <span className="muted">—</span>;
  return <span className={`badge badge-${kind ?? value}`}>{label(value)}</span>;
}
