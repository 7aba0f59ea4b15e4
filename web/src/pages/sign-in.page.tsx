import { useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError } from '../api.client.js';
import type { SessionAnswer } from '../api.types.js';
import { ErrorMessage } from '../components/states.js';

/** What the server's `/?sso_error=<reason>` means to the person who tried. */
const SSO_ERRORS: Record<string, string> = {
  not_configured: 'Single sign-on is not set up for this tenant.',
  flow: 'The single sign-on attempt expired or came from another browser. Try again.',
  provider: 'The identity provider did not confirm who you are.',
  not_invited: 'Your identity provider account has no user in this tenant. Ask an admin for an invitation.',
  no_role: 'Your identity provider account maps to no role in this tenant.',
  disabled: 'This user is disabled.',
};

export function ssoStartUrl(tenant: string, invitation?: string): string {
  const query = new URLSearchParams({ tenant: tenant.trim() });
  if (invitation) query.set('invitation', invitation);
  return `/v1/auth/sso/start?${query.toString()}`;
}

export function signInMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 401 && err.code === 'totp_required') return err.message;
    if (err.status === 401) return 'The tenant, e-mail address or password is not valid.';
    if (err.status === 429) return 'Too many failed sign-ins. Wait a while and try again.';
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export function SignInCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="signin">
      <div className="card">
        <h1>
          <span className="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Paylens
        </h1>
        <p className="muted">{title}</p>
        {children}
      </div>
    </main>
  );
}

export function SignInPage({
  onSignedIn,
  ssoError,
}: {
  onSignedIn(answer: SessionAnswer): void;
  ssoError: string | null;
}) {
  const [form, setForm] = useState({ tenant: '', email: '', password: '', totp: '' });
  const [needsTotp, setNeedsTotp] = useState(false);
  const [error, setError] = useState<string | null>(
    ssoError ? (SSO_ERRORS[ssoError] ?? 'Single sign-on failed.') : null,
  );
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [key]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api<SessionAnswer>('/v1/auth/login', {
        method: 'POST',
        signingIn: true,
        body: {
          tenant: form.tenant.trim(),
          email: form.email.trim(),
          password: form.password,
          ...(needsTotp && form.totp.trim() ? { totp: form.totp.trim() } : {}),
        },
      });
      onSignedIn(answer);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'totp_required') setNeedsTotp(true);
      setError(signInMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const sso = () => {
    if (!form.tenant.trim()) {
      setError('Enter the tenant to sign in with single sign-on.');
      return;
    }
    location.assign(ssoStartUrl(form.tenant));
  };

  return (
    <SignInCard title="Sign in to your tenant.">
      <form onSubmit={submit} aria-label="Sign in">
        <label className="block">
          Tenant
          <input required autoComplete="organization" value={form.tenant} onChange={set('tenant')} autoFocus />
        </label>
        <label className="block">
          E-mail
          <input type="email" required autoComplete="username" value={form.email} onChange={set('email')} />
        </label>
        <label className="block">
          Password
          <input
            type="password"
            required
            autoComplete="current-password"
            value={form.password}
            onChange={set('password')}
          />
        </label>
        {needsTotp ? (
          <label className="block">
            Authenticator or recovery code
            <input
              required
              autoComplete="one-time-code"
              inputMode="text"
              value={form.totp}
              onChange={set('totp')}
              autoFocus
            />
          </label>
        ) : null}
        {error ? <ErrorMessage>{error}</ErrorMessage> : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <button type="button" onClick={sso} disabled={busy}>
          Sign in with SSO
        </button>
      </form>
    </SignInCard>
  );
}
