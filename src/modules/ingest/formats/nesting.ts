import { AppError } from '../../../platform/errors/app-error.js';
import { lineAndColumn } from './json.format.js';
import { scanXml } from './xml-scan.js';

/** Deeper than any real payment payload; deep enough nesting would overflow the stack of every recursive walker. */
export const MAX_NESTING = 64;

/**
 * Names that reach the prototype chain when a parsed payload is copied key by key. No provider
 * uses them; a body that does is refused in every format before any object is built from it.
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function tooDeep(format: string): AppError {
  return new AppError('invalid_body', `The body nests deeper than ${MAX_NESTING} levels`, {
    format,
    maxDepth: MAX_NESTING,
  });
}

/**
 * PostgreSQL's text and jsonb hold neither U+0000 nor half of a surrogate pair: a body carrying one
 * passed parsing and normalization and was then refused by the database on every retry (500 or 503).
 * Refused here instead, before anything is stored, saying where.
 */
function unstorable(text: string, at: number, what: string, format: string): AppError {
  const { line, column } = lineAndColumn(text, at);
  return new AppError('invalid_body', `The body holds ${what} at line ${line}, column ${column}; no stored text can`, {
    format,
    line,
    column,
  });
}

/** String#isWellFormed: ES2024, in every Node this runs on (≥ 20), not in the compiler's ES2023 library. */
const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Any format's text: no NUL character, and no lone surrogate (text that was not decoded from UTF-8). */
export function assertStorableText(text: string, format: string): void {
  const nul = text.indexOf('\u0000');
  if (nul !== -1) throw unstorable(text, nul, 'a NUL character (U+0000)', format);
  if (!isWellFormed(text)) throw unstorable(text, text.search(LONE_SURROGATE), 'half of a surrogate pair', format);
}

/** The UTF-16 unit a `\uXXXX` escape at `at` (its backslash) names, or -1 when it is none. */
function escapedUnit(text: string, at: number): number {
  if (text.charCodeAt(at) !== 92 || text.charCodeAt(at + 1) !== 117) return -1;
  const digits = text.slice(at + 2, at + 6);
  return /^[0-9a-fA-F]{4}$/.test(digits) ? Number.parseInt(digits, 16) : -1;
}

/**
 * Where the JSON escape starting at `at` (a backslash) ends, refusing one that decodes to what no
 * stored text can hold: `\u0000`, or a surrogate escape that is not a high half followed by a low one.
 */
function escapeEnd(text: string, at: number, format: string): number {
  const unit = escapedUnit(text, at);
  if (unit === -1) return at + 1;
  if (unit === 0) throw unstorable(text, at, 'an escaped NUL character (\\u0000)', format);
  if (unit < 0xd800 || unit > 0xdfff) return at + 5;
  const low = unit <= 0xdbff ? escapedUnit(text, at + 6) : -1;
  if (low < 0xdc00 || low > 0xdfff) throw unstorable(text, at, 'an escaped half of a surrogate pair', format);
  return at + 11;
}

export function assertKeyAllowed(key: string, format: string): void {
  if (RESERVED_KEYS.has(key))
    throw new AppError('reserved_key', `The body uses the reserved name "${key}"`, { format, key });
}

/** A JSON string token's value; escapes are decoded only when there are any. */
function jsonStringValue(text: string, start: number, end: number, escaped: boolean): string {
  if (!escaped) return text.slice(start + 1, end - 1);
  try {
    return JSON.parse(text.slice(start, end)) as string;
  } catch {
    return text.slice(start + 1, end - 1);
  }
}

/**
 * Bracket depth, object keys and escapes of JSON text (NDJSON too), in one pass before parsing, so
 * no walker ever recurses too far, no reserved key reaches an object and no escape decodes to what
 * the database refuses.
 *
 * Returns, while it is there, where the elements of a top-level array end: the offsets of its `[`,
 * of each comma between its elements and of its `]` (meaningless unless the text is one array), so
 * each element's own text is a slice of the body rather than a second serialization.
 */
export function assertJsonNesting(text: string, format: string): number[] {
  const topLevel: number[] = [];
  let depth = 0;
  // Strings are most of a payload: their ends are found by indexOf (a native search), not char by
  // char. The next backslash is looked for again only once passed, so the scan stays linear.
  let backslash = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const start = i;
      let escaped = false;
      for (let from = i + 1; ;) {
        const quote = text.indexOf('"', from);
        if (quote === -1) {
          i = text.length;
          break;
        }
        if (backslash < from) {
          backslash = text.indexOf('\\', from);
          if (backslash === -1) backslash = text.length;
        }
        if (backslash < quote) {
          escaped = true;
          from = escapeEnd(text, backslash, format) + 1;
        } else {
          i = quote;
          break;
        }
      }
      const length = i - start - 1;
      // Only a key (a string followed by `:`) that could spell a reserved name is read.
      if (escaped || length === 9 || length === 11) {
        let next = i + 1;
        while (
          next < text.length &&
          (text.charCodeAt(next) === 32 ||
            text.charCodeAt(next) === 9 ||
            text.charCodeAt(next) === 10 ||
            text.charCodeAt(next) === 13)
        )
          next++;
        if (text.charCodeAt(next) === 58) assertKeyAllowed(jsonStringValue(text, start, i + 1, escaped), format);
      }
    } else if (c === 123 || c === 91) {
      if (++depth > MAX_NESTING) throw tooDeep(format);
      if (depth === 1) topLevel.push(i);
    } else if (c === 125 || c === 93) {
      if (depth === 1) topLevel.push(i);
      depth--;
    } else if (c === 44 && depth === 1) topLevel.push(i);
  }
  return topLevel;
}

/**
 * Element depth and element and attribute names of XML text, in one linear scan before parsing. A
 * `<` that starts no tag is refused here too: it is never well-formed, and the validator spends
 * far longer on a flood of them than the scan does.
 */
export function assertXmlNesting(text: string): void {
  let depth = 0;
  scanXml(text, {
    stray(at) {
      const { line, column } = lineAndColumn(text, at);
      throw new AppError('invalid_body', `XML line ${line}, column ${column}: '<' starts no tag (write it as &lt;)`, {
        format: 'xml',
        line,
        column,
      });
    },
    open(tag) {
      assertKeyAllowed(tag.name, 'xml');
      for (const attribute of tag.attributes) assertKeyAllowed(attribute.name, 'xml');
      if (!tag.selfClosing && ++depth > MAX_NESTING) throw tooDeep('xml');
    },
    close() {
      depth--;
    },
  });
}
