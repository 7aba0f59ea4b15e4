import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { disposableEmailBlocklistSet } from 'disposable-email-domains-js';

/** The maintained disposable-email-domains list (disposable-email-domains-js), loaded once. */
const disposableDomains = disposableEmailBlocklistSet();

/** A domain on the disposable list, or a subdomain of one (x.mailinator.com). */
export function isDisposableDomain(domain: string): boolean {
  let d = domain.trim().toLowerCase();
  for (;;) {
    if (disposableDomains.has(d)) return true;
    const dot = d.indexOf('.');
    if (dot < 0 || d.indexOf('.', dot + 1) < 0) return false;
    d = d.slice(dot + 1);
  }
}

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);

/** Letters a–z are 1–26; 0 marks the start and end of a name. */
const SYMBOLS = 27;

/**
 * log P(next letter | letter) over ~200K first and last names of many languages (the humannames
 * package), add-half smoothed: how name-like a run of letters reads, one transition at a time.
 */
function nameBigrams(): Float64Array {
  const names = readFileSync(createRequire(import.meta.url).resolve('humannames/list.txt'), 'utf8');
  const counts = new Float64Array(SYMBOLS * SYMBOLS).fill(0.5);
  for (const line of names.split('\n')) {
    const name = line
      .normalize('NFD')
      .toLowerCase()
      .replace(/[^a-z]/g, '');
    if (name.length < 2) continue;
    let previous = 0;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i) - 96;
      counts[previous * SYMBOLS + c]! += 1;
      previous = c;
    }
    counts[previous * SYMBOLS]! += 1;
  }
  for (let row = 0; row < SYMBOLS; row++) {
    let total = 0;
    for (let c = 0; c < SYMBOLS; c++) total += counts[row * SYMBOLS + c]!;
    for (let c = 0; c < SYMBOLS; c++) counts[row * SYMBOLS + c] = Math.log(counts[row * SYMBOLS + c]! / total);
  }
  return counts;
}

const bigrams = nameBigrams();

/** Mean log-probability per transition of the letter runs under the name model (higher is more name-like). */
export function nameLikeness(text: string): number {
  let total = 0;
  let n = 0;
  let previous = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) - 96 : -1;
    if (c >= 1 && c <= 26) {
      total += bigrams[previous * SYMBOLS + c]!;
      previous = c;
      n++;
    } else if (previous !== 0) {
      total += bigrams[previous * SYMBOLS]!;
      previous = 0;
      n++;
    }
  }
  return n === 0 ? 0 : total / n;
}

/** Below this, letters read as mashed rather than named (tuned on generated names vs random strings; see email-signals.test.ts). */
export const NAME_LIKENESS_FLOOR = -3.8;

/**
 * Whether an e-mail's local part looks machine-made rather than chosen by a person. People pick
 * names, initials and words, often with a number at the end (maria.lopez84, jsmith, j_smith1990);
 * throwaway sign-ups use random strings (xk7qz2mw, qhxzmvte, a8f3k2l9x) or a name with a long
 * number (anna48213). Judged on the part before any +tag; random when
 * - it ends in five or more digits after a letter, or, with a trailing number ignored,
 * - letters and digits alternate three or more times (x k 7 q z 2 m w), or
 * - a run of four or more letters has no vowel (y counts as one), or
 * - six or more letters read unlike names (nameLikeness below NAME_LIKENESS_FLOOR).
 * Short parts (under 5 characters once the trailing number is gone) are never called random.
 */
export function looksRandomLocalPart(local: string): boolean {
  const tagless = local.toLowerCase().split('+')[0]!;
  // A year or a short number is a person's; five digits or more is a sign-up script's counter or draw.
  if (/[a-z]\d{5,}$/.test(tagless)) return true;
  const base = tagless.replace(/\d+$/, '');
  let letters = 0;
  let digits = 0;
  let switches = 0;
  let previous: 'letter' | 'digit' | null = null;
  let run = 0;
  let runVowels = 0;
  let vowelless = false;
  for (const ch of base) {
    const kind = ch >= 'a' && ch <= 'z' ? 'letter' : ch >= '0' && ch <= '9' ? 'digit' : null;
    if (kind !== 'letter') {
      if (run >= 4 && runVowels === 0) vowelless = true;
      run = 0;
      runVowels = 0;
    }
    if (kind === null) continue;
    if (previous !== null && previous !== kind) switches++;
    previous = kind;
    if (kind === 'digit') {
      digits++;
      continue;
    }
    letters++;
    run++;
    if (VOWELS.has(ch)) runVowels++;
  }
  if (run >= 4 && runVowels === 0) vowelless = true;
  if (letters + digits < 5) return false;
  return switches >= 3 || vowelless || (letters >= 6 && nameLikeness(base) < NAME_LIKENESS_FLOOR);
}

export interface EmailSignals {
  disposable: boolean;
  randomLocal: boolean;
}

export const noEmailSignals: EmailSignals = { disposable: false, randomLocal: false };

/** Signals of an address (local part known) or of a domain alone (an ingested event keeps only the domain). */
export function emailSignals(email: string | null, domain: string | null): EmailSignals {
  if (email) {
    const at = email.lastIndexOf('@');
    return {
      disposable: isDisposableDomain(email.slice(at + 1)),
      randomLocal: looksRandomLocalPart(email.slice(0, at)),
    };
  }
  return domain ? { disposable: isDisposableDomain(domain), randomLocal: false } : noEmailSignals;
}
