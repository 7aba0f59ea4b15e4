import type { Kysely } from 'kysely';

/**
 * Reads that may lag by the replication delay (lists, analytics) take the replica; a read that must
 * see the caller's own write, such as an event fetched by the id its ingest just returned, takes the
 * replica and, when the row is not there (not replicated yet, or absent), the primary. An absent row
 * costs two reads; a present one, the usual one on the replica. Without a replica both are the primary.
 */
export async function readYourWrites<DB, T>(
  primary: Kysely<DB>,
  replica: Kysely<DB>,
  read: (db: Kysely<DB>) => Promise<T | undefined>,
): Promise<T | undefined> {
  const found = await read(replica);
  if (found !== undefined || replica === primary) return found;
  return read(primary);
}
