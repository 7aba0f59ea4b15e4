import { useState } from 'react';
import { api, withQuery } from '../api.client.js';
import type { Page, QueueItem, RawEventDetail } from '../api.types.js';
import { DataTable } from '../components/data-table.js';
import { useCursorPages } from '../components/pager.js';
import { Badge, ErrorNote, Loaded } from '../components/states.js';
import { providerName, time } from '../format.js';
import { useCan } from '../session.js';
import { useAction, useApi } from '../use-api.js';
import { prettyPayload } from './event-detail.page.js';

type Tab = 'dead' | 'unprocessed';

/** Events that could not be normalized: the retrying ones, and the dead letters a person must act on. */
export function QueuePage() {
  const [tab, setTab] = useState<Tab>('dead');
  return (
    <section aria-labelledby="queue-title">
      <header className="page-header">
        <h1 id="queue-title">Unprocessed &amp; dead letters</h1>
        <div className="segmented" role="tablist" aria-label="Queue">
          <button type="button" role="tab" aria-selected={tab === 'dead'} onClick={() => setTab('dead')}>
            Dead letters
          </button>
          <button type="button" role="tab" aria-selected={tab === 'unprocessed'} onClick={() => setTab('unprocessed')}>
            Unprocessed
          </button>
        </div>
      </header>
      <QueueList key={tab} kind={tab} />
    </section>
  );
}

function QueueList({ kind }: { kind: Tab }) {
  const pages = useCursorPages();
  const list = useApi<Page<QueueItem>>(
    withQuery(kind === 'dead' ? '/v1/dead-letters' : '/v1/unprocessed', { limit: 50, cursor: pages.cursor }),
  );
  const [open, setOpen] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const action = useAction();

  const act = async (item: QueueItem, kind: 'replay' | 'discard') => {
    if (kind === 'discard' && !window.confirm(`Discard ${item.providerEventId ?? item.id}? It will not be retried.`))
      return;
    await action.run(async () => {
      if (kind === 'replay') {
        const result = await api<{ rawEvent: { status: string; error: string | null }; events: unknown[] }>(
          `/v1/dead-letters/${encodeURIComponent(item.id)}/replay`,
          { method: 'POST' },
        );
        setNotice(
          result.rawEvent.status === 'normalized'
            ? `Replayed ${item.providerEventId ?? item.id}: ${result.events.length} event(s) stored.`
            : `Replayed ${item.providerEventId ?? item.id}: still ${result.rawEvent.status}${result.rawEvent.error ? ` (${result.rawEvent.error})` : ''}.`,
        );
      } else {
        await api(`/v1/dead-letters/${encodeURIComponent(item.id)}`, { method: 'DELETE' });
        setNotice(`Discarded ${item.providerEventId ?? item.id}.`);
      }
      list.reload();
    });
  };

  return (
    <>
      {notice ? (
        <div className="notice ok" role="status">
          {notice}
        </div>
      ) : null}
      {action.error ? <ErrorNote error={action.error} /> : null}
      <Loaded state={list} what={kind === 'dead' ? 'The dead-letter queue' : 'The unprocessed queue'}>
        {(page) =>
          page.data.length === 0 ? (
            <p className="muted">
              {kind === 'dead'
                ? 'No dead letters. Everything was normalized or is still being retried.'
                : 'Nothing waiting for a retry.'}
            </p>
          ) : (
            <>
              <DataTable
                caption={kind === 'dead' ? 'Dead letters' : 'Unprocessed events'}
                columns={['Received', 'Provider', 'Provider event', 'Status', 'Attempts', 'Error', 'Actions']}
              >
                {page.data.map((item) => (
                  <QueueRow
                    key={item.id}
                    item={item}
                    kind={kind}
                    open={open === item.id}
                    onToggle={() => setOpen(open === item.id ? null : item.id)}
                    onAct={act}
                  />
                ))}
              </DataTable>
              <nav className="pager" aria-label="Pages">
                <button type="button" disabled={pages.page === 1} onClick={pages.first}>
                  ← First
                </button>
                <button
                  type="button"
                  disabled={!page.nextCursor}
                  onClick={() => page.nextCursor && pages.older(page.nextCursor)}
                >
                  More →
                </button>
              </nav>
            </>
          )
        }
      </Loaded>
    </>
  );
}

function QueueRow({
  item,
  kind,
  open,
  onToggle,
  onAct,
}: {
  item: QueueItem;
  kind: Tab;
  open: boolean;
  onToggle(): void;
  onAct(item: QueueItem, action: 'replay' | 'discard'): void;
}) {
  const name = item.providerEventId ?? item.id;
  const canAct = useCan('dead_letters');
  const canInspect = useCan('view_payloads');
  return (
    <>
      <tr data-raw-id={item.id}>
        <td>{time(item.receivedAt)}</td>
        <td>{providerName(item.provider)}</td>
        <td>{name}</td>
        <td>
          <Badge value={item.status} />
        </td>
        <td className="num">
          {item.attempts}
          {item.nextAttemptAt ? <small className="muted"> next {time(item.nextAttemptAt)}</small> : null}
        </td>
        <td className="error-text">{item.error ?? '—'}</td>
        <td className="actions">
          {canInspect ? (
            <button type="button" onClick={onToggle} aria-expanded={open} aria-label={`Inspect ${name}`}>
              Inspect
            </button>
          ) : null}
          {kind === 'dead' && canAct ? (
            <>
              <button
                type="button"
                className="primary"
                onClick={() => onAct(item, 'replay')}
                aria-label={`Replay ${name}`}
              >
                Replay
              </button>
              <button
                type="button"
                className="danger"
                onClick={() => onAct(item, 'discard')}
                aria-label={`Discard ${name}`}
              >
                Discard
              </button>
            </>
          ) : null}
        </td>
      </tr>
      {open && canInspect ? (
        <tr className="inspect">
          <td colSpan={7}>
            <RawPayload id={item.id} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function RawPayload({ id }: { id: string }) {
  const raw = useApi<RawEventDetail>(`/v1/raw-events/${encodeURIComponent(id)}`);
  return (
    <Loaded state={raw} what="The raw payload view">
      {(r) => (
        <pre className="code" tabIndex={0} aria-label="Raw payload (masked)">
          {prettyPayload(r.payload, r.contentType)}
        </pre>
      )}
    </Loaded>
  );
}
