import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api.client.js';

export function SignInPage({ onSignedIn }: { onSignedIn(key: string): void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/v1/events?limit=1', { key: key.trim() });
      onSignedIn(key.trim());
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'This API key is not valid.'
          : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <form onSubmit={submit} className="card" aria-labelledby="signin-title">
        <h1 id="signin-title">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Paylens
        </h1>
        <p className="muted">Sign in with an API key. It is kept for this browser tab only.</p>
        <label className="block">
          API key
          <input
            type="password"
            autoComplete="off"
            required
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="pl_…"
            autoFocus
          />
        </label>
        {error ? (
          <p className="notice error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
