import { useState, type FormEvent } from 'react';
import type { Payment, PaymentEvent } from '../api.types.js';
import { Choice } from '../components/choice.js';
import { Badge, Loaded } from '../components/states.js';
import { label, money, providerName, time } from '../format.js';
import { navigate } from '../router.js';
import { useApi } from '../use-api.js';
import { EventTable, PROVIDERS } from './events.page.js';
import { Fact } from './event-detail.page.js';

export function PaymentPage({ provider, paymentId }: { provider: string | null; paymentId: string | null }) {
  const [p, setP] = useState(provider ?? 'stripe');
  const [id, setId] = useState(paymentId ?? '');
  const state = useApi<{ payment: Payment; timeline: PaymentEvent[] }>(
    provider && paymentId ? `/v1/payments/${encodeURIComponent(provider)}/${encodeURIComponent(paymentId)}` : null,
  );
  const lookUp = (e: FormEvent) => {
    e.preventDefault();
    if (id.trim()) navigate(`/payments/${encodeURIComponent(p)}/${encodeURIComponent(id.trim())}`);
  };
  const flags = (payment: Payment) =>
    Array.isArray(payment.flags)
      ? payment.flags
      : Object.keys(payment.flags).filter((k) => (payment.flags as Record<string, unknown>)[k]);
  return (
    <section aria-labelledby="payment-title">
      <header className="page-header">
        <h1 id="payment-title">Payment timeline</h1>
      </header>
      <form className="filters" onSubmit={lookUp} aria-label="Find a payment">
        <Choice
          label="Provider"
          value={p}
          onChange={(e) => setP(e.target.value)}
          options={PROVIDERS}
          show={providerName}
        />
        <label className="grow">
          Provider payment id
          <input value={id} onChange={(e) => setId(e.target.value)} placeholder="pi_…, PSP reference, pay_…" />
        </label>
        <div className="filter-actions">
          <button type="submit" className="primary">
            Show
          </button>
        </div>
      </form>
      {provider && paymentId ? (
        <Loaded state={state} what="The payment timeline">
          {({ payment, timeline }) => (
            <>
              <div className="facts">
                <Fact name="Provider" value={providerName(payment.provider)} />
                <Fact name="Payment" value={payment.providerPaymentId} />
                <Fact name="Status" value={<Badge value={payment.status} />} />
                <Fact name="Amount" value={money(payment.amountMinor, payment.currency)} />
                <Fact name="Captured" value={money(payment.capturedMinor, payment.currency)} />
                <Fact name="Refunded" value={money(payment.refundedMinor, payment.currency)} />
                <Fact name="First event" value={time(payment.firstEventAt)} />
                <Fact name="Last event" value={time(payment.lastEventAt)} />
                <Fact name="Flags" value={flags(payment).length ? flags(payment).join(', ') : '—'} />
              </div>
              <h2>Timeline</h2>
              <ol className="timeline">
                {[...timeline]
                  .sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt))
                  .map((e) => (
                    <li key={e.id}>
                      <time dateTime={e.occurredAt}>{time(e.occurredAt)}</time> <b>{e.type}</b>{' '}
                      <Badge value={e.status} /> {money(e.amountMinor, e.currency)}
                      {e.failureReason ? <span className="muted"> · {label(e.failureReason)}</span> : null}
                    </li>
                  ))}
              </ol>
              <EventTable events={timeline} />
            </>
          )}
        </Loaded>
      ) : (
        <p className="muted">Enter a provider payment id, or open one from an event.</p>
      )}
    </section>
  );
}
