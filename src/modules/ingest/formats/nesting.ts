import { AppError } from '../../../platform/errors/app-error.js';

/** Deeper than any real payment payload; deep enough nesting would overflow the stack of every recursive walker. */
export const MAX_NESTING = 64;

function tooDeep(format: string): AppError {
  return new AppError('invalid_body', `The body nests deeper than ${MAX_NESTING} levels`, { format, maxDepth: MAX_NESTING });
}

/** Bracket depth of JSON text (strings skipped), checked before parsing so no walker ever recurses too far. */
export function assertJsonNesting(text: string, format: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > MAX_NESTING) throw tooDeep(format);
    } else if (c === 125 || c === 93) depth--;
  }
}

/** Element depth of XML text; comments, CDATA and declarations are skipped. */
export function assertXmlNesting(text: string): void {
  const tag = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[!?][^>]*>|<(\/?)[^\s>/]+[^>]*?(\/?)>/g;
  let depth = 0;
  for (let m = tag.exec(text); m !== null; m = tag.exec(text)) {
    if (m[1] === undefined) continue;
    if (m[1] === '/') depth--;
    else if (m[2] !== '/' && ++depth > MAX_NESTING) throw tooDeep('xml');
  }
}
