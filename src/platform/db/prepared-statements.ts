import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Statements whose text starts with this are prepared once per connection and then only bound and run. */
export const PREPARED_STATEMENT_MARKER = '/* prepared */';

type QueryFn = (text: unknown, ...rest: unknown[]) => unknown;

/**
 * Names the marked statements so pg prepares each once per connection. The bulk writes' text does
 * not depend on the row count (rows travel as one JSON parameter), so a handful of statements cover
 * the whole ingest path, and PostgreSQL stops parsing and planning them for every small transaction.
 */
export function prepareMarkedStatements(client: pg.PoolClient): void {
  const names = new Map<string, string>();
  const target = client as unknown as { query: QueryFn };
  const query = target.query.bind(client) as QueryFn;
  target.query = (text, ...rest) => {
    if (typeof text !== 'string' || !text.startsWith(PREPARED_STATEMENT_MARKER) || !Array.isArray(rest[0]))
      return query(text, ...rest);
    let name = names.get(text);
    if (!name) {
      name = `paylens_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
      names.set(text, name);
    }
    return query({ name, text, values: rest[0] }, ...rest.slice(1));
  };
}
