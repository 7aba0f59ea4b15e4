import { AppError } from '../../platform/errors/app-error.js';
import { parseCsv } from './formats/csv.format.js';
import { parseJson, parseJsonSequence } from './formats/json.format.js';
import { parseNdjson } from './formats/ndjson.format.js';
import { assertJsonNesting, assertStorableText, assertXmlNesting } from './formats/nesting.js';
import { parseXml } from './formats/xml.format.js';

export { parseJson } from './formats/json.format.js';

export const payloadFormats = ['json', 'ndjson', 'csv', 'xml'] as const;
export type PayloadFormat = (typeof payloadFormats)[number];

/** The content type each format's records are stored under. */
export const formatContentTypes: Record<PayloadFormat, string> = {
  json: 'application/json',
  ndjson: 'application/json',
  csv: 'text/csv',
  xml: 'application/xml',
};

/**
 * One body may carry one event (a JSON object, an XML document) or several (NDJSON lines, CSV
 * rows, an XML list, a JSON array for batches). `texts[i]` is record i's own text, stored as its
 * raw event; `multi` says whether the body is a list even when it holds a single record.
 */
export interface ParsedBody {
  format: PayloadFormat;
  records: unknown[];
  texts: string[];
  multi: boolean;
}

export interface ParseOptions {
  /** A top-level JSON array is a list of events (the batch endpoint, file imports). */
  jsonArrays?: boolean;
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const supported = 'application/json, application/x-ndjson, text/csv, application/xml or text/xml';

export function formatOf(contentType: string | undefined): PayloadFormat {
  const type = mediaType(contentType);
  if (type === '' || type === 'application/json' || type === 'text/json' || type.endsWith('+json')) return 'json';
  if (
    type === 'application/x-ndjson' ||
    type === 'application/ndjson' ||
    type === 'application/jsonl' ||
    type === 'application/json-seq' ||
    type === 'application/jsonlines'
  )
    return 'ndjson';
  if (type === 'text/csv' || type === 'application/csv') return 'csv';
  if (type === 'application/xml' || type === 'text/xml' || type.endsWith('+xml')) return 'xml';
  throw new AppError('unsupported_media_type', `Content-Type ${type} is not supported; send ${supported}`);
}

export function parseAs(format: PayloadFormat, text: string, options: ParseOptions = {}): ParsedBody {
  assertStorableText(text, format);
  if (format === 'xml') assertXmlNesting(text);
  const delimiters = format === 'json' || format === 'ndjson' ? assertJsonNesting(text, format) : [];
  switch (format) {
    case 'json':
      return options.jsonArrays
        ? { format, ...parseJsonSequence(text, delimiters) }
        : { format, records: [singleObject(parseJson(text))], texts: [text], multi: false };
    case 'ndjson':
      return { format, ...parseNdjson(text) };
    case 'csv':
      return { format, ...parseCsv(text) };
    case 'xml':
      return { format, ...parseXml(text) };
  }
}

export function parseBody(text: string, contentType: string | undefined, options: ParseOptions = {}): ParsedBody {
  return parseAs(formatOf(contentType), text, options);
}

function singleObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError(
      'validation_failed',
      'The body must be a JSON object holding one provider event (send several to /v1/events/batch or as NDJSON)',
      {
        errors: [{ field: 'body', message: 'expected a JSON object' }],
      },
    );
  }
  return value as Record<string, unknown>;
}
