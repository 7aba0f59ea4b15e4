import { AppError } from '../../../platform/errors/app-error.js';

export interface RecordList {
  records: unknown[];
  texts: string[];
  multi: boolean;
}

/** A parser's message as an error detail: parsers quote the offending input, which may be megabytes long. */
export function clipped(message: string, max = 300): string {
  return message.length > max ? `${message.slice(0, max)}…` : message;
}

/** 1-based line and column of a character offset, for error messages a person can act on. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Where a JSON text stops being valid. V8 names the position for some errors only ("Unexpected
 * token" has none), so this walks the grammar once, on the error path only.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      const code = text.charCodeAt(i);
      if (code < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match || match[0] === '' || match[0] === '-') fail();
    i += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 5000) fail();
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return number();
    fail();
  };
  try {
    value(0);
    ws();
    return i;
  } catch (offset) {
    return typeof offset === 'number' ? Math.min(offset, text.length) : text.length;
  }
}

/** Parses JSON; a syntax error is `invalid_json` naming the line and column where parsing stopped. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') throw new AppError('invalid_json', 'The body is empty');
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : 'The body is not valid JSON';
    const position = /position (\d+)/.exec(message);
    const where = lineAndColumn(text, position ? Number(position[1]) : jsonErrorOffset(text));
    throw new AppError('invalid_json', `${clipped(message)} (line ${where.line}, column ${where.column})`, where);
  }
}

/**
 * A JSON object (one record) or array (one record per element, each stored as its own text: the
 * element as sent, cut at `delimiters`, the offsets of the array's `[`, commas and `]` that
 * assertJsonNesting found).
 */
export function parseJsonSequence(text: string, delimiters: readonly number[]): RecordList {
  const value = parseJson(text);
  if (Array.isArray(value)) return { records: value, texts: elementTexts(text, value, delimiters), multi: true };
  if (value === null || typeof value !== 'object') {
    throw new AppError('validation_failed', 'The body must be a JSON object or an array of objects', {
      errors: [{ field: 'body', message: 'expected a JSON object or array' }],
    });
  }
  return { records: [value], texts: [text], multi: false };
}

/** Each element's text between its delimiters; serialized again only if they do not match the parsed array. */
function elementTexts(text: string, elements: unknown[], delimiters: readonly number[]): string[] {
  if (elements.length === 0 || delimiters.length !== elements.length + 1)
    return elements.map((v) => JSON.stringify(v) ?? 'null');
  return elements.map((_, i) => text.slice(delimiters[i]! + 1, delimiters[i + 1]).trim());
}
