import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProbestreamApiClient } from '../../src/bot/api-client.js';
import { createProbeBot } from '../../src/bot/bot.js';
import { botConfig } from '../../src/bot/config.js';
import { ProbeBotError } from '../../src/bot/errors.js';
import { type RunningBot, startBot } from '../../src/bot/start-bot.js';
import { lineLogger, silentLogger } from '../../src/logging/index.js';
import { FakeTelegram, parseTelegramHtml } from '../support/fake-telegram.js';
import { FakeProbestreamApi } from './fake-probestream-api.js';

const TOKEN = '7770001:bot-test-token-ABCDEFGHIJKLMNOP';
const ALLOWED = 1001;
const STRANGER = 2002;
const API_TOKEN = 'api-token-for-writes';

const stats = {
  mac: 'a4:83:e7:4e:39:15',
  probeCount: 3,
  firstProbe: '2020-04-22T14:05:39.623Z',
  lastProbe: '2020-04-22T14:05:41.123Z',
  uniqueSsidsProbed: 3,
  ssidsProbed: [null, '', 'RNM0'],
};

describe('the bot, by long polling, against a fake Telegram and a fake API', () => {
  let telegram: FakeTelegram;
  let api: FakeProbestreamApi;
  let bot: RunningBot;
  const lines: string[] = [];

  beforeAll(async () => {
    telegram = await FakeTelegram.start(TOKEN);
    api = await FakeProbestreamApi.start({ token: API_TOKEN });
    bot = await startBot({
      config: {
        token: TOKEN,
        apiRoot: telegram.apiRoot,
        allowedChatIds: String(ALLOWED),
        apiUrl: api.url,
        apiToken: API_TOKEN,
        apiTimeoutMs: 1000,
      },
      logger: lineLogger((line) => lines.push(line)),
    });
  });
  afterEach(() => {
    api.failure = undefined;
  });
  afterAll(async () => {
    await bot.stop();
    await api.close();
    await telegram.close();
  });

  /** Sends `text` from `chatId` and returns the bot's reply. */
  async function ask(chatId: number, text: string): Promise<string> {
    const before = telegram.sent(chatId).length;
    telegram.pushText(chatId, text);
    const sent = await telegram.waitForSent(before + 1, chatId);
    return (sent.at(-1) as { text: string }).text;
  }

  it('shouldStartByLongPollingWithItsCommandList', async () => {
    expect(bot.mode).toBe('polling');
    await telegram.waitFor((calls) => calls.some((call) => call.method === 'getUpdates'));
    const methods = telegram.calls.map((call) => call.method);
    expect(methods).toContain('getMe');
    expect(methods).toContain('deleteWebhook');
    expect(methods).toContain('getUpdates');
    const commands = telegram.calls.find((call) => call.method === 'setMyCommands')?.params.commands;
    expect((commands as { command: string }[]).map((c) => c.command)).toEqual([
      'stats',
      'name',
      'watch',
      'unwatch',
      'watched',
      'help',
    ]);
  });

  it('shouldLookUpAMacInAnySpellingByMac', async () => {
    api.byMac.set(stats.mac, stats);
    const reply = await ask(ALLOWED, 'A4-83-E7-4E-39-15');
    expect(reply).toBe(
      [
        '📡 Wi-Fi probe stats for <b>a4:83:e7:4e:39:15</b>',
        'Earliest probe: 2020-04-22 15:05:39',
        'Latest probe: 2020-04-22 15:05:41',
        'Probe count: 3',
        'Unique SSIDs: 3',
        '• <i>(none)</i>',
        '• <i>(wildcard)</i>',
        '• RNM0',
      ].join('\n'),
    );
    expect(api.requests.at(-1)?.path).toBe('/devices/a4%3A83%3Ae7%3A4e%3A39%3A15/stats');
    expect(telegram.calls.at(-1)?.params).toMatchObject({ parse_mode: 'HTML', chat_id: ALLOWED });
  });

  it('shouldLookUpAnythingElseByNameWithStatsOrPlainText', async () => {
    api.byName.set('Kitchen iPad', { ...stats, name: 'Kitchen iPad', probeCount: 7 });
    const reply = await ask(ALLOWED, '/stats Kitchen iPad');
    expect(reply.split('\n').slice(0, 4)).toEqual([
      '📡 Wi-Fi probe stats for <b>Kitchen iPad</b>',
      'Earliest probe: 2020-04-22 15:05:39',
      'Latest probe: 2020-04-22 15:05:41',
      'Probe count: 7',
    ]);
    expect(await ask(ALLOWED, 'Kitchen iPad')).toBe(reply);
    expect(api.requests.at(-1)?.path).toBe('/devices/by-name/Kitchen%20iPad/stats');
  });

  it('shouldNameTheDeviceOfAMacWhenTheTableKnowsIt', async () => {
    api.byMac.set('02:00:00:00:00:02', { ...stats, mac: '02:00:00:00:00:02', deviceName: '<i>Hall</i> TV' });
    const reply = await ask(ALLOWED, '02:00:00:00:00:02');
    expect(reply.split('\n')[0]).toBe(
      '📡 Wi-Fi probe stats for <b>02:00:00:00:00:02</b> (&lt;i&gt;Hall&lt;/i&gt; TV)',
    );
  });

  it('shouldShowTheNameAsTheTableWritesItWhenTypedInAnotherCase', async () => {
    api.byName.set('kitchen ipad', { ...stats, name: 'Kitchen iPad', probeCount: 7 });
    expect((await ask(ALLOWED, 'kitchen ipad')).split('\n')[0]).toBe(
      '📡 Wi-Fi probe stats for <b>Kitchen iPad</b>',
    );
    api.byName.delete('kitchen ipad');
  });

  it('shouldOfferCloseNamesAsButtonsWhenNothingMatches', async () => {
    api.suggestions = ['Samsung A53 (Galaxy-A53)', 'Samsung <Tab>', '/start', 'a4:83:e7:4e:39:15'];
    try {
      expect(await ask(ALLOWED, 'Samsung A53')).toBe(
        [
          '🛎 No result found for device <b>Samsung A53</b>',
          'Did you mean:',
          '• Samsung A53 (Galaxy-A53)',
          '• Samsung &lt;Tab&gt;',
          '• /start',
          '• a4:83:e7:4e:39:15',
        ].join('\n'),
      );
      // Each button sends its name as a message; a name that would read as a command or a MAC gets none.
      expect(telegram.calls.at(-1)?.params.reply_markup).toEqual({
        keyboard: [[{ text: 'Samsung A53 (Galaxy-A53)' }], [{ text: 'Samsung <Tab>' }]],
        one_time_keyboard: true,
        resize_keyboard: true,
      });
    } finally {
      api.suggestions = [];
    }
  });

  it('shouldNameADeviceForAnAllowedChat', async () => {
    expect(await ask(ALLOWED, '/name A4-83-E7-4E-39-15 Kitchen <iPad>')).toBe(
      '🏷 <code>a4:83:e7:4e:39:15</code> is now named <b>Kitchen &lt;iPad&gt;</b>',
    );
    expect(api.names.get('a4:83:e7:4e:39:15')).toBe('Kitchen <iPad>');
    expect(api.requests.at(-1)?.authorization).toBe(`Bearer ${API_TOKEN}`);
    expect(await ask(ALLOWED, '/name Kitchen iPad')).toBe(
      'Usage: /name &lt;mac&gt; &lt;name&gt;, e.g. /name a4:83:e7:4e:39:15 Kitchen iPad',
    );
    expect(await ask(ALLOWED, '/name a4:83:e7:4e:39:15')).toContain('Usage: /name');
    expect(await ask(STRANGER, '/name a4:83:e7:4e:39:15 Mine')).toContain('🙅 Sorry');
    expect(api.names.size).toBe(1);
  });

  it('shouldSayNoResultForAnUnknownDevice', async () => {
    expect(await ask(ALLOWED, 'Fridge <3')).toBe('🛎 No result found for device <b>Fridge &lt;3</b>');
    expect(await ask(ALLOWED, '/stats 00:11:22:33:44:55')).toBe(
      '🛎 No result found for device <b>00:11:22:33:44:55</b>',
    );
  });

  it('shouldSayQueryFailedWhenTheApiFails', async () => {
    api.failure = { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'a partition is restoring' };
    expect(await ask(ALLOWED, 'Kitchen iPad')).toBe(
      '❌ Query failed (503 SERVICE_UNAVAILABLE): a partition is restoring',
    );
  });

  it('shouldEscapeAnSsidThatIsHtml', async () => {
    api.byMac.set('02:00:00:00:00:01', { ...stats, mac: '02:00:00:00:00:01', ssidsProbed: ['<b>x</b>&'] });
    const reply = await ask(ALLOWED, '02:00:00:00:00:01');
    expect(reply.split('\n').at(-1)).toBe('• &lt;b&gt;x&lt;/b&gt;&amp;');
    // Telegram accepted it, and shows the SSID as it was broadcast.
    expect(telegram.calls.at(-1)?.status).toBe(200);
    expect(parseTelegramHtml(reply)).toEqual({ text: expect.stringMatching(/\n• <b>x<\/b>&$/) });
  });

  it('shouldRefuseAChatNotOnTheAllowListWithoutAskingTheApi', async () => {
    const requests = api.requests.length;
    expect(await ask(STRANGER, 'a4:83:e7:4e:39:15')).toBe(
      '🙅 Sorry, this bot only answers the chats it was set up for. ' +
        `Ask its owner to add this chat (id <code>${STRANGER}</code>) to TELEGRAM_ALLOWED_CHAT_IDS.`,
    );
    expect(await ask(STRANGER, '/watched')).toContain('🙅 Sorry');
    expect(api.requests.length).toBe(requests);
  });

  it('shouldManageTheAlertListWithTheApiToken', async () => {
    expect(await ask(ALLOWED, '/watched')).toBe(
      '👀 No SSID is watched. Add one with /watch &lt;ssid&gt; [reason].',
    );
    expect(await ask(ALLOWED, '/watch "Cafe Wi-Fi" seen near work')).toBe(
      '👀 Watching SSID <b>Cafe Wi-Fi</b> — tracked because: seen near work',
    );
    expect(await ask(ALLOWED, '/watch RNM0')).toBe(
      '👀 Watching SSID <b>RNM0</b> — tracked because: added in Telegram by @ada',
    );
    expect(await ask(ALLOWED, '/watched')).toBe(
      '👀 Watched SSIDs (2):\n• <b>Cafe Wi-Fi</b> — seen near work\n• <b>RNM0</b> — added in Telegram by @ada',
    );
    expect(await ask(ALLOWED, '/unwatch "Cafe Wi-Fi"')).toBe('🔕 No longer watching SSID <b>Cafe Wi-Fi</b>');
    expect([...api.alerts.keys()]).toEqual(['RNM0']);
    const writes = api.requests.filter((r) => r.method !== 'GET');
    expect(writes.every((r) => r.authorization === `Bearer ${API_TOKEN}`)).toBe(true);
  });

  it('shouldSaySoWhenAskedToUnwatchAnSsidThatIsNotWatched', async () => {
    api.alerts.set('RNM0', 'watched in a test');
    const before = api.requests.length;
    expect(await ask(ALLOWED, '/unwatch nothere')).toBe(
      '🤷 SSID <b>nothere</b> is not watched, so nothing changed. /watched lists the watched SSIDs.',
    );
    expect(api.requests.slice(before).map((r) => r.method)).toEqual(['GET']);
    expect([...api.alerts.keys()]).toEqual(['RNM0']);
    api.alerts.clear();
  });

  it('shouldExplainUsageHelpAndUnknownCommands', async () => {
    expect(await ask(ALLOWED, '/watch')).toContain('Usage: /watch &lt;ssid&gt; [reason]');
    expect(await ask(ALLOWED, '/unwatch')).toContain('Usage: /unwatch');
    expect(await ask(ALLOWED, '/stats')).toContain('Usage: /stats');
    expect(await ask(ALLOWED, '/help')).toContain('/watch &lt;ssid&gt; [reason]');
    expect(await ask(ALLOWED, '/start')).toContain('📡 <b>probestream</b>');
    expect(await ask(ALLOWED, '/frobnicate')).toBe('🤷 Unknown command. Send /help for the list.');
  });

  it('shouldNeverLogTheToken', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain(TOKEN.split(':')[1]);
  });
});

