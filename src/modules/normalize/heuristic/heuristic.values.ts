import type { EventStatus, EventType, FailureReason } from '../canonical.js';
import { decimalToMinor, isIsoCurrency } from '../money.js';

/** Lower case, accents dropped, separators unified: "Aprovação" → "aprovacao", "in-process" → "in_process". */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim()
    .replace(/[\s-]+/g, '_');
}

/** Symbols, longest first so "R$" wins over "$". `ambiguous` symbols stand for several currencies. */
const symbols: { symbol: string; currency: string; ambiguous: boolean }[] = [
  { symbol: 'US$', currency: 'USD', ambiguous: false },
  { symbol: 'R$', currency: 'BRL', ambiguous: false },
  { symbol: 'C$', currency: 'CAD', ambiguous: false },
  { symbol: 'CA$', currency: 'CAD', ambiguous: false },
  { symbol: 'A$', currency: 'AUD', ambiguous: false },
  { symbol: 'AU$', currency: 'AUD', ambiguous: false },
  { symbol: 'MX$', currency: 'MXN', ambiguous: false },
  { symbol: 'NZ$', currency: 'NZD', ambiguous: false },
  { symbol: 'HK$', currency: 'HKD', ambiguous: false },
  { symbol: 'S/', currency: 'PEN', ambiguous: false },
  { symbol: '€', currency: 'EUR', ambiguous: false },
  { symbol: '£', currency: 'GBP', ambiguous: false },
  { symbol: '¥', currency: 'JPY', ambiguous: true },
  { symbol: '₹', currency: 'INR', ambiguous: false },
  { symbol: '₩', currency: 'KRW', ambiguous: false },
  { symbol: '₽', currency: 'RUB', ambiguous: false },
  { symbol: '₺', currency: 'TRY', ambiguous: false },
  { symbol: '₱', currency: 'PHP', ambiguous: false },
  { symbol: '₦', currency: 'NGN', ambiguous: false },
  { symbol: '₪', currency: 'ILS', ambiguous: false },
  { symbol: 'zł', currency: 'PLN', ambiguous: false },
  { symbol: '$', currency: 'USD', ambiguous: true },
];

export interface CurrencyGuess {
  currency: string;
  /** 1 for an ISO code or unique symbol, lower when a symbol has several meanings ($, ¥). */
  certainty: number;
}

/** An ISO 4217 code or a currency symbol, alone or inside a money text such as "R$ 12,50". */
export function currencyIn(text: string): CurrencyGuess | null {
  const trimmed = text.trim();
  if (/^[A-Za-z]{3}$/.test(trimmed))
    return isIsoCurrency(trimmed) ? { currency: trimmed.toUpperCase(), certainty: 1 } : null;
  const code = /(?:^|[^A-Za-z])([A-Z]{3})(?:[^A-Za-z]|$)/.exec(trimmed);
  if (code && isIsoCurrency(code[1]!)) return { currency: code[1]!, certainty: 1 };
  for (const s of symbols)
    if (trimmed.includes(s.symbol)) return { currency: s.currency, certainty: s.ambiguous ? 0.5 : 1 };
  return null;
}

/**
 * A decimal written with either separator: "1.234,56", "1,234.56", "12,5", "12.50", "1 234,56".
 * The rightmost separator followed by 1–2 digits (or 3 when the other separator also appears) is
 * the decimal mark; repeated groups of three are thousands. Returns a plain "1234.56" or null.
 */
