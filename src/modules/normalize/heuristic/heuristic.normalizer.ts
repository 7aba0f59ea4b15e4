import type { EventStatus, EventType, NormalizedEventDraft } from '../canonical.js';
import type { NormalizeContext } from '../connector.js';
import type { FallbackNormalizer, NormalizeResult } from '../normalize.service.js';
import { cardBin, cardLast4, emailDomain, int } from '../payload-access.js';
import { isIsoCurrency } from '../money.js';
import {
  currencyIn,
  fold,
  isEmail,
  masked,
  moneyToMinor,
  reasonOf,
  statusOf,
  timeOf,
  typeForStatus,
  typeOf,
} from './heuristic.values.js';

type Scalar = string | number | boolean;

interface Leaf {
  path: string;
  /** The key folded to lower-case letters and digits: `transaction_id`, `transactionId` → `transactionid`. */
  key: string;
  parentKey: string;
  value: Scalar;
  depth: number;
}

const MAX_DEPTH = 8;
const MAX_LEAVES = 5000;

const squash = (key: string) => fold(key).replace(/[^a-z0-9]/g, '');

function leavesOf(payload: unknown): Leaf[] {
  const out: Leaf[] = [];
  const walk = (value: unknown, path: string, key: string, parentKey: string, depth: number) => {
    if (out.length >= MAX_LEAVES || depth > MAX_DEPTH) return;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out.push({ path, key, parentKey, value, depth });
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}[${i}]`, key, parentKey, depth + 1));
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, squash(k), key, depth + 1);
    }
  };
  walk(payload, '', '', '', 0);
  return out;
}

/** Key synonyms per field, most specific first (English, Spanish, Portuguese). */
const keys = {
  amountMinor: [
    'amountcents',
    'amountincents',
    'amountminor',
    'minoramount',
    'amountinminorunits',
    'valueincents',
    'totalcents',
    'cents',
    'centavos',
  ],
  amount: [
    'amount',
    'amt',
    'totalamount',
    'amounttotal',
    'grandtotal',
    'transactionamount',
    'paymentamount',
    'chargeamount',
    'orderamount',
    'amountpaid',
    'paidamount',
    'monto',
    'montototal',
    'importe',
    'importetotal',
    'valor',
    'valortotal',
    'valorpago',
    'total',
    'value',
    'price',
    'sum',
    'precio',
    'preco',
  ],
  currency: [
    'currency',
    'currencycode',
    'isocurrency',
    'currencyiso',
    'curr',
    'ccy',
    'moneda',
    'tipomoneda',
    'moeda',
    'divisa',
  ],
  status: [
    'status',
    'paymentstatus',
    'transactionstatus',
    'state',
    'estado',
    'estadopago',
    'situacao',
    'situacion',
    'statuspagamento',
    'result',
    'resultado',
    'outcome',
  ],
  type: [
    'transactiontype',
    'operationtype',
    'paymenttype',
    'type',
    'tipo',
    'kind',
    'tipotransaccion',
    'tipooperacion',
    'tipotransacao',
    'operacion',
    'operacao',
  ],
  paymentId: [
    'transactionid',
    'txnid',
    'txid',
    'paymentid',
    'chargeid',
    'operationid',
    'idtransaccion',
    'idtransacao',
    'idpago',
    'idpagamento',
    'reference',
    'referencia',
    'ref',
    'orderid',
    'id',
  ],
  eventId: ['eventid', 'notificationid', 'webhookid', 'idevento'],
  email: [
    'email',
    'emailaddress',
    'payeremail',
    'customeremail',
    'buyeremail',
    'receiptemail',
    'correo',
    'correoelectronico',
    'mail',
  ],
  customerId: ['customerid', 'customer', 'clientid', 'clienteid', 'idcliente', 'payerid', 'buyerid'],
  last4: ['last4', 'lastfour', 'last4digits', 'cardlast4', 'ultimos4', 'ultimos4digitos', 'ultimosdigitos', 'final'],
  bin: ['bin', 'iin', 'cardbin', 'first6', 'primeros6'],
  maskedPan: ['cardnumber', 'maskedpan', 'pan', 'maskedcard', 'numerotarjeta', 'numerocartao', 'number', 'numero'],
  brand: ['cardbrand', 'brand', 'scheme', 'network', 'bandeira', 'marca', 'franquicia'],
  time: [
    'occurredat',
    'createdat',
    'created',
    'timestamp',
    'eventtime',
    'transactiondate',
    'datetime',
    'date',
    'time',
    'paidat',
    'processedat',
    'fecha',
    'fechacreacion',
    'fechahora',
    'fechatransaccion',
    'data',
    'datacriacao',
    'datahora',
    'datatransacao',
    'updatedat',
  ],
  ip: ['ip', 'ipaddress', 'clientip', 'customerip', 'remoteip'],
  reason: [
    'failurereason',
    'declinereason',
    'reason',
    'motivo',
    'motivorechazo',
    'motivorecusa',
    'statusdetail',
    'errormessage',
    'responsemessage',
    'message',
    'mensaje',
    'mensagem',
  ],
  code: ['declinecode', 'errorcode', 'responsecode', 'failurecode', 'reasoncode', 'codigoerro', 'codigoerror'],
} satisfies Record<string, string[]>;

/** Candidates for a field: exact key matches in synonym order, then keys ending in a synonym; shallow first. */
function candidates(leaves: Leaf[], synonyms: string[]): Leaf[] {
  const rank = (leaf: Leaf): number => {
    const exact = synonyms.indexOf(leaf.key);
    if (exact >= 0) return exact;
    const suffix = synonyms.findIndex((s) => s.length >= 4 && leaf.key.endsWith(s));
    return suffix >= 0 ? synonyms.length + suffix : -1;
  };
  return leaves
    .map((leaf) => ({ leaf, rank: rank(leaf) }))
    .filter((c) => c.rank >= 0)
    .sort((a, b) => a.rank - b.rank || a.leaf.depth - b.leaf.depth)
    .map((c) => c.leaf);
}

function first<T>(
  leaves: Leaf[],
  synonyms: string[],
  read: (leaf: Leaf) => T | null,
): { value: T; path: string } | null {
  for (const leaf of candidates(leaves, synonyms)) {
    const value = read(leaf);
    if (value !== null) return { value, path: leaf.path };
  }
  return null;
}

const text = (leaf: Leaf): string | null =>
  typeof leaf.value === 'string' && leaf.value.trim() !== ''
    ? leaf.value.trim()
    : typeof leaf.value === 'number'
      ? String(leaf.value)
      : null;

export interface HeuristicGuess {
  draft: NormalizedEventDraft | null;
  confidence: number;
  /** Canonical fields that were looked for and not found. */
  missing: string[];
}

/** Weights of what was found; amount and currency are required for any event at all. */
const weights = { amount: 0.3, currency: 0.2, status: 0.2, id: 0.1, time: 0.1, extras: 0.1 };

/**
 * Reads an unknown payload by field names and value shapes and builds a canonical draft. The
 * confidence adds up what was found (amount, currency, status, id, time, customer/card details),
 * discounted when a value was ambiguous (a bare `$`).
 */
export function guessEvent(payload: unknown, ctx: NormalizeContext): HeuristicGuess {
  const leaves = leavesOf(payload);
  const missing: string[] = [];
  const found: Record<string, string> = {};
  let confidence = 0;

  let currency = first(leaves, keys.currency, (leaf) => {
    const t = text(leaf);
    return t === null ? null : currencyIn(t);
  });
  let amountMinor: number | null = null;
  // A value already in minor units (keys like amount_cents): an integer, kept in the currency's exponent.
  const minor = first(leaves, keys.amountMinor, (leaf) => int(leaf.value));
  const major = minor
    ? null
    : first(leaves, keys.amount, (leaf) => (typeof leaf.value === 'boolean' ? null : leaf.value));
  if (!currency && major && typeof major.value === 'string') {
    const embedded = currencyIn(major.value);
    if (embedded) currency = { value: embedded, path: major.path };
  }
  if (currency) {
    found.currency = currency.path;
    confidence += weights.currency * currency.value.certainty;
    if (minor) {
      amountMinor = minor.value;
      found.amountMinor = minor.path;
    } else if (major) {
      amountMinor = moneyToMinor(major.value as string | number, currency.value.currency);
      if (amountMinor !== null) found.amount = major.path;
    }
  } else missing.push('currency');
  if (amountMinor !== null) confidence += weights.amount;
  else missing.push('amount');

  const statusField = first(leaves, keys.status, (leaf) =>
    typeof leaf.value === 'string' ? statusOf(leaf.value) : null,
  );
  const status: EventStatus = statusField?.value ?? 'pending';
  if (statusField) {
    found.status = statusField.path;
    confidence += weights.status;
  } else missing.push('status');
  const typeField = first(leaves, keys.type, (leaf) => (typeof leaf.value === 'string' ? typeOf(leaf.value) : null));
  const type: EventType = typeField?.value ?? typeForStatus(status);
  if (typeField) found.type = typeField.path;

  const paymentId = first(leaves, keys.paymentId, text);
  const eventId = first(leaves, keys.eventId, text);
  if (paymentId || eventId) confidence += weights.id;
  else missing.push('id');
  if (paymentId) found.providerPaymentId = paymentId.path;

  const time = first(leaves, keys.time, (leaf) => (typeof leaf.value === 'boolean' ? null : timeOf(leaf.value)));
  if (time) {
    found.occurredAt = time.path;
    confidence += weights.time;
  } else missing.push('time');

  const anyEmail = leaves.find((l) => typeof l.value === 'string' && isEmail(l.value));
  const email =
    first(leaves, keys.email, (leaf) =>
      typeof leaf.value === 'string' && isEmail(leaf.value) ? leaf.value.trim() : null,
    ) ?? (anyEmail ? { value: String(anyEmail.value).trim(), path: anyEmail.path } : null);
  const customerId = email ? null : first(leaves, keys.customerId, text);
  const maskedPan = first(leaves, keys.maskedPan, (leaf) =>
    typeof leaf.value === 'string' ? masked(leaf.value) : null,
  );
  const last4 = first(leaves, keys.last4, (leaf) => cardLast4(text(leaf)))?.value ?? maskedPan?.value.last4 ?? null;
  const bin = first(leaves, keys.bin, (leaf) => cardBin(text(leaf)))?.value ?? maskedPan?.value.bin ?? null;
  const brand = first(leaves, keys.brand, (leaf) =>
    typeof leaf.value === 'string' && /^[a-z _-]{2,24}$/i.test(leaf.value) ? leaf.value.toLowerCase() : null,
  );
  const ip = first(leaves, keys.ip, (leaf) =>
    typeof leaf.value === 'string' && /^[\d.]{7,15}$|^[0-9a-f:]{3,39}$/i.test(leaf.value) ? leaf.value : null,
  );
  const extras = [email ?? customerId, last4 ?? bin, typeField].filter((x) => x !== null && x !== undefined).length;
  confidence += weights.extras * Math.min(1, extras / 2);

  const declined = status === 'declined' || status === 'failed';
  const reason = first(leaves, keys.reason, text);
  const code = first(leaves, keys.code, text);
  const rounded = Math.round(Math.min(1, confidence) * 100) / 100;
  if (amountMinor === null || !currency || !isIsoCurrency(currency.value.currency))
    return { draft: null, confidence: rounded, missing };

  const draft: NormalizedEventDraft = {
    providerEventId: eventId?.value ?? null,
    providerPaymentId: paymentId?.value ?? null,
    type,
    status,
    failureReason: declined ? reasonOf(`${code?.value ?? ''} ${reason?.value ?? ''}`) : null,
    declineType: null,
    recommendedAction: declined ? 'review_manually' : null,
    providerCode: code?.value ?? null,
    providerMessage: reason?.value ?? null,
    amountMinor,
    currency: currency.value.currency,
    merchant: null,
    customerKey: email
      ? ctx.customerKey('email', email.value.toLowerCase())
      : customerId
        ? ctx.customerKey('id', customerId.value)
        : null,
    emailDomain: email ? emailDomain(email.value) : null,
    ip: ip?.value ?? null,
    ipCountry: null,
    deviceId: null,
    card: last4 || bin ? { brand: brand?.value ?? null, bin, last4, country: null, funding: null } : null,
    occurredAt: time?.value ?? ctx.now,
    normalizationMethod: 'heuristic',
    confidence: rounded,
    metadata: { heuristic: { fields: found, missing } },
  };
  return { draft, confidence: rounded, missing };
}

/**
 * The intake's fallback for payloads no connector claims: the heuristic reading when it is confident
 * enough, else the escalation (the AI normalizer) when configured, else `unprocessed` saying why.
 */
export class HeuristicNormalizer implements FallbackNormalizer {
  constructor(
    private readonly minConfidence: number,
    private readonly escalate: FallbackNormalizer | null = null,
  ) {}

  async normalize(payload: unknown, ctx: NormalizeContext): Promise<NormalizeResult> {
    const guess = guessEvent(payload, ctx);
    if (guess.draft && guess.confidence >= this.minConfidence)
      return { status: 'normalized', events: [guess.draft], note: null };
    const why = `heuristic confidence ${guess.confidence.toFixed(2)} is below ${this.minConfidence}${guess.missing.length > 0 ? ` (not found: ${guess.missing.join(', ')})` : ''}`;
    if (!this.escalate) return { status: 'unprocessed', events: [], note: why };
    const escalated = await this.escalate.normalize(payload, ctx);
    return escalated.status === 'unprocessed' ? { ...escalated, note: `${why}; ${escalated.note}` } : escalated;
  }
}
