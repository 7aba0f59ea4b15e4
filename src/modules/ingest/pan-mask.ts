/**
 * Card numbers (PANs) never reach storage or logs. A PAN here is 13–19 digits, optionally grouped by
 * single spaces or dashes, starting with a card-network digit (2–6), and passing Luhn. The leading
 * digit rule keeps 13-digit millisecond timestamps and numeric provider references (Adyen's start
 * with 1, 7, 8 …) from being mistaken for cards.
 */
const CANDIDATE = /(?<![\d])[2-6](?:[ -]?\d){12,18}(?![\d])/g;

export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function maskDigits(digits: string): string {
  return `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4)}`;
}

function isPan(candidate: string): string | null {
  const digits = candidate.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19) return null;
  // Grouped numbers must use one separator style; "4111 1111-1111 1111" is not a card.
  if (/ /.test(candidate) && /-/.test(candidate)) return null;
  return passesLuhn(digits) ? digits : null;
}

/** Masks every PAN in a text, keeping the first six and last four digits (BIN and last4 stay useful). */
export function maskPans(text: string): { text: string; masked: number } {
  let masked = 0;
  const out = text.replace(CANDIDATE, (match) => {
    const digits = isPan(match);
    if (!digits) return match;
    masked++;
    return maskDigits(digits);
  });
  return { text: out, masked };
}

/**
 * Masks PANs inside a parsed JSON value; a PAN sent as a bare number becomes a masked string.
 * Copy-on-write: a value without PANs (nearly every payload) is returned as is, unallocated.
 */
export function maskPansDeep(value: unknown): { value: unknown; masked: number } {
  let masked = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = maskPans(v);
      masked += r.masked;
      return r.masked > 0 ? r.text : v;
    }
    if (typeof v === 'number' && Number.isInteger(v)) {
      const text = String(v);
      const r = maskPans(text);
      if (r.masked > 0 && r.text !== text) {
        masked += r.masked;
        return r.text;
      }
      return v;
    }
    if (Array.isArray(v)) {
      let out: unknown[] | null = null;
      for (let i = 0; i < v.length; i++) {
        const child = walk(v[i]);
        if (child !== v[i]) (out ??= v.slice())[i] = child;
      }
      return out ?? v;
    }
    if (typeof v === 'object' && v !== null) {
      let out: Record<string, unknown> | null = null;
      for (const [k, child] of Object.entries(v)) {
        const next = walk(child);
        if (next !== child) (out ??= { ...v })[k] = next;
      }
      return out ?? v;
    }
    return v;
  };
  return { value: walk(value), masked };
}
