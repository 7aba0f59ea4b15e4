import { AppError } from '../../platform/errors/app-error.js';

export type PayloadFormat = 'json';

/** One body may carry one event (a JSON object) or several (later: NDJSON, CSV rows, XML lists). */
export interface ParsedBody {
  format: PayloadFormat;
  records: unknown[];
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export function formatOf(contentType: string | undefined): PayloadFormat {
  const type = mediaType(contentType);
  if (type === '' || type === 'application/json' || type === 'text/json' || type.endsWith('+json')) return 'json';
  throw new AppError('unsupported_media_type', `Content-Type ${type} is not supported; send application/json`);
}

export function parseJson(text: string): unknown {
  if (text.trim() === '') throw new AppError('invalid_json', 'The body is empty');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('invalid_json', error instanceof Error ? error.message : 'The body is not valid JSON');
  }
}

export function parseBody(text: string, contentType: string | undefined): ParsedBody {
  const format = formatOf(contentType);
  const value = parseJson(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('validation_failed', 'The body must be a JSON object holding one provider event', {
      errors: [{ field: 'body', message: 'expected a JSON object' }],
    });
  }
  return { format, records: [value] };
}
