import { useState, type FormEvent } from 'react';
// The server's own lists, from a file without dependencies so no server code reaches the bundle.
import { eventStatuses, eventTypes, failureReasons } from '../../../src/modules/normalize/canonical-vocabulary.js';
import { withQuery } from '../api.client.js';
import type { Page, PaymentEvent } from '../api.types.js';
import { Choice } from '../components/choice.js';
import { DataTable } from '../components/data-table.js';
import { Pager, useCursorPages } from '../components/pager.js';
import { Badge, Loaded } from '../components/states.js';
import { label, money, providerName, time } from '../format.js';
import { useLive } from '../live-feed.js';
import { Link, navigate } from '../router.js';
import { useApi } from '../use-api.js';

export const PROVIDERS = ['stripe', 'adyen', 'checkout', 'paypal', 'mercadopago'];

interface Filters {
  provider: string;
  status: string;
  failureReason: string;
  type: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { provider: '', status: '', failureReason: '', type: '', from: '', to: '' };
const PAGE_SIZE = 25;

function filtersFrom(query: URLSearchParams): Filters {
  return {
    provider: query.get('provider') ?? '',
    status: query.get('status') ?? '',
    failureReason: query.get('failureReason') ?? '',
    type: query.get('type') ?? '',
    from: query.get('from') ?? '',
    to: query.get('to') ?? '',
  };
}

const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

function matches(event: PaymentEvent, f: Filters): boolean {
  if (f.provider && event.provider !== f.provider) return false;
  if (f.status && event.status !== f.status) return false;
  if (f.failureReason && event.failureReason !== f.failureReason) return false;
  if (f.type && event.type !== f.type) return false;
  if (f.from && Date.parse(event.occurredAt) < Date.parse(f.from)) return false;
  if (f.to && Date.parse(event.occurredAt) >= Date.parse(f.to)) return false;
  return true;
}

export function EventsPage({ query }: { query: URLSearchParams }) {
  const applied = filtersFrom(query);
  const [draft, setDraft] = useState<Filters>(applied);
  const pages = useCursorPages();
  const [live, setLive] = useState<PaymentEvent[]>([]);
  const path = withQuery('/v1/events', {
    provider: applied.provider,
    status: applied.status,
    failureReason: applied.failureReason,
    type: applied.type,
    from: toIso(applied.from),
    to: toIso(applied.to),
    limit: PAGE_SIZE,
    cursor: pages.cursor,
  });
  const page = useApi<Page<PaymentEvent>>(path);

  useLive((message) => {
    if (message.type !== 'event' || pages.page > 1 || !matches(message.data, applied)) return;
    setLive((list) => (list.some((e) => e.id === message.data.id) ? list : [message.data, ...list].slice(0, 200)));
  });

  const apply = (e: FormEvent) => {
    e.preventDefault();
    pages.first();
    setLive([]);
    const q = new URLSearchParams(
      Object.entries(draft).filter(([, v]) => v !== '') as Array<[string, string]>,
    ).toString();
    navigate(q ? `/events?${q}` : '/events');
  };
  const reset = () => {
    setDraft(EMPTY);
    pages.first();
    setLive([]);
    navigate('/events');
  };
  const set = (key: keyof Filters) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: e.target.value }));

  return (
    <section aria-labelledby="events-title">
      <header className="page-header">
        <h1 id="events-title">Events</h1>
      </header>
      <form className="filters" onSubmit={apply} aria-label="Filter events">
        <Choice
          any
          label="Provider"
          value={draft.provider}
          onChange={set('provider')}
          options={PROVIDERS}
          show={providerName}
        />
        <Choice any label="Status" value={draft.status} onChange={set('status')} options={eventStatuses} show={label} />
        <Choice
          any
          label="Failure reason"
          value={draft.failureReason}
          onChange={set('failureReason')}
          options={failureReasons}
          show={label}
        />
        <Choice any label="Type" value={draft.type} onChange={set('type')} options={eventTypes} />
        <label>
          From
          <input type="datetime-local" value={draft.from} onChange={set('from')} />
        </label>
        <label>
          To
          <input type="datetime-local" value={draft.to} onChange={set('to')} />
        </label>
        <div className="filter-actions">
          <button type="submit" className="primary">
            Apply
          </button>
          <button type="button" onClick={reset}>
            Reset
          </button>
        </div>
      </form>

      <Loaded state={page} what="Events">
        {(p) => {
          const seen = new Set(live.map((e) => e.id));
          const rows = [...live, ...p.data.filter((e) => !seen.has(e.id))];
          return (
            <>
              <EventTable events={rows} liveIds={seen} />
              <Pager pages={pages} nextCursor={p.nextCursor} onMove={() => setLive([])} />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

export function EventTable({ events, liveIds }: { events: PaymentEvent[]; liveIds?: Set<string> }) {
  if (events.length === 0) return <p className="muted">No events match.</p>;
  return (
    <DataTable
      caption="Payment events, newest first"
      className="events-table"
      columns={['Time', 'Provider', 'Type', 'Status', 'Reason', { label: 'Amount', className: 'num' }, 'Risk', 'Event']}
    >
      {events.map((e) => (
        <tr key={e.id} className={liveIds?.has(e.id) ? 'fresh' : undefined} data-event-id={e.id}>
          <td>{time(e.occurredAt)}</td>
          <td>{providerName(e.provider)}</td>
          <td>{e.type}</td>
          <td>
            <Badge value={e.status} />
          </td>
          <td>{label(e.failureReason)}</td>
          <td className="num">{money(e.amountMinor, e.currency)}</td>
          <td>{e.risk ? <Badge value={e.risk.decision} /> : <span className="muted">—</span>}</td>
          <td>
            <Link to={`/events/${e.id}`}>{e.providerEventId ?? e.id}</Link>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
