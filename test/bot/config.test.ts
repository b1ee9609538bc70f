import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BOT_CONFIG_DOCS, botConfig, isBotConfig } from '../../src/bot/config.js';
import { describeError, ProbeBotError, redactToken } from '../../src/bot/errors.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

function invalid(input: Record<string, unknown>): ProbeBotError {
  try {
    botConfig({ token: TOKEN, ...input } as never);
  } catch (error) {
    expect(error).toBeInstanceOf(ProbeBotError);
    expect((error as ProbeBotError).code).toBe('INVALID_CONFIG');
    expect((error as Error).message).not.toContain(TOKEN);
    return error as ProbeBotError;
  }
  throw new Error('expected INVALID_CONFIG');
}

describe('botConfig', () => {
  it('shouldFillInTheDefaults', () => {
    const config = botConfig({ token: TOKEN });
    expect({ ...config }).toEqual({
      apiRoot: 'https://api.telegram.org',
      allowedChatIds: [],
      alertChatIds: [],
      webhookUrl: undefined,
      webhookHost: '0.0.0.0',
      webhookPort: 8443,
      apiUrl: 'http://127.0.0.1:8080',
      apiTimeoutMs: 5000,
      timezone: 'Europe/London',
      alertsTopic: 'alerts',
      alertsGroupId: 'probestream-bot-alerts',
      maxBackoffMs: 30_000,
    });
    expect(config.token).toBe(TOKEN);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.allowedChatIds)).toBe(true);
    expect(isBotConfig(config)).toBe(true);
    expect(isBotConfig({ ...config })).toBe(false);
  });

  it('shouldReadChatIdsFromTextOrLists', () => {
    const config = botConfig({
      token: TOKEN,
      allowedChatIds: ' 42, -1001234567890 ,42',
      alertChatIds: [7, '-8'],
    });
    expect(config.allowedChatIds).toEqual([42, -1001234567890]);
    expect(config.alertChatIds).toEqual([7, -8]);
  });

  it('shouldDeriveTheAlertsGroupFromTheApplicationId', () => {
    expect(botConfig({ token: TOKEN, applicationId: 'wifi' }).alertsGroupId).toBe('wifi-bot-alerts');
    expect(botConfig({ token: TOKEN, applicationId: 'wifi', alertsGroupId: 'g' }).alertsGroupId).toBe('g');
  });

  it('shouldTakeTheWebhookPortFromTheUrlUnlessGiven', () => {
    const base = { token: TOKEN, webhookSecret: 's3cret' };
    expect(botConfig({ ...base, webhookUrl: 'https://bot.example/tg' }).webhookPort).toBe(8443);
    expect(botConfig({ ...base, webhookUrl: 'https://bot.example:88/tg' }).webhookPort).toBe(88);
    expect(
      botConfig({ ...base, webhookUrl: 'https://bot.example:88/tg', webhookPort: 9000 }).webhookPort,
    ).toBe(9000);
  });

  it('shouldKeepSecretsOutOfJsonAndInspect', () => {
    const config = botConfig({
      token: TOKEN,
      apiToken: 'api-secret',
      webhookUrl: 'https://x.example/t',
      webhookSecret: 'hook_secret',
    });
    for (const text of [JSON.stringify(config), inspect(config, { depth: 5 }), String(Object.keys(config))]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('api-secret');
      expect(text).not.toContain('hook_secret');
    }
    expect(config.apiToken).toBe('api-secret');
    expect(config.webhookSecret).toBe('hook_secret');
  });

  it('shouldRefuseBadSettingsNamingTheSettingButNotTheToken', () => {
    expect(invalid({ token: 'nope' }).message).toContain('token');
    expect(invalid({ allowedChatIds: '42,abc' }).message).toContain('allowedChatIds: "abc"');
    expect(invalid({ alertChatIds: [1.5] }).message).toContain('alertChatIds');
    expect(invalid({ timezone: 'Mars/Olympus' }).message).toContain('Mars/Olympus');
    expect(invalid({ apiUrl: 'ftp://x' }).message).toContain('apiUrl');
    expect(invalid({ apiRoot: 'https://api.example/' }).message).toContain('trailing');
    expect(invalid({ webhookUrl: 'https://x.example/t' }).message).toContain('webhookSecret: required');
    expect(invalid({ webhookUrl: 'https://x.example/t', webhookSecret: 'has space' }).message).toContain(
      'webhookSecret',
    );
    expect(invalid({ apiTimeoutMs: 0 }).message).toContain('apiTimeoutMs');
    expect(invalid({ tokn: 'typo' }).message).toContain('unknown bot setting "tokn"');
  });

  it('shouldDocumentEverySetting', () => {
    for (const doc of Object.values(BOT_CONFIG_DOCS)) expect(doc.length).toBeGreaterThan(10);
  });
});

describe('redaction', () => {
  it('shouldTakeTheTokenOutOfTextAndUrls', () => {
    expect(redactToken(`GET https://api.telegram.org/bot${TOKEN}/getMe failed`, TOKEN)).toBe(
      'GET https://api.telegram.org/bot<token>/getMe failed',
    );
    // A token-shaped string is removed even when it is not the configured one.
    expect(redactToken('bot987654:ABCDEFGHIJKLMNOPQRSTUVWXYZ_-/x', undefined)).toBe('bot<token>/x');
  });

  it('shouldDescribeAnErrorAndItsCausesWithoutTheToken', () => {
    const error = new Error('outer', { cause: new TypeError(`fetch https://t/bot${TOKEN}/sendMessage`) });
    const line = describeError(error, TOKEN);
    expect(line).toBe('Error: outer <- TypeError: fetch https://t/bot<token>/sendMessage');
    expect(line).not.toContain('\n    at ');
  });
});
