import { describe, expect, it } from 'vitest';
import type { SettingsRepository } from '../../platform/db/settings.repository.js';
import { ENCRYPTION_KEY_SETTING, EncryptionKeyProvider } from './encryption-key.js';
import { SecretBox } from './secret-box.js';

function fakeSettings() {
  const values = new Map<string, string>();
  let writes = 0;
  const repo = {
    get: async (key: string) => values.get(key) ?? null,
    getOrCreate: async (key: string, value: string) => {
      writes++;
      if (!values.has(key)) values.set(key, value);
      return values.get(key)!;
    },
  } as unknown as SettingsRepository;
  return { repo, values, writes: () => writes };
}

function fakeLogger() {
  const warnings: string[] = [];
  return {
    logger: {
      warn: (_details: object, message: string) => {
        warnings.push(message);
      },
    },
    warnings,
  };
}

describe('EncryptionKeyProvider', () => {
  it('uses the configured key and touches neither the settings nor the log', async () => {
    const settings = fakeSettings();
    const { logger, warnings } = fakeLogger();
    const hex = 'a1'.repeat(32);
    const box = await new EncryptionKeyProvider({
      configuredKey: hex,
      embedded: false,
      settings: settings.repo,
      logger,
    }).box();
    expect(SecretBox.fromHex(hex).decrypt(box!.encrypt('s', 'aad'), 'aad')).toBe('s');
    expect(settings.writes()).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('embedded without a key: generates one once, stores it, and warns', async () => {
    const settings = fakeSettings();
    const { logger, warnings } = fakeLogger();
    const provider = new EncryptionKeyProvider({
      configuredKey: undefined,
      embedded: true,
      settings: settings.repo,
      logger,
    });
    const [a, b] = await Promise.all([provider.box(), provider.box()]);
    expect(a).toBe(b);
    expect(settings.writes()).toBe(1);
    expect(settings.values.get(ENCRYPTION_KEY_SETTING)).toMatch(/^[0-9a-f]{64}$/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('PAYLENS_ENCRYPTION_KEY');
    // A restart finds the stored key: what was encrypted before still decrypts.
    const envelope = a!.encrypt('whsec_1', 'row');
    const restarted = await new EncryptionKeyProvider({
      configuredKey: undefined,
      embedded: true,
      settings: settings.repo,
      logger,
    }).box();
    expect(restarted!.decrypt(envelope, 'row')).toBe('whsec_1');
  });

  it('with PostgreSQL and no key: no key at all, and nothing is generated', async () => {
    const settings = fakeSettings();
    const { logger } = fakeLogger();
    expect(
      await new EncryptionKeyProvider({
        configuredKey: undefined,
        embedded: false,
        settings: settings.repo,
        logger,
      }).box(),
    ).toBeNull();
    expect(settings.writes()).toBe(0);
  });
});
