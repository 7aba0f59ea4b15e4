import { describe, expect, it } from 'vitest';
import { mergeSettings, REDACTED, splitSettings } from './webhook-settings.js';

describe('webhook settings', () => {
  it('encrypts credential-like names and keeps the rest readable', () => {
    const settings = {
      accessToken: 'APP_USR-1',
      clientSecret: 'cs',
      privateKey: 'pk',
      hmacKey: 'hk',
      apiBaseUrl: 'https://x.test',
      webhookId: 'WH-1',
      certificateSource: 'postback',
    };
    const { readable, sensitive } = splitSettings(settings);
    expect(readable).toEqual({
      accessToken: REDACTED,
      clientSecret: REDACTED,
      privateKey: REDACTED,
      hmacKey: REDACTED,
      apiBaseUrl: 'https://x.test',
      webhookId: 'WH-1',
      certificateSource: 'postback',
    });
    expect(sensitive).toEqual({ accessToken: 'APP_USR-1', clientSecret: 'cs', privateKey: 'pk', hmacKey: 'hk' });
    expect(mergeSettings(readable, sensitive)).toEqual(settings);
  });

  it('has nothing to encrypt when no credential is present', () => {
    expect(splitSettings({ webhookId: 'WH-1', keyId: 'k1' })).toEqual({
      readable: { webhookId: 'WH-1', keyId: 'k1' },
      sensitive: null,
    });
  });
});
