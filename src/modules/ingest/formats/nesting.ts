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
 * Bracket depth and object keys of JSON text (NDJSON too), in one pass before parsing, so no
 * walker ever recurses too far and no reserved key reaches an object.
 */
export function assertJsonNesting(text: string, format: string): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 92) {
          escaped = true;
          i++;
        } else if (s === 34) break;
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
    } else if (c === 125 || c === 93) depth--;
  }
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
