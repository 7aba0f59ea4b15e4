import { useState } from 'react';
import type { Alert } from '../api.types.js';
import { Badge, Loaded } from '../components/states.js';
import { label, providerName, time } from '../format.js';
import { useLive } from '../live-feed.js';
import { useApi, useThrottled } from '../use-api.js';

export function AlertsPage() {
  const [show, setShow] = useState<'active' | 'all'>('active');
  const alerts = useApi<{ data: Alert[] }>('/v1/alerts');
  const refresh = useThrottled(alerts.reload, 1000);
  // Detectors run on a timer, so new traffic is also a reason to look again (at a slower pace).
  const recheck = useThrottled(alerts.reload, 10_000);
  useLive((m) => {
    if (m.type === 'alert') refresh();
    else if (m.type === 'event') recheck();
  });
  return (
    <section aria-labelledby="alerts-title">
      <header className="page-header">
        <h1 id="alerts-title">Alerts</h1>
        <div className="segmented" role="group" aria-label="Which alerts">
          <button type="button" aria-pressed={show === 'active'} onClick={() => setShow('active')}>
            Active
          </button>
          <button type="button" aria-pressed={show === 'all'} onClick={() => setShow('all')}>
            All
          </button>
        </div>
      </header>
      <Loaded state={alerts} what="Alerts">
        {(a) => {
          const rows = show === 'active' ? a.data.filter((x) => x.status !== 'resolved') : a.data;
          return rows.length === 0 ? (
            <p className="muted">No {show === 'active' ? 'active ' : ''}alerts.</p>
          ) : (
            <ul className="alerts big">
              {rows.map((x) => (
                <li key={x.id} className={`alert alert-${x.severity}`}>
                  <div>
                    <Badge value={x.severity} /> <Badge value={x.status} kind="neutral" /> <b>{label(x.kind)}</b>
                    {x.provider ? <> · {providerName(x.provider)}</> : null}
                  </div>
                  <p>{x.message}</p>
                  <small className="muted">
                    opened {time(x.openedAt)}
                    {x.resolvedAt ? ` · resolved ${time(x.resolvedAt)}` : ''}
                  </small>
                  {x.details ? (
                    <details>
                      <summary>Details</summary>
                      <pre className="code">{JSON.stringify(x.details, null, 2)}</pre>
                    </details>
                  ) : null}
                </li>
              ))}
            </ul>
          );
        }}
      </Loaded>
    </section>
  );
}