describe('the bot when things go wrong', () => {
  it('shouldAnswerNoOneWithAnEmptyAllowList', async () => {
    const telegram = await FakeTelegram.start(TOKEN);
    const api = await FakeProbestreamApi.start();
    const bot = await startBot({
      config: { token: TOKEN, apiRoot: telegram.apiRoot, apiUrl: api.url },
      logger: silentLogger,
    });
    try {
      telegram.pushText(ALLOWED, 'a4:83:e7:4e:39:15');
      const [reply] = await telegram.waitForSent(1);
      expect(reply?.text).toContain('🙅 Sorry');
      expect(api.requests).toHaveLength(0);
    } finally {
      await bot.stop();
      await api.close();
      await telegram.close();
    }
  });

  it('shouldSayQueryFailedWhenTheApiIsDown', async () => {
    const telegram = await FakeTelegram.start(TOKEN);
    const api = await FakeProbestreamApi.start();
    const url = api.url;
    await api.close();
    const bot = await startBot({
      config: { token: TOKEN, apiRoot: telegram.apiRoot, apiUrl: url, allowedChatIds: [ALLOWED] },
      logger: silentLogger,
    });
    try {
      telegram.pushText(ALLOWED, 'Kitchen iPad');
      const [reply] = await telegram.waitForSent(1);
      expect(reply?.text).toBe(
        `❌ Query failed (unreachable): the probestream API at ${url} could not be reached`,
      );
    } finally {
      await bot.stop();
      await telegram.close();
    }
  });

  it('shouldAnswerAFailingHandlerWithQueryFailedAndNoStack', async () => {
    const telegram = await FakeTelegram.start(TOKEN);
    const lines: string[] = [];
    const config = botConfig({ token: TOKEN, apiRoot: telegram.apiRoot, allowedChatIds: [ALLOWED] });
    const broken = new ProbestreamApiClient({ apiUrl: 'http://127.0.0.1:1' });
    broken.statsByName = () => Promise.reject(new TypeError(`boom at https://x/bot${TOKEN}/y`));
    const bot = createProbeBot({
      config,
      api: broken,
      logger: lineLogger((line) => lines.push(line)).child('bot'),
    });
    await bot.init();
    try {
      await bot.handleUpdate(telegram.textUpdate(ALLOWED, 'Kitchen iPad') as never);
      const [reply] = await telegram.waitForSent(1);
      expect(reply?.text).toBe("❌ Query failed (internal error): the details are in the bot's log.");
      expect(lines.join('\n')).toContain('TypeError: boom at https://x/bot<token>/y');
      for (const line of lines) expect(line).not.toContain(TOKEN);
    } finally {
      await telegram.close();
    }
  });

  it('shouldFailToStartWithATokenTelegramRefusesWithoutShowingIt', async () => {
    const telegram = await FakeTelegram.start('1:another-token-entirely-xxxxxxxx');
    const lines: string[] = [];
    try {
      const error = await startBot({
        config: { token: TOKEN, apiRoot: telegram.apiRoot },
        logger: lineLogger((line) => lines.push(line)),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProbeBotError);
      expect((error as ProbeBotError).code).toBe('TELEGRAM_FAILED');
      expect((error as Error).message).toContain('401');
      expect((error as Error).message).not.toContain(TOKEN);
      for (const line of lines) expect(line).not.toContain(TOKEN);
    } finally {
      await telegram.close();
    }
  });

  it('shouldStopPollingAndConfirmTheLastUpdate', async () => {
    const telegram = await FakeTelegram.start(TOKEN);
    const bot = await startBot({
      config: { token: TOKEN, apiRoot: telegram.apiRoot, allowedChatIds: [ALLOWED] },
      logger: silentLogger,
    });
    telegram.pushText(ALLOWED, '/help');
    await telegram.waitForSent(1);
    await bot.stop();
    await bot.stop();
    const lastPoll = telegram.calls.filter((call) => call.method === 'getUpdates').at(-1);
    expect(Number(lastPoll?.params.offset)).toBeGreaterThan(1);
    const polls = telegram.calls.filter((c) => c.method === 'getUpdates').length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(telegram.calls.filter((c) => c.method === 'getUpdates').length).toBe(polls);
    await telegram.close();
  });
});