export function plainDecimal(text: string): string | null {
  // Only money decoration may surround the number: a currency code or symbol, spaces, a sign.
  const stripped = text
    .trim()
    .replace(/^[A-Za-z]{3}(?=[\s\d+-])|(?<=[\d\s])[A-Za-z]{3}$/g, '')
    .replace(/[\s\u00a0'’]/g, '')
    .replace(/^([+-]?)(?:[A-Z]{1,2}\$|\$|S\/|[€£¥₹₩₽₺₱₦₪])/, '$1')
    .replace(/(?:[€£¥₹₩₽₺₱₦₪]|zł)$/, '');
  const match = /^([+-]?)(\d[\d.,]*)$/.exec(stripped) ?? /^([+-]?)([.,]\d+)$/.exec(stripped);
  if (!match) return null;
  const [, sign = '', body = ''] = match;
  const marks = body.match(/[.,]/g) ?? [];
  if (marks.length === 0) return `${sign}${body}`;
  const decimalAt = Math.max(body.lastIndexOf('.'), body.lastIndexOf(','));
  const decimalMark = body[decimalAt]!;
  const whole = body.slice(0, decimalAt);
  const fraction = body.slice(decimalAt + 1);
  const grouped = (digits: string, mark: string) => new RegExp(`^\\d{1,3}(\\${mark}\\d{3})+$`).test(digits);
  if (new Set(marks).size === 2) {
    const thousands = decimalMark === '.' ? ',' : '.';
    if (!/^\d+$/.test(fraction) || !(grouped(whole, thousands) || /^\d+$/.test(whole))) return null;
    return `${sign}${whole.split(thousands).join('')}.${fraction}`;
  }
  if (marks.length > 1) return grouped(body, decimalMark) ? `${sign}${body.split(decimalMark).join('')}` : null;
  if (!/^\d*$/.test(whole) || !/^\d+$/.test(fraction)) return null;
  // "1,234" or "1.234" alone reads as thousands: three digits after a single mark after a non-zero whole.
  if (fraction.length === 3 && whole.length >= 1 && whole.length <= 3 && !/^0+$/.test(whole))
    return `${sign}${whole}${fraction}`;
  return `${sign}${whole || '0'}.${fraction}`;
}

/** Major-unit money (a number or decimal text) to minor units in the currency's exponent. */
export function moneyToMinor(value: string | number, currency: string): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? decimalToMinor(value, currency) : null;
  const plain = plainDecimal(value);
  return plain === null ? null : decimalToMinor(plain, currency);
}

const statusWords: Record<EventStatus, string[]> = {
  approved: [
    'approved',
    'approve',
    'success',
    'succeeded',
    'successful',
    'paid',
    'completed',
    'complete',
    'captured',
    'authorized',
    'authorised',
    'settled',
    'ok',
    'accepted',
    'aprobado',
    'aprobada',
    'aprovado',
    'aprovada',
    'pagado',
    'pagada',
    'pago',
    'paga',
    'autorizado',
    'autorizada',
    'exitoso',
    'exitosa',
    'acreditado',
    'acreditada',
    'capturado',
    'capturada',
    'concluido',
    'concluida',
    'confirmado',
    'confirmada',
  ],
  declined: [
    'declined',
    'decline',
    'denied',
    'rejected',
    'refused',
    'rechazado',
    'rechazada',
    'denegado',
    'denegada',
    'recusado',
    'recusada',
    'negado',
    'negada',
    'rejeitado',
    'rejeitada',
    'recusa',
  ],
  failed: ['failed', 'failure', 'error', 'errored', 'fallido', 'fallida', 'falhou', 'falha', 'falhada', 'erro'],
  pending: [
    'pending',
    'processing',
    'in_process',
    'in_progress',
    'requires_action',
    'waiting',
    'created',
    'pendiente',
    'en_proceso',
    'procesando',
    'pendente',
    'em_processamento',
    'processando',
    'aguardando',
    'em_analise',
    'en_revision',
  ],
  canceled: ['canceled', 'cancelled', 'voided', 'void', 'cancelado', 'cancelada', 'anulado', 'anulada'],
  refunded: [
    'refunded',
    'refund',
    'reembolsado',
    'reembolsada',
    'devuelto',
    'devuelta',
    'devolvido',
    'devolvida',
    'estornado',
    'estornada',
    'reversed',
  ],
  partially_refunded: [
    'partially_refunded',
    'partial_refund',
    'partially_refund',
    'reembolso_parcial',
    'parcialmente_reembolsado',
    'estorno_parcial',
    'reembolsado_parcialmente',
  ],
  chargeback: ['chargeback', 'charged_back', 'disputed', 'contracargo', 'contracargos', 'disputa'],
};
const statusByWord = new Map<string, EventStatus>(
  Object.entries(statusWords).flatMap(([status, words]) => words.map((w) => [w, status as EventStatus] as const)),
);

export function statusOf(text: string): EventStatus | null {
  return statusByWord.get(fold(text)) ?? null;
}

const typeWords: Record<EventType, string[]> = {
  sale: ['sale', 'payment', 'purchase', 'charge', 'venta', 'pago', 'compra', 'venda', 'pagamento', 'cobro', 'cobranca'],
  authorization: [
    'authorization',
    'authorisation',
    'auth',
    'preauth',
    'pre_authorization',
    'autorizacion',
    'autorizacao',
  ],
  capture: ['capture', 'captura'],
  refund: ['refund', 'reembolso', 'devolucion', 'devolucao', 'estorno'],
  void: ['void', 'cancel', 'cancellation', 'anulacion', 'cancelamento', 'cancelacion'],
  dispute: ['dispute', 'chargeback', 'disputa', 'contracargo'],
};
const typeByWord = new Map<string, EventType>(
  Object.entries(typeWords).flatMap(([type, words]) => words.map((w) => [w, type as EventType] as const)),
);

export function typeOf(text: string): EventType | null {
  return typeByWord.get(fold(text)) ?? null;
}

/** The event type a status implies when the payload names none. */
export function typeForStatus(status: EventStatus): EventType {
  if (status === 'refunded' || status === 'partially_refunded') return 'refund';
  if (status === 'canceled') return 'void';
  if (status === 'chargeback') return 'dispute';
  return 'sale';
}

const reasonPatterns: [RegExp, FailureReason][] = [
  [/insufficient|insuficiente|saldo|nsf/, 'insufficient_funds'],
  [/expired|expirad|vencid|caducad/, 'expired_card'],
  [/cvc|cvv|security_code|codigo_de_seguranca|codigo_de_seguridad/, 'incorrect_cvc'],
  [/stolen|lost|robad|roubad|perdid|extraviad/, 'lost_or_stolen_card'],
  [/fraud|fraude/, 'suspected_fraud'],
  [/do_not_honou?r|no_honrar|nao_honrar/, 'do_not_honor'],
  [/invalid_card|card_number|numero_de_tarjeta|numero_do_cartao|invalid_number/, 'invalid_card_number'],
  [/limit|limite/, 'limit_exceeded'],
  [/3ds|authentication|autenticacion|autenticacao/, 'authentication_required'],
  [/duplicate|duplicad/, 'duplicate_transaction'],
  [/timeout|unavailable|indisponivel|no_disponible/, 'issuer_unavailable'],
];

/** A standardised reason from free decline text, or `unknown`: never a guess beyond the keywords. */
export function reasonOf(text: string): FailureReason {
  const folded = fold(text);
  for (const [pattern, reason] of reasonPatterns) if (pattern.test(folded)) return reason;
  return 'unknown';
}

/**
 * One `@`, then dot-separated labels. Each label excludes the dot, so the pattern matches a text
 * one way only (no backtracking), and anything longer than an address can be (RFC 5321: 254) is
 * not read at all: this runs on every string of an unknown payload.
 */
const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;
const MAX_EMAIL_LENGTH = 254;
export function isEmail(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.length <= MAX_EMAIL_LENGTH && EMAIL.test(trimmed);
}

const MIN_TIME = Date.UTC(2000, 0, 1);
const MAX_TIME = Date.UTC(2100, 0, 1);
const plausible = (ms: number) => (ms >= MIN_TIME && ms < MAX_TIME ? new Date(ms) : null);

/**
 * A time from ISO 8601 text, unix seconds or milliseconds (number or digits), or a day-first date
 * ("24/11/2026", "24-11-2026 13:05"), as Latin American and European systems write them. Times
 * without a zone are read as UTC. Implausible years (before 2000, after 2100) are rejected.
 */
export function timeOf(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (value >= 1e12) return plausible(Math.round(value));
    if (value >= 9e8) return plausible(Math.round(value * 1000));
    return null;
  }
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (/^\d{10}(\.\d+)?$/.test(text) || /^\d{13}$/.test(text)) return timeOf(Number(text));
  const dayFirst = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (dayFirst) {
    const [, d, m, y, hh = '0', mm = '0', ss = '0'] = dayFirst;
    const day = Number(d);
    const month = Number(m);
    if (month < 1 || month > 12 || day < 1 || day > 31) return null;
    const ms = Date.UTC(Number(y), month - 1, day, Number(hh), Number(mm), Number(ss));
    const date = new Date(ms);
    return date.getUTCDate() === day ? plausible(ms) : null;
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(text)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) || text.length === 10 ? text : `${text.replace(' ', 'T')}Z`;
    const ms = Date.parse(zoned.replace(' ', 'T'));
    return Number.isNaN(ms) ? null : plausible(ms);
  }
  return null;
}

export function masked(text: string): { bin: string | null; last4: string | null } | null {
  const m = /^(\d{6,8})?[*xX•.\s-]{2,}(\d{4})$/.exec(text.trim());
  return m ? { bin: m[1] ?? null, last4: m[2]! } : null;
}
