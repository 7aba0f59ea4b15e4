import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, withQuery } from '../api.client.js';
import type { ListEntry, Page, RuleSetVersion, StoredAssessment } from '../api.types.js';
import { Choice } from '../components/choice.js';
import { DataTable } from '../components/data-table.js';
import { Badge, ErrorNote, Loaded } from '../components/states.js';
import { label, money, time } from '../format.js';
import { useLive } from '../live-feed.js';
import { useCan } from '../session.js';
import { useAction, useApi, useThrottled } from '../use-api.js';

// Checked against the server's enums at compile time; values are not imported so no server code reaches the bundle.
const LIST_TYPES = ['ip', 'email', 'card_bin', 'card_fingerprint', 'device', 'customer'] satisfies Array<
  ListEntry['type']
>;
const LIST_ACTIONS = ['block', 'allow'] satisfies Array<ListEntry['action']>;
const QUEUE_DECISIONS = ['review', 'decline'] satisfies Array<StoredAssessment['decision']>;
const QUEUE_LABELS = ['fraud', 'legit'] satisfies Array<NonNullable<StoredAssessment['label']>>;

export function RiskPage() {
  return (
    <section aria-labelledby="risk-title">
      <header className="page-header">
        <h1 id="risk-title">Risk</h1>
      </header>
      <ReviewQueue />
      <div className="split">
        <RulesEditor />
        <Lists />
      </div>
    </section>
  );
}

/** The rule set is edited as JSON: its thresholds are tenant-configurable and validated by the API; each save is a new version. */
function RulesEditor() {
  const rules = useApi<RuleSetVersion>('/v1/risk/rules');
  const [version, setVersion] = useState<RuleSetVersion | null>(null);
  const [text, setText] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const action = useAction();
  const canEdit = useCan('configure');
  useEffect(() => {
    if (rules.data !== null) {
      setVersion(rules.data);
      setText(JSON.stringify(rules.data.ruleSet, null, 2));
    }
  }, [rules.data]);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setStatus(null);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      action.fail(new ApiError(0, 'invalid_json', 'The rules are not valid JSON', false));
      return;
    }
    await action.run(async () => {
      const saved = await api<RuleSetVersion>('/v1/risk/rules', { method: 'PUT', body });
      setVersion(saved);
      setText(JSON.stringify(saved.ruleSet, null, 2));
      setStatus(`Rules saved as version ${saved.version}.`);
    });
  };
  return (
    <article className="card">
      <h2>Rules</h2>
      <Loaded state={rules} what="Risk rules">
        {() => (
          <form onSubmit={save}>
            {version ? (
              <p className="muted">
                Version {version.version}, saved {time(version.createdAt)} by {version.createdBy}
              </p>
            ) : null}
            <label className="block">
              Rules and thresholds (JSON)
              <textarea
                value={text}
                onChange={(e) => setText(e.target.value)}
                readOnly={!canEdit}
                rows={18}
                spellCheck={false}
                className="code"
              />
            </label>
            {status ? (
              <p className="notice ok" role="status">
                {status}
              </p>
            ) : null}
            {action.error ? <ErrorNote error={action.error} /> : null}
            {canEdit ? (
              <button type="submit" className="primary">
                Save rules
              </button>
            ) : (
              <p className="muted">Rules are changed by admins and owners.</p>
            )}
          </form>
        )}
      </Loaded>
    </article>
  );
}

