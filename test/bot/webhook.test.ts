import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBot, startBot } from '../../src/bot/start-bot.js';
import { silentLogger } from '../../src/logging/index.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { FakeProbestreamApi } from './fake-probestream-api.js';

const TOKEN = '8880001:webhook-test-token-ABCDEFGHIJ';
const SECRET = 'hook_Secret-123';
const ALLOWED = 31337;

describe('the bot in webhook mode', () => {
  let telegram: FakeTelegram;
  let api: FakeProbestreamApi;
  let bot: RunningBot;
  let endpoint: string;

  beforeAll(async () => {
    telegram = await FakeTelegram.start(TOKEN);
    api = await FakeProbestreamApi.start();
    bot = await startBot({
      config: {
        token: TOKEN,
        apiRoot: telegram.apiRoot,
        allowedChatIds: [ALLOWED],
        apiUrl: api.url,
        webhookUrl: 'https://bot.example.org/telegram/hook',
        webhookSecret: SECRET,
        webhookHost: '127.0.0.1',
        webhookPort: 0,
      },
      logger: silentLogger,
    });
    endpoint = `http://127.0.0.1:${bot.webhookPort}/telegram/hook`;
  });
  afterAll(async () => {
    await bot.stop();
    await api.close();
    await telegram.close();
  });

  const post = (update: unknown, headers: Record<string, string> = {}, url = endpoint) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(update),
    });

  it('shouldSetTheWebhookWithTheSecretAndNotPoll', () => {
    expect(bot.mode).toBe('webhook');
    expect(telegram.webhook).toEqual({ url: 'https://bot.example.org/telegram/hook', secret: SECRET });
    const setWebhook = telegram.calls.find((call) => call.method === 'setWebhook');
    expect(setWebhook?.params.allowed_updates).toEqual(['message']);
    expect(telegram.calls.some((call) => call.method === 'getUpdates')).toBe(false);
  });

  it('shouldRefuseAnUpdateWithoutTheSecretWith403', async () => {
    const response = await post(telegram.textUpdate(ALLOWED, '/help'));
    expect(response.status).toBe(403);
    const wrong = await post(telegram.textUpdate(ALLOWED, '/help'), {
      'x-telegram-bot-api-secret-token': 'guess',
    });
    expect(wrong.status).toBe(403);
    const almost = await post(telegram.textUpdate(ALLOWED, '/help'), {
      'x-telegram-bot-api-secret-token': `${SECRET}x`,
    });
    expect(almost.status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(telegram.sent()).toHaveLength(0);
  });

  it('shouldHandleAnUpdateWithTheRightSecret', async () => {
    api.byName.set('Kitchen iPad', {
      name: 'Kitchen iPad',
      probeCount: 1,
      firstProbe: '2020-01-01T00:00:00.000Z',
      lastProbe: '2020-01-01T00:00:00.000Z',
      uniqueSsidsProbed: 1,
      ssidsProbed: ['<b>x</b>&'],
    });
    const response = await post(telegram.textUpdate(ALLOWED, 'Kitchen iPad'), {
      'x-telegram-bot-api-secret-token': SECRET,
    });
    expect(response.status).toBe(200);
    const [reply] = await telegram.waitForSent(1, ALLOWED);
    expect(reply?.text).toBe(
      [
        '📡 Wi-Fi probe stats for <b>Kitchen iPad</b>',
        'Earliest probe: 2020-01-01 00:00:00',
        'Latest probe: 2020-01-01 00:00:00',
        'Probe count: 1',
        'Unique SSIDs: 1',
        '• &lt;b&gt;x&lt;/b&gt;&amp;',
      ].join('\n'),
    );
  });

  it('shouldRefuseOtherPathsAndMethods', async () => {
    const other = await post(
      {},
      { 'x-telegram-bot-api-secret-token': SECRET },
      `http://127.0.0.1:${bot.webhookPort}/`,
    );
    expect(other.status).toBe(404);
    const get = await fetch(endpoint);
    expect(get.status).toBe(405);
  });

  it('shouldAnswerA400ForABodyThatIsNotJsonAndKeepServing', async () => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'x-telegram-bot-api-secret-token': SECRET },
      body: '{not json',
    });
    expect(response.status).toBe(400);
    const ok = await post(telegram.textUpdate(ALLOWED, '/help'), {
      'x-telegram-bot-api-secret-token': SECRET,
    });
    expect(ok.status).toBe(200);
  });
});
