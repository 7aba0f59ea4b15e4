import { useMemo, useState } from 'react';
import { withQuery } from '../api.client.js';
import type { Alert, FailureReasonRow, Page, PaymentEvent, Summary, Timeseries } from '../api.types.js';
import { BarList, LineChart, StackedBar } from '../components/charts.js';
import { Badge, Loaded } from '../components/states.js';
import { compactUsd, duration, label, money, percent, providerName, time } from '../format.js';
import { useLive } from '../live-feed.js';
import { Link } from '../router.js';
import { useApi, useThrottled } from '../use-api.js';

const RANGES = {
  '1h': { ms: 3_600_000, interval: 'minute' },
  '24h': { ms: 86_400_000, interval: 'hour' },
  '7d': { ms: 7 * 86_400_000, interval: 'day' },
} as const;
type Range = keyof typeof RANGES;

export function OverviewPage() {
  const [range, setRange] = useState<Range>('1h');
  const [now, setNow] = useState(() => Date.now());
  const [recent, setRecent] = useState<PaymentEvent[]>([]);
  const { from, to } = useMemo(
    () => ({ from: new Date(now - RANGES[range].ms).toISOString(), to: new Date(now + 60_000).toISOString() }),
    [now, range],
  );
  const interval = RANGES[range].interval;

  const summary = useApi<Summary>(withQuery('/v1/analytics/summary', { from, to }));
  const approval = useApi<Timeseries>(
    withQuery('/v1/analytics/timeseries', { metric: 'approval_rate', interval, groupBy: 'provider', from, to }),
  );
  const volume = useApi<Timeseries>(
    withQuery('/v1/analytics/timeseries', { metric: 'volume_usd', interval, groupBy: 'provider', from, to }),
  );
  const reasons = useApi<{ data: FailureReasonRow[] }>(withQuery('/v1/analytics/failure-reasons', { from, to }));
  const alerts = useApi<{ data: Alert[] }>('/v1/alerts');
  const latest = useApi<Page<PaymentEvent>>('/v1/events?limit=8');
  const ticker = [...recent, ...(latest.data?.data ?? []).filter((e) => !recent.some((r) => r.id === e.id))].slice(
    0,
    8,
  );

  // Coalesce bursts of live events into one refresh of the figures.
  const refresh = useThrottled(() => {
    setNow(Date.now());
    alerts.reload();
  }, 4000);
  const refreshAlerts = useThrottled(alerts.reload, 1000);
  useLive((message) => {
    if (message.type === 'event') {
      setRecent((list) => [message.data, ...list].slice(0, 8));
      refresh();
    } else if (message.type === 'alert') {
      refreshAlerts();
    }
  });

  return (
    <section aria-labelledby="overview-title">
      <header className="page-header">
        <h1 id="overview-title">Overview</h1>
        <div className="segmented" role="group" aria-label="Time range">
          {(Object.keys(RANGES) as Range[]).map((r) => (
            <button key={r} type="button" aria-pressed={range === r} onClick={() => setRange(r)}>
              {r}
            </button>
          ))}
        </div>
      </header>

      <Loaded state={summary} what="Analytics">
        {(s) => (
          <div className="kpis">
            <Kpi name="Events" value={s.count.toLocaleString()} />
            <Kpi name="Approval rate" value={percent(s.approvalRate)} />
            <Kpi name="Volume (USD)" value={compactUsd(s.volumeUsdMinor)} />
            <Kpi name="Average ticket" value={money(s.averageTicketUsdMinor, 'USD')} />
            <Kpi name="Ingestion lag p95" value={duration(s.ingestionLagMs.p95)} />
          </div>
        )}
      </Loaded>

      <div className="grid">
        <article className="card wide">
          <h2>Approval rate by provider</h2>
          <Loaded state={approval} what="The approval-rate series">
            {(ts) => (
              <LineChart
                title="Approval rate by provider over time"
                series={ts.series}
                yMax={1}
                format={(v) => percent(v, 0)}
                nameOf={providerName}
              />
            )}
          </Loaded>
        </article>

        <article className="card wide">
          <h2>Volume (USD) by provider</h2>
          <Loaded state={volume} what="The volume series">
            {(ts) => (
              <LineChart
                title="Volume in USD by provider over time"
                series={ts.series}
                format={(v) => compactUsd(v)}
                nameOf={providerName}
                legend="sum"
              />
            )}
          </Loaded>
        </article>

        <article className="card">
          <h2>Top failure reasons</h2>
          <Loaded state={reasons} what="Failure reasons">
            {(r) => (
              <BarList
                rows={r.data
                  .slice(0, 7)
                  .map((row) => ({ label: label(row.reason), value: row.count, hint: row.declineType ?? undefined }))}
                format={(v) => v.toLocaleString()}
              />
            )}
          </Loaded>
        </article>

        <article className="card">
          <h2>Risk decisions</h2>
          <Loaded state={summary} what="Risk decisions">
            {(s) => (
              <StackedBar
                parts={[
                  { label: 'approve', value: s.riskDecisions.approve, color: '#16a34a' },
                  { label: 'review', value: s.riskDecisions.review, color: '#d97706' },
                  { label: 'decline', value: s.riskDecisions.decline, color: '#dc2626' },
                ]}
              />
            )}
          </Loaded>
        </article>

        <article className="card">
          <h2>
            Active alerts{' '}
            <Link to="/alerts" className="more">
              all alerts
            </Link>
          </h2>
          <Loaded state={alerts} what="Alerts">
            {(a) => {
              const open = a.data.filter((x) => x.status !== 'resolved');
              return open.length === 0 ? (
                <p className="muted">No active alerts.</p>
              ) : (
                <ul className="alerts">
                  {open.slice(0, 5).map((x) => (
                    <li key={x.id} className={`alert alert-${x.severity}`}>
                      <Badge value={x.severity} />
                      <span>{x.message}</span>
                      <small className="muted">since {time(x.openedAt)}</small>
                    </li>
                  ))}
                </ul>
              );
            }}
          </Loaded>
        </article>

        <article className="card">
          <h2>
            Live{' '}
            <Link to="/events" className="more">
              all events
            </Link>
          </h2>
          {ticker.length === 0 ? (
            <p className="muted">Waiting for events…</p>
          ) : (
            <ul className="ticker" aria-live="polite">
              {ticker.map((e) => (
                <li key={e.id}>
                  <Link to={`/events/${e.id}`}>
                    <span>{providerName(e.provider)}</span> <Badge value={e.status} />{' '}
                    <span className="num">{money(e.amountMinor, e.currency)}</span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </article>
      </div>
    </section>
  );
}

function Kpi({ name, value }: { name: string; value: string }) {
  return (
    <div className="kpi">
      <span className="kpi-name">{name}</span>
      <span className="kpi-value">{value}</span>
    </div>
  );
}
