import { useState, type FormEvent } from 'react';
import { api } from '../api.client.js';
import type { Invitation, Role, User } from '../api.types.js';
import { Choice } from '../components/choice.js';
import { DataTable } from '../components/data-table.js';
import { Badge, ErrorNote, Loaded } from '../components/states.js';
import { time } from '../format.js';
import { useSession } from '../session.js';
import { useAction, useApi } from '../use-api.js';

// Checked against the server's roles at compile time; values are not imported so no server code reaches the bundle.
const ROLES = ['viewer', 'analyst', 'admin', 'owner'] satisfies Role[];

/** The tenant's people: invitations, roles, and disabling (admins and owners; only an owner touches an owner). */
export function UsersPage() {
  const me = useSession().user;
  const users = useApi<{ data: User[] }>('/v1/users');
  const grantable = me.role === 'owner' ? ROLES : ROLES.filter((r) => r !== 'owner');
  const [draft, setDraft] = useState<{ email: string; role: Role }>({ email: '', role: 'viewer' });
  const [invited, setInvited] = useState<{ email: string; url: string; expiresAt: string } | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const action = useAction();

  const invite = async (e: FormEvent) => {
    e.preventDefault();
    setInvited(null);
    setStatus(null);
    await action.run(async () => {
      const answer = await api<{ user: User; invitation: Invitation }>('/v1/users', {
        method: 'POST',
        body: { email: draft.email.trim(), role: draft.role },
      });
      // Without PAYLENS_PUBLIC_URL the server answers a path: the link is then on this dashboard's origin.
      const url = new URL(answer.invitation.url, location.origin).toString();
      setInvited({ email: answer.user.email, url, expiresAt: answer.invitation.expiresAt });
      setDraft((d) => ({ ...d, email: '' }));
      users.reload();
    });
  };

  const change = (user: User, body: { role?: Role; disabled?: boolean }, done: string) => {
    setStatus(null);
    return action.run(async () => {
      await api(`/v1/users/${encodeURIComponent(user.id)}`, { method: 'PATCH', body });
      setStatus(done);
      users.reload();
    });
  };

  return (
    <section aria-labelledby="users-title">
      <header className="page-header">
        <h1 id="users-title">Users</h1>
      </header>
      <article className="card">
        <h2>Invite someone</h2>
        <form className="filters" onSubmit={invite} aria-label="Invite a user">
          <label className="grow">
            E-mail
            <input
              type="email"
              required
              value={draft.email}
              onChange={(e) => setDraft((d) => ({ ...d, email: e.target.value }))}
            />
          </label>
          <Choice
            label="Role"
            value={draft.role}
            onChange={(e) => setDraft((d) => ({ ...d, role: e.target.value as Role }))}
            options={grantable}
          />
          <div className="filter-actions">
            <button type="submit" className="primary">
              Invite
            </button>
          </div>
        </form>
        {invited ? (
          <div className="notice ok" role="status">
            <p>
              Send {invited.email} this link (valid once, until {time(invited.expiresAt)}); it is shown only now:
            </p>
            <input
              className="code invitation-url"
              readOnly
              aria-label="Invitation link"
              value={invited.url}
              onFocus={(e) => e.target.select()}
            />
          </div>
        ) : null}
      </article>
      {status ? (
        <p className="notice ok" role="status">
          {status}
        </p>
      ) : null}
      {action.error ? <ErrorNote error={action.error} /> : null}
      <Loaded state={users} what="Users">
        {(u) => (
          <DataTable
            caption="Users"
            columns={['E-mail', 'Role', 'Status', 'Second factor', 'Last sign-in', { label: 'Actions', hidden: true }]}
          >
            {u.data.map((user) => {
              // Only an owner changes an owner (the server refuses anyone else).
              const editable = user.role !== 'owner' || me.role === 'owner';
              return (
                <tr key={user.id} data-user-email={user.email}>
                  <td>{user.email}</td>
                  <td>
                    {editable ? (
                      <select
                        aria-label={`Role of ${user.email}`}
                        value={user.role}
                        onChange={(e) =>
                          void change(user, { role: e.target.value as Role }, `${user.email} is now ${e.target.value}.`)
                        }
                      >
                        {grantable.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    ) : (
                      user.role
                    )}
                  </td>
                  <td>
                    <Badge value={user.status} kind={user.status === 'disabled' ? 'declined' : 'neutral'} />
                  </td>
                  <td>{user.totp ? 'TOTP' : '—'}</td>
                  <td>{user.lastSignInAt ? time(user.lastSignInAt) : 'never'}</td>
                  <td className="actions">
                    {editable && user.id !== me.id ? (
                      user.status === 'disabled' ? (
                        <button
                          type="button"
                          onClick={() => void change(user, { disabled: false }, `${user.email} is enabled.`)}
                          aria-label={`Enable ${user.email}`}
                        >
                          Enable
                        </button>
                      ) : (
                        <button
                          type="button"
                          className="danger"
                          onClick={() => void change(user, { disabled: true }, `${user.email} is disabled.`)}
                          aria-label={`Disable ${user.email}`}
                        >
                          Disable
                        </button>
                      )
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </DataTable>
        )}
      </Loaded>
    </section>
  );
}
