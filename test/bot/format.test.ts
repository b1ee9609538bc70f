import { describe, expect, it } from 'vitest';
import {
  alertText,
  helpReply,
  noResultReply,
  queryFailedReply,
  refusalReply,
  statsReply,
  unwatchedReply,
  watchedListReply,
  watchingReply,
} from '../../src/bot/format.js';
import { escapeHtml, fitLines, MAX_MESSAGE_LENGTH, show, truncate, visible } from '../../src/bot/html.js';
import { formatTime } from '../../src/bot/time.js';
import { parseTelegramHtml } from '../support/fake-telegram.js';

const stats = {
  mac: 'a4:83:e7:4e:39:15',
  probeCount: 3,
  firstProbe: '2020-04-22T14:05:39.623Z',
  lastProbe: '2020-04-22T14:05:41.123Z',
  uniqueSsidsProbed: 3,
  ssidsProbed: [null, '', 'RNM0'],
};

/** Every text the bot sends must be one Telegram accepts. */
function expectValidTelegramHtml(text: string) {
  const parsed = parseTelegramHtml(text);
  expect(parsed).not.toHaveProperty('error');
  return (parsed as { text: string }).text;
}

describe('times', () => {
  it('shouldFormatInTheTimeZoneAsYyyyMmDdHhMmSs', () => {
    expect(formatTime('2020-04-22T14:05:39.623Z', 'Europe/London')).toBe('2020-04-22 15:05:39');
    expect(formatTime('2020-01-22T14:05:39.623Z', 'Europe/London')).toBe('2020-01-22 14:05:39');
    expect(formatTime(Date.UTC(2020, 0, 1, 0, 0, 5), 'America/New_York')).toBe('2019-12-31 19:00:05');
    expect(formatTime(Date.UTC(2020, 0, 1, 0, 0, 0), 'UTC')).toBe('2020-01-01 00:00:00');
  });

  it('shouldReturnUndefinedForATimeThatIsNotOne', () => {
    expect(formatTime('yesterday', 'UTC')).toBeUndefined();
  });
});

describe('html', () => {
  it('shouldEscapeAmpersandAngleBracketsAndQuotes', () => {
    expect(escapeHtml('<b>x</b>&"')).toBe('&lt;b&gt;x&lt;/b&gt;&amp;&quot;');
  });

  it('shouldShowControlAndBidiCharactersInsteadOfPassingThemOn', () => {
    expect(visible('a\nb\u202ec\u0000')).toBe('a\\x0ab\\u{202e}c\\x00');
  });

  it('shouldTruncateByCodePointsWithAnEllipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('😀😀😀', 2)).toBe('😀…');
    expect(truncate('abc', 3)).toBe('abc');
    expect(show('<&>'.repeat(10), 4)).toBe('&lt;&amp;&gt;…');
  });

  it('shouldFitLinesUnderTheLimitWithACountOfThoseLeftOut', () => {
    const items = Array.from({ length: 10 }, (_, i) => `item ${i}`);
    expect(fitLines(['head'], items, 1000)).toBe(['head', ...items].join('\n'));
    const cut = fitLines(['head'], items, 40);
    expect(cut.length).toBeLessThanOrEqual(40);
    expect(cut).toBe('head\nitem 0\nitem 1\nitem 2\n… and 7 more');
  });
});

