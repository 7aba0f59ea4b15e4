/**
 * Card numbers (PANs) never reach storage or logs. A PAN here is 12–19 digits passing Luhn, starting
 * with any digit an issuer can have (1–9: UATP, fleet, UnionPay 81 and domestic schemes on 9 too),
 * written in one piece or in groups joined by one kind of separator (space, dash or dot). Any digit
 * or separator may be spelled as a JSON escape (`\u0034`) or a character reference (`&#52;`,
 * `&#x34;`), so a number escaped on its way in is still found in the stored text.
 *
 * Not cards: a number starting with 0 (no issuer identifier does; zero-padded ids and references
 * do, and runs of zeros pass Luhn), a 13-digit number in one piece starting with 1 (a millisecond
 * timestamp, 2001–2033; the one card scheme numbered from 1, UATP, issues 15 digits), and a dotted
 * IPv4 address. Everything else that passes is masked, keeping the first six and last four digits.
 *
 * The scan is one forward pass: each character is read a bounded number of times.
 */

/** A cheap test that a text may hold a PAN at all (most payload strings do not): twelve digits with at most single separators between them, or an escape. */
const MAYBE_PAN = /\d(?:[ .-]?\d){11}|\\u|&#/;

const MIN_DIGITS = 12;
const MAX_DIGITS = 19;
/** Space, dash, dot. */
const isSeparator = (code: number) => code === 32 || code === 45 || code === 46;

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

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

const isDigit = (code: number) => code >= 48 && code <= 57;
const doubled = (d: number) => (d > 4 ? 2 * d - 9 : 2 * d);

/** A run of digits with nothing between them. Only a run short enough to be part of a PAN keeps its digits. */
interface Group {
  start: number;
  end: number;
  length: number;
  digits: string;
}

/**
 * Digit groups joined by one kind of separator, read left to right. It holds a PAN when a run of
 * whole groups, 12–19 digits, passes Luhn. Each group added is checked as the end of every such
 * run, from the right as Luhn counts, keeping only the few groups such a run can reach back to:
 * a chain of any length costs a few steps per digit and no more memory.
 */
class Chain {
  separator = -1;
  groups = 0;
  found = false;
  end: number;
  /** The digits of the last groups a window can still reach (at most 19), and where each of those groups begins. */
  private readonly window: number[] = [];
  private readonly starts: number[] = [];

  constructor(
    readonly start: number,
    first: Group,
  ) {
    this.end = first.end;
    this.add(first);
  }

  add(group: Group): void {
    this.groups++;
    this.end = group.end;
    const { window, starts } = this;
    if (group.length > MAX_DIGITS) {
      window.length = 0;
      starts.length = 0;
      return;
    }
    starts.push(window.length);
    for (let k = 0; k < group.digits.length; k++) window.push(group.digits.charCodeAt(k) - 48);
    while (window.length > MAX_DIGITS) {
      const cut = starts[1]!;
      window.splice(0, cut);
      starts.shift();
      for (let j = 0; j < starts.length; j++) starts[j]! -= cut;
    }
    if (!this.found) this.found = this.windowEndsHere();
  }

  private windowEndsHere(): boolean {
    const { window, starts } = this;
    let sum = 0;
    let k = starts.length - 1;
    for (let p = window.length - 1; p >= 0; p--) {
      const length = window.length - p;
      sum += length % 2 === 0 ? doubled(window[p]!) : window[p]!;
      if (p === starts[k]) {
        if (length >= MIN_DIGITS && window[p] !== 0 && sum % 10 === 0) return true;
        k--;
      }
    }
    return false;
  }

  /** A millisecond timestamp in one piece, or a dotted IPv4 address (its only 12-digit window is the whole address). */
  private notACard(): boolean {
    const { window, starts } = this;
    if (this.groups === 1) return window.length === 13 && window[0] === 1;
    if (this.separator !== 46 || this.groups !== 4 || starts.length !== 4) return false;
    return starts.every((s, i) => {
      const digits = window.slice(s, starts[i + 1] ?? window.length);
      return digits.length <= 3 && digits.reduce((n, d) => n * 10 + d, 0) <= 255;
    });
  }

  holdsPan(): boolean {
    return this.found && !this.notACard();
  }
}

/** One pass over one text; `end` is where the character last read by `spelledAt` ends. */
class PanScanner {
  private end = 0;
  readonly spans: [number, number][] = [];

  constructor(private readonly text: string) {}

