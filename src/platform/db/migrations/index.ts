import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './001_foundation.js';

/**
 * Migrations are imported statically so they run identically from TypeScript sources, the compiled
 * build and the tests; add new ones at the end, never rename or edit a shipped one.
 */
const migrations: Record<string, Migration> = {
  '001_foundation': m001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
