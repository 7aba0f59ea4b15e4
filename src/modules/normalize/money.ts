/** ISO 4217 minor-unit exponents that differ from the usual 2. */
const isoExponents: Record<string, number> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

export function currencyExponent(currency: string): number {
  return isoExponents[currency.toUpperCase()] ?? 2;
}

export function isCurrencyCode(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z]{3}$/.test(value);
}

const isoCurrencies = new Set<string>(Intl.supportedValuesOf('currency'));

/** Whether the code (any case) is an ISO 4217 currency the runtime knows, not just three letters. */
export function isIsoCurrency(code: string): boolean {
  return isoCurrencies.has(code.toUpperCase());
}

/**
 * Moves an integer amount between two exponents exactly; when precision would be lost the amount is
 * rounded half away from zero (a provider sending 1005 in a 2-decimal view of a 0-decimal currency).
 */
export function rescaleMinor(amount: number, fromExponent: number, toExponent: number): number {
  if (fromExponent === toExponent) return amount;
  if (toExponent > fromExponent) return amount * 10 ** (toExponent - fromExponent);
  const divisor = 10 ** (fromExponent - toExponent);
  const sign = amount < 0 ? -1 : 1;
  return sign * Math.round(Math.abs(amount) / divisor);
}

/**
 * Converts a decimal amount in major units ("10.5", 12.34, "1,234.56" is not accepted) to integer
 * minor units without floating-point arithmetic. Returns null when the value is not a plain decimal.
 */
export function decimalToMinor(value: string | number, currency: string): number | null {
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  if (text === null) return null;
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return null;
  const [, sign, whole = '', fraction = ''] = match;
  const exponent = currencyExponent(currency);
  const kept = fraction.slice(0, exponent).padEnd(exponent, '0');
  const dropped = fraction.slice(exponent);
  let minor = Number(`${whole || '0'}${kept}`);
  // Round half away from zero on the first dropped digit, exactly as a person would.
  if (dropped.length > 0 && Number(dropped[0]) >= 5) minor += 1;
  if (!Number.isSafeInteger(minor)) return null;
  return sign === '-' ? -minor : minor;
}

function numberToPlainString(value: number): string | null {
  if (!Number.isFinite(value)) return null;
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return value.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/** Reference USD rates (units of USD per unit of currency), valid from the given date. */
interface FxRate {
  validFrom: string;
  usdPerUnit: number;
}

const referenceRates: Record<string, FxRate[]> = Object.fromEntries(
  Object.entries({
    USD: 1,
    EUR: 1.08,
    GBP: 1.27,
    JPY: 0.0067,
    CAD: 0.73,
    AUD: 0.66,
    CHF: 1.12,
    CNY: 0.138,
    HKD: 0.128,
    SGD: 0.74,
    SEK: 0.095,
    NOK: 0.093,
    DKK: 0.145,
    PLN: 0.25,
    CZK: 0.043,
    HUF: 0.0027,
    RON: 0.217,
    BRL: 0.18,
    MXN: 0.055,
    ARS: 0.0011,
    CLP: 0.00105,
    COP: 0.00025,
    PEN: 0.27,
    UYU: 0.025,
    INR: 0.012,
    KRW: 0.00073,
    TWD: 0.031,
    THB: 0.028,
    IDR: 0.000063,
    MYR: 0.21,
    PHP: 0.018,
    VND: 0.00004,
    ZAR: 0.054,
    NGN: 0.00066,
    KES: 0.0077,
    EGP: 0.021,
    TRY: 0.03,
    ILS: 0.27,
    AED: 0.2723,
    SAR: 0.2667,
    QAR: 0.2747,
    KWD: 3.25,
    BHD: 2.65,
    OMR: 2.6,
    JOD: 1.41,
    TND: 0.32,
    ISK: 0.0072,
    NZD: 0.6,
  }).map(([currency, usdPerUnit]) => [currency, [{ validFrom: '2020-01-01T00:00:00Z', usdPerUnit }]]),
);

/** USD value in cents of an amount at the rate valid at `at`; null when the currency has no rate. */
export function toUsdMinor(amountMinor: number, currency: string, at: Date): number | null {
  const rates = referenceRates[currency.toUpperCase()];
  if (!rates) return null;
  const rate = [...rates].reverse().find((r) => Date.parse(r.validFrom) <= at.getTime()) ?? rates[0];
  if (!rate) return null;
  const major = amountMinor / 10 ** currencyExponent(currency);
  return Math.round(major * rate.usdPerUnit * 100);
}
