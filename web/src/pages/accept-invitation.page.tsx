import { useState, type FormEvent } from 'react';
import { api } from '../api.client.js';
import type { SessionAnswer } from '../api.types.js';
import { ErrorMessage } from '../components/states.js';
import { navigate } from '../router.js';
import { signInMessage, SignInCard, ssoStartUrl } from './sign-in.page.js';

/**
 * The invitation link is `/accept-invitation#token=…`: the token sits in the fragment, so it never
 * reaches a server log or a Referer header.
 */
export function invitationToken(): string | null {
  return new URLSearchParams(location.hash.slice(1)).get('token');
}

export function AcceptInvitationPage({ onSignedIn }: { onSignedIn(answer: SessionAnswer): void }) {
  const [token] = useState(invitationToken);
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [tenant, setTenant] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!token) {
    return (
      <SignInCard title="This invitation link is incomplete.">
        <ErrorMessage>Open the whole link from your invitation, or ask an admin for a new one.</ErrorMessage>
        <a href="/">Go to sign-in</a>
      </SignInCard>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== repeat) {
      setError('The two passwords differ.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await api<SessionAnswer>('/v1/auth/invitations/accept', {
        method: 'POST',
        signingIn: true,
        body: { token, password },
      });
      onSignedIn(answer);
      // The token is spent: out of the address bar and the history, on to the dashboard.
      navigate('/', { replace: true });
    } catch (err) {
      setError(signInMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const sso = (e: FormEvent) => {
    e.preventDefault();
    location.assign(ssoStartUrl(tenant, token));
  };

  return (
    <SignInCard title="You were invited. Choose a password to finish setting up your account.">
      <form onSubmit={submit} aria-label="Accept the invitation">
        <label className="block">
          New password
          <input
            type="password"
            required
            minLength={12}
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoFocus
          />
        </label>
        <label className="block">
          Repeat the password
          <input
            type="password"
            required
            autoComplete="new-password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
          />
        </label>
        <p className="muted">At least 12 characters; not a well-known password, and not containing your e-mail name.</p>
        {error ? <ErrorMessage>{error}</ErrorMessage> : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Setting up…' : 'Set password and sign in'}
        </button>
      </form>
      <form onSubmit={sso} aria-label="Accept with single sign-on">
        <p className="muted">Or accept through your tenant&apos;s single sign-on:</p>
        <label className="block">
          Tenant
          <input required value={tenant} onChange={(e) => setTenant(e.target.value)} />
        </label>
        <button type="submit">Accept with SSO</button>
      </form>
    </SignInCard>
  );
}