function Lists() {
  const lists = useApi<{ data: ListEntry[] }>('/v1/lists');
  const [draft, setDraft] = useState({ type: 'ip', value: '', action: 'block', reason: '', expiresAt: '' });
  const action = useAction();
  const canEdit = useCan('lists');
  const set = (key: keyof typeof draft) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: e.target.value }));
  const add = async (e: FormEvent) => {
    e.preventDefault();
    await action.run(async () => {
      await api('/v1/lists', {
        method: 'POST',
        body: {
          type: draft.type,
          value: draft.value.trim(),
          action: draft.action,
          reason: draft.reason.trim(),
          ...(draft.expiresAt ? { expiresAt: new Date(draft.expiresAt).toISOString() } : {}),
        },
      });
      setDraft((d) => ({ ...d, value: '', reason: '' }));
      lists.reload();
    });
  };
  const remove = (entry: ListEntry) =>
    action.run(async () => {
      await api(`/v1/lists/${encodeURIComponent(entry.id)}`, { method: 'DELETE' });
      lists.reload();
    });
  return (
    <article className="card">
      <h2>Block and allow lists</h2>
      <Loaded state={lists} what="Block and allow lists">
        {(l) => (
          <>
            {canEdit ? (
              <form className="filters" onSubmit={add} aria-label="Add a list entry">
                <Choice label="Type" value={draft.type} onChange={set('type')} options={LIST_TYPES} show={label} />
                <label className="grow">
                  Value
                  <input required value={draft.value} onChange={set('value')} />
                </label>
                <Choice label="Action" value={draft.action} onChange={set('action')} options={LIST_ACTIONS} />
                <label className="grow">
                  Reason
                  <input required value={draft.reason} onChange={set('reason')} />
                </label>
                <label>
                  Expires
                  <input type="datetime-local" value={draft.expiresAt} onChange={set('expiresAt')} />
                </label>
                <div className="filter-actions">
                  <button type="submit" className="primary">
                    Add
                  </button>
                </div>
              </form>
            ) : null}
            {action.error ? <ErrorNote error={action.error} /> : null}
            {l.data.length === 0 ? (
              <p className="muted">No entries.</p>
            ) : (
              <DataTable
                caption="List entries"
                columns={[
                  'Type',
                  'Value',
                  'Action',
                  'Reason',
                  'Expires',
                  ...(canEdit ? [{ label: 'Remove', hidden: true }] : []),
                ]}
              >
                {l.data.map((x) => (
                  <tr key={x.id}>
                    <td>{x.type}</td>
                    <td>
                      <code>{x.value}</code>
                    </td>
                    <td>
                      <Badge value={x.action} kind={x.action === 'block' ? 'declined' : 'approved'} />
                    </td>
                    <td>{x.reason}</td>
                    <td>{x.expiresAt ? time(x.expiresAt) : 'never'}</td>
                    {canEdit ? (
                      <td>
                        <button
                          type="button"
                          className="danger"
                          onClick={() => void remove(x)}
                          aria-label={`Remove ${x.type} ${x.value}`}
                        >
                          Remove
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </DataTable>
            )}
          </>
        )}
      </Loaded>
    </article>
  );
}

/** The rules that fired, strongest first, with their weights (three, then the rest on demand); the model's reason lists the signals that moved it. */
function Why({ reasons }: { reasons: StoredAssessment['reasons'] }) {
  if (reasons.length === 0) return <>—</>;
  const sorted = [...reasons].sort((x, y) => y.weight - x.weight);
  const item = (r: StoredAssessment['reasons'][number]) => (
    <li key={r.code}>
      {r.message} <span className="muted">(+{r.weight.toFixed(2)})</span>
      {r.signals && r.signals.length > 0 ? (
        <small className="muted">
          {' '}
          —{' '}
          {r.signals
            .slice(0, 3)
            .map(
              (sig) =>
                `${label(sig.feature)} ${sig.contribution >= 0 ? '+' : '−'}${Math.abs(sig.contribution).toFixed(2)}`,
            )
            .join(', ')}
        </small>
      ) : null}
    </li>
  );
  return (
    <ul className="reasons">
      {sorted.slice(0, 3).map(item)}
      {sorted.length > 3 ? (
        <li className="more">
          <details>
            <summary>{sorted.length - 3} more</summary>
            <ul className="reasons">{sorted.slice(3).map(item)}</ul>
          </details>
        </li>
      ) : null}
    </ul>
  );
}

/** Unlabeled verdicts that need a human: a label settles one here and feeds the next model. */
function ReviewQueue() {
  const [decision, setDecision] = useState<string>('review');
  const queue = useApi<Page<StoredAssessment>>(
    withQuery('/v1/risk/assessments', { decision, labeled: 'false', limit: 20 }),
  );
  // Review and decline verdicts are announced on the live feed: the queue refills as they happen.
  const refresh = useThrottled(queue.reload, 1000);
  useLive((m) => {
    if (m.type === 'risk' && m.data.decision === decision) refresh();
  });
  const [status, setStatus] = useState<string | null>(null);
  const action = useAction();
  const canLabel = useCan('label');
  const settle = (a: StoredAssessment, verdict: string) => {
    setStatus(null);
    return action.run(async () => {
      await api('/v1/risk/labels', { method: 'POST', body: { transactionId: a.transactionId, label: verdict } });
      setStatus(`${a.transactionId} labelled ${verdict}.`);
      queue.reload();
    });
  };
  return (
    <article className="card">
      <h2>Review queue</h2>
      <p className="muted">
        Unlabeled transactions the rules sent to review or declined, newest first. A label settles one and trains the
        next model.
      </p>
      <div className="filters">
        <Choice
          label="Decision"
          value={decision}
          onChange={(e) => setDecision(e.target.value)}
          options={QUEUE_DECISIONS}
          show={label}
        />
      </div>
      {status ? (
        <p className="notice ok" role="status">
          {status}
        </p>
      ) : null}
      {action.error ? <ErrorNote error={action.error} /> : null}
      <Loaded state={queue} what="Review queue">
        {(q) =>
          q.data.length === 0 ? (
            <p className="muted">Nothing to review.</p>
          ) : (
            <DataTable
              caption="Transactions to review"
              columns={[
                'Transaction',
                'When',
                'Amount (USD)',
                'Score',
                'Why',
                ...(canLabel ? [{ label: 'Label', hidden: true }] : []),
              ]}
            >
              {q.data.map((a) => (
                <tr key={a.id} data-transaction-id={a.transactionId}>
                  <td>
                    <code>{a.transactionId}</code>
                  </td>
                  <td>{time(a.occurredAt)}</td>
                  <td>{money(a.amountUsdMinor)}</td>
                  <td>
                    <Badge value={a.riskLevel} /> {a.score.toFixed(2)}
                  </td>
                  <td className="why">
                    <Why reasons={a.reasons} />
                  </td>
                  {canLabel ? (
                    <td className="actions">
                      {QUEUE_LABELS.map((verdict) => (
                        <button
                          key={verdict}
                          type="button"
                          className={verdict === 'fraud' ? 'danger' : undefined}
                          onClick={() => void settle(a, verdict)}
                          aria-label={`Label ${a.transactionId} ${verdict}`}
                        >
                          {label(verdict)}
                        </button>
                      ))}
                    </td>
                  ) : null}
                </tr>
              ))}
            </DataTable>
          )
        }
      </Loaded>
    </article>
  );
}