describe('replies', () => {
  it('shouldShowStatsInTheOriginalShapeWithNullAndWildcardNamed', () => {
    const text = statsReply('a4:83:e7:4e:39:15', stats, 'Europe/London');
    expect(text).toBe(
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
    expectValidTelegramHtml(text);
  });

  it('shouldEscapeSsidsAndDeviceNames', () => {
    const text = statsReply('<i>Kitchen</i> & co', { ...stats, ssidsProbed: ['<b>x</b>&'] }, 'UTC');
    expect(text).toContain('📡 Wi-Fi probe stats for <b>&lt;i&gt;Kitchen&lt;/i&gt; &amp; co</b>');
    expect(text).toContain('• &lt;b&gt;x&lt;/b&gt;&amp;');
    expect(expectValidTelegramHtml(text)).toContain('• <b>x</b>&');
  });

  it('shouldKeepAStatsReplyWithThousandsOfSsidsUnderTelegramsLimit', () => {
    const ssids = Array.from({ length: 5000 }, (_, i) => `&&&&&&&&&&-${i}`);
    const text = statsReply(
      'a4:83:e7:4e:39:15',
      { ...stats, uniqueSsidsProbed: 5000, ssidsProbed: ssids },
      'UTC',
    );
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(text).toMatch(/\n… and \d+ more$/);
    expect(text).toContain('Unique SSIDs: 5000');
    const shown = text.split('\n').filter((line) => line.startsWith('• ')).length;
    expect(text.endsWith(`… and ${5000 - shown} more`)).toBe(true);
    expectValidTelegramHtml(text);
  });

  it('shouldSayNoResultForAnUnknownDevice', () => {
    expect(noResultReply('Fridge <3')).toBe('🛎 No result found for device <b>Fridge &lt;3</b>');
  });

  it('shouldSayQueryFailedWithTheStatusCodeAndMessageOnly', () => {
    expect(
      queryFailedReply({ status: 503, apiCode: 'SERVICE_UNAVAILABLE', message: 'restoring <soon>' }),
    ).toBe('❌ Query failed (503 SERVICE_UNAVAILABLE): restoring &lt;soon&gt;');
    expect(
      queryFailedReply({
        status: undefined,
        apiCode: 'UNREACHABLE',
        message: 'the probestream API could not be reached',
      }),
    ).toBe('❌ Query failed (unreachable): the probestream API could not be reached');
    expect(queryFailedReply({ status: undefined, apiCode: 'TIMEOUT', message: 'slow' })).toBe(
      '❌ Query failed (timeout): slow',
    );
  });

  it('shouldWriteAnAlertWithTheDeviceNameOrUnknownDevice', () => {
    const alert = {
      ts: '2020-04-22T14:05:40.000Z',
      mac: 'a4:83:e7:4e:39:15',
      ssid: 'RNM0',
      reason: 'a watched network',
      deviceName: 'Kitchen iPad',
    };
    expect(alertText(alert, 'Europe/London')).toBe(
      '📣 At 2020-04-22 15:05:40 MAC address <code>a4:83:e7:4e:39:15</code> (Kitchen iPad) probed for SSID ' +
        '<b>RNM0</b> — tracked because: a watched network',
    );
    expect(alertText({ ...alert, deviceName: null, ssid: '<b>x</b>&' }, 'UTC')).toBe(
      '📣 At 2020-04-22 14:05:40 MAC address <code>a4:83:e7:4e:39:15</code> (unknown device) probed for SSID ' +
        '<b>&lt;b&gt;x&lt;/b&gt;&amp;</b> — tracked because: a watched network',
    );
  });

  it('shouldKeepTheLongestAlertUnderTelegramsLimit', () => {
    const text = alertText(
      {
        ts: '&'.repeat(100),
        mac: '&'.repeat(100),
        ssid: '&'.repeat(100),
        reason: '&'.repeat(2000),
        deviceName: '&'.repeat(2000),
      },
      'UTC',
    );
    expect(text.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expectValidTelegramHtml(text);
  });

  it('shouldWriteTheWatchTexts', () => {
    expect(watchingReply({ ssid: 'Cafe <Wi-Fi>', reason: 'seen near work' })).toBe(
      '👀 Watching SSID <b>Cafe &lt;Wi-Fi&gt;</b> — tracked because: seen near work',
    );
    expect(unwatchedReply('RNM0')).toBe('🔕 No longer watching SSID <b>RNM0</b>');
    expect(watchedListReply([])).toBe('👀 No SSID is watched. Add one with /watch &lt;ssid&gt; [reason].');
    expect(
      watchedListReply([
        { ssid: 'A&B', reason: 'one' },
        { ssid: 'RNM0', reason: 'two' },
      ]),
    ).toBe('👀 Watched SSIDs (2):\n• <b>A&amp;B</b> — one\n• <b>RNM0</b> — two');
  });

  it('shouldWriteHelpAndRefusalAsValidHtml', () => {
    expect(helpReply('Europe/London')).toContain('Times are shown in Europe/London.');
    expectValidTelegramHtml(helpReply('Europe/London'));
    expect(refusalReply(-1001234)).toBe(
      '🙅 Sorry, this bot only answers the chats it was set up for. ' +
        'Ask its owner to add this chat (id <code>-1001234</code>) to TELEGRAM_ALLOWED_CHAT_IDS.',
    );
  });
});