  /**
   * The character spelled at `i` (-1 for none): itself, a `\uXXXX` escape, or `&#N;` / `&#xH;`.
   * A run of backslashes before `u` is taken whole, so masking never leaves half an escape pair
   * behind; a run that spells nothing is skipped whole, so no backslash is read twice.
   */
  spelledAt(i: number): number {
    const text = this.text;
    const c = text.charCodeAt(i);
    if (c === 92) return this.escapeAt(i);
    if (c === 38 && text.charCodeAt(i + 1) === 35) return this.referenceAt(i);
    this.end = i + 1;
    return c;
  }

  private escapeAt(i: number): number {
    const text = this.text;
    let j = i;
    while (text.charCodeAt(j) === 92) j++;
    this.end = j;
    if (text.charCodeAt(j) !== 117) return -1;
    let code = 0;
    for (let k = j + 1; k < j + 5; k++) {
      const h = hexValue(text.charCodeAt(k));
      if (h < 0) return -1;
      code = code * 16 + h;
    }
    this.end = j + 5;
    return code;
  }

  private referenceAt(i: number): number {
    const text = this.text;
    let j = i + 2;
    const hex = (text.charCodeAt(j) | 0x20) === 120;
    if (hex) j++;
    const first = j;
    let code = 0;
    // Eight digits spell any character with leading zeros to spare; more is no reference.
    while (j - first < 8) {
      const c = text.charCodeAt(j);
      const d = hex ? hexValue(c) : isDigit(c) ? c - 48 : -1;
      if (d < 0) break;
      code = code * (hex ? 16 : 10) + d;
      j++;
    }
    if (j > first && text.charCodeAt(j) === 59) {
      this.end = j + 1;
      return code;
    }
    this.end = i + 1;
    return -1;
  }

  scan(): void {
    for (let i = 0; i < this.text.length;) {
      if (isDigit(this.spelledAt(i))) i = this.chainAt(i);
      else i = this.end;
    }
  }

  private groupAt(i: number): Group {
    let digits = '';
    let length = 0;
    let end = i;
    for (let code = this.spelledAt(end); isDigit(code); code = this.spelledAt(end)) {
      if (++length <= MAX_DIGITS) digits += String.fromCharCode(code);
      end = this.end;
    }
    return { start: i, end, length, digits: length <= MAX_DIGITS ? digits : '' };
  }

  /**
   * Reads the digit groups from `i` on, joined by single separators, and keeps the span of every
   * chain of one separator kind that holds a PAN. Where the separator kind changes, the group
   * between belongs to both chains. Returns where the groups end.
   */
  private chainAt(i: number): number {
    let last = this.groupAt(i);
    let chain = new Chain(i, last);
    for (;;) {
      const separator = this.spelledAt(chain.end);
      const next = this.end;
      if (!isSeparator(separator) || !isDigit(this.spelledAt(next))) break;
      const group = this.groupAt(next);
      if (chain.separator !== -1 && separator !== chain.separator) {
        this.settle(chain);
        chain = new Chain(last.start, last);
      }
      chain.separator = separator;
      chain.add(group);
      last = group;
    }
    this.settle(chain);
    return chain.end;
  }

  private settle(chain: Chain): void {
    if (!chain.holdsPan()) return;
    const last = this.spans[this.spans.length - 1];
    if (last && chain.start < last[1]) last[1] = chain.end;
    else this.spans.push([chain.start, chain.end]);
  }

  /** The masked form of the digits spelled in a span: first six, a star per hidden digit, last four. */
  masked(start: number, end: number): string {
    let head = '';
    let tail = '';
    let count = 0;
    for (let i = start; i < end; i = this.end) {
      const code = this.spelledAt(i);
      if (!isDigit(code)) continue;
      if (++count <= 6) head += String.fromCharCode(code);
      tail = (tail + String.fromCharCode(code)).slice(-4);
    }
    return `${head}${'*'.repeat(count - 10)}${tail}`;
  }
}

/** False when a text cannot hold a PAN: no twelve digits close together and no escape (a quick native test). */
export function mayHoldPan(text: string): boolean {
  return MAYBE_PAN.test(text);
}

/** Masks every PAN in a text, keeping the first six and last four digits (BIN and last4 stay useful). */
export function maskPans(text: string): { text: string; masked: number } {
  if (!MAYBE_PAN.test(text)) return { text, masked: 0 };
  const scanner = new PanScanner(text);
  scanner.scan();
  if (scanner.spans.length === 0) return { text, masked: 0 };
  let out = '';
  let from = 0;
  for (const [start, end] of scanner.spans) {
    out += text.slice(from, start) + scanner.masked(start, end);
    from = end;
  }
  return { text: out + text.slice(from), masked: scanner.spans.length };
}
