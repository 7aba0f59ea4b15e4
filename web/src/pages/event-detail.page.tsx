import type { ReactNode } from 'react';
import type { PaymentEvent, RawEventDetail } from '../api.types.js';
import { Badge, Loaded } from '../components/states.js';
import { label, money, providerName, time } from '../format.js';
import { Link } from '../router.js';
import { useCan } from '../session.js';
import { useApi } from '../use-api.js';

export function prettyPayload(payload: string, contentType: string): string {
  if (!contentType.includes('json')) return payload;
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

export function EventDetailPage({ id }: { id: string }) {
  const event = useApi<PaymentEvent>(`/v1/events/${encodeURIComponent(id)}`);
  // Every raw payload view is an audited data access: fetched only for a role that may see it.
  const canSeePayload = useCan('view_payloads');
  const raw = useApi<RawEventDetail>(
    event.data && canSeePayload ? `/v1/raw-events/${encodeURIComponent(event.data.rawEventId)}` : null,
  );
  return (
    <section aria-labelledby="event-title">
      <header className="page-header">
        <h1 id="event-title">Event {id}</h1>
        <Link to="/events">← Events</Link>
      </header>
      <Loaded state={event} what="This event">
        {(e) => (
          <>
            <div className="facts">
              <Fact name="Provider" value={providerName(e.provider)} />
              <Fact name="Type" value={e.type} />
              <Fact name="Status" value={<Badge value={e.status} />} />
              <Fact name="Amount" value={money(e.amountMinor, e.currency)} />
              <Fact name="USD" value={money(e.amountUsdMinor, 'USD')} />
              <Fact name="Failure reason" value={label(e.failureReason)} />
              <Fact name="Decline type" value={e.declineType ?? '—'} />
              <Fact name="Recommended action" value={label(e.recommendedAction)} />
              <Fact
                name="Provider code"
                value={e.providerCode ? `${e.providerCode}${e.providerMessage ? ` — ${e.providerMessage}` : ''}` : '—'}
              />
              <Fact name="Occurred" value={time(e.occurredAt)} />
              <Fact name="Received" value={time(e.receivedAt)} />
              <Fact name="Normalized by" value={`${e.normalizationMethod} (${Math.round(e.confidence * 100)}%)`} />
              <Fact
                name="Payment"
                value={
                  e.providerPaymentId ? (
                    <Link to={`/payments/${e.provider}/${encodeURIComponent(e.providerPaymentId)}`}>
                      {e.providerPaymentId}
                    </Link>
                  ) : (
                    '—'
                  )
                }
              />
              <Fact
                name="Card"
                value={
                  e.card
                    ? `${e.card.brand ?? ''} ${e.card.bin ?? ''}…${e.card.last4 ?? ''} ${e.card.country ?? ''}`.trim()
                    : '—'
                }
              />
            </div>

            <article className="card">
              <h2>Risk</h2>
              {e.risk ? (
                <>
                  <p>
                    <Badge value={e.risk.decision} /> score <b>{e.risk.score.toFixed(2)}</b> ({e.risk.riskLevel}) ·
                    model {e.risk.modelVersion ?? '—'} · rules {e.risk.rulesVersion ?? '—'}
                  </p>
                  {e.risk.reasons.length === 0 ? (
                    <p className="muted">No rule fired.</p>
                  ) : (
                    <ul className="reasons">
                      {e.risk.reasons.map((r) => (
                        <li key={r.code}>
                          <code>{r.code}</code> {r.message} <span className="muted">(+{r.weight})</span>
                        </li>
                      ))}
                    </ul>
                  )}
                </>
              ) : (
                <p className="muted">No risk assessment for this event.</p>
              )}
            </article>

            <div className="split">
              <article className="card">
                <h2>Raw payload (masked)</h2>
                {canSeePayload ? (
                  <Loaded state={raw} what="The raw payload view">
                    {(r) => (
                      <>
                        <p className="muted">
                          {r.contentType} · received {time(r.receivedAt)} · <Badge value={r.status} />
                        </p>
                        <pre className="code" tabIndex={0} aria-label="Raw payload">
                          {prettyPayload(r.payload, r.contentType)}
                        </pre>
                      </>
                    )}
                  </Loaded>
                ) : (
                  <p className="muted">Raw payloads are open to analysts, admins and owners.</p>
                )}
              </article>
              <article className="card">
                <h2>Normalized event</h2>
                <pre className="code" tabIndex={0} aria-label="Normalized event">
                  {JSON.stringify(e, null, 2)}
                </pre>
              </article>
            </div>
          </>
        )}
      </Loaded>
    </section>
  );
}

export function Fact({ name, value }: { name: string; value: ReactNode }) {
  return (
    <div className="fact">
      <span className="fact-name">{name}</span>
      <span className="fact-value">{value}</span>
    </div>
  );
}
