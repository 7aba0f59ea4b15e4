import { randomBytes } from 'node:crypto';
import type { SettingsRepository } from '../db/settings.repository.js';
import { SecretBox } from './secret-box.js';

export const ENCRYPTION_KEY_SETTING = 'webhook_encryption_key';

export const ENCRYPTION_KEY_MISSING =
  'PAYLENS_ENCRYPTION_KEY is not set. With DATABASE_URL, webhook secrets are encrypted under a key you provide: set PAYLENS_ENCRYPTION_KEY to 64 hex characters (e.g. `openssl rand -hex 32`) on every instance and restart.';

export interface EncryptionKeyDeps {
  configuredKey: string | undefined;
  /** Embedded mode (no DATABASE_URL): one process, one data directory, so the key may live beside the data. */
  embedded: boolean;
  settings: SettingsRepository;
  logger: { warn(details: object, message: string): void };
}

/**
 * Resolves the key once: the configured one, else (embedded only) a key generated on first use and
 * kept in the settings table. With a shared PostgreSQL a generated key would sit in the same database
 * as the ciphertexts it protects, so the operator must provide one.
 */
export class EncryptionKeyProvider {
  private pending: Promise<SecretBox | null> | null = null;

  constructor(private readonly deps: EncryptionKeyDeps) {}

  box(): Promise<SecretBox | null> {
    this.pending ??= this.resolve().catch((error: unknown) => {
      this.pending = null;
      throw error;
    });
    return this.pending;
  }

  private async resolve(): Promise<SecretBox | null> {
    const { configuredKey, embedded, settings, logger } = this.deps;
    if (configuredKey) return SecretBox.fromHex(configuredKey);
    if (!embedded) return null;
    const hex = await settings.getOrCreate(ENCRYPTION_KEY_SETTING, randomBytes(32).toString('hex'));
    logger.warn(
      { setting: ENCRYPTION_KEY_SETTING },
      'PAYLENS_ENCRYPTION_KEY is not set: webhook secrets are encrypted under a key generated for this installation and stored in its database; set PAYLENS_ENCRYPTION_KEY before moving to PostgreSQL',
    );
    return SecretBox.fromHex(hex);
  }
}
