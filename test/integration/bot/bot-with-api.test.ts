import { afterAll, describe, expect, it } from 'vitest';
import { startBot } from '../../../src/bot/start-bot.js';
import { lineLogger } from '../../../src/logging/index.js';
import { type DeviceRecord, deviceSerde } from '../../../src/probes/schemas.js';
import { pcapValueOf } from '../../../src/probes/serdes.js';
import { FakeTelegram } from '../../support/fake-telegram.js';
import { uniqueName } from '../../support/kafka.js';
import { startTestProbeApp, uniqueProbeTopics } from '../../support/probe-app.js';
import { eventually, useStreamsTestContext } from '../../support/streams.js';

const TOKEN = '4440001:end-to-end-token-ABCDEFGHIJKL';
const API_TOKEN = 'e2e-api-token';
const CHAT = 6060;
const MAC = 'a4:83:e7:4e:39:15';
/** 2020-04-22T14:05:40.123Z: 15:05:40 in London (BST). */
const T0 = 1_587_564_340_123;
const SSID = '<b>x</b>&';

describe('the bot against a real probestream API and the real broker', () => {
  const context = useStreamsTestContext();
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('shouldAnswerLookupsManageTheAlertListAndDeliverTheAlertItRaises', async () => {
    const topics = uniqueProbeTopics();
    const { app, url: apiUrl } = await startTestProbeApp(context.kafka, {
      topics,
      applicationId: uniqueName('bot-e2e'),
      apiToken: API_TOKEN,
    });
    closers.push(() => app.close());
    await eventually(
      () => app.streams.isReady(),
      (ready) => ready,
    );

    const producer = context.kafka.producer();
    await producer.connect();
    closers.push(() => producer.disconnect());
    const device: DeviceRecord = {
      mac: MAC,
      source: 'user',
      name: 'Kitchen iPad',
      ip: null,
      model: null,
      type: null,
      is_guest: false,
    };
    await producer.send({
      topic: topics.devices,
      messages: [{ key: MAC, value: deviceSerde().serialize(device) }],
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const probe = (ssid: string | null, offsetMs: number) => ({
      key: null,
      value: JSON.stringify(pcapValueOf({ mac: MAC, ssid, timestamp: T0 + offsetMs, signalDbm: -60 })),
    });
    await producer.send({
      topic: topics.pcap,
      messages: [probe('RNM0', 0), probe(null, 500), probe('', 1500)],
    });
    // Stats by name follow the per-MAC stats through a regrouping: wait for all three probes there.
    await eventually(
      async () => {
        const response = await fetch(`${apiUrl}/devices/by-name/Kitchen%20iPad/stats`);
        return response.status === 200 ? ((await response.json()) as { probeCount: number }).probeCount : 0;
      },
      (count) => count === 3,
    );

    const telegram = await FakeTelegram.start(TOKEN);
    closers.push(() => telegram.close());
    const lines: string[] = [];
    const bot = await startBot({
      config: {
        token: TOKEN,
        apiRoot: telegram.apiRoot,
        allowedChatIds: [CHAT],
        alertChatIds: [CHAT],
        apiUrl,
        apiToken: API_TOKEN,
        alertsTopic: topics.alerts,
        alertsGroupId: uniqueName('bot-alerts'),
      },
      kafka: context.kafka,
      alertsFromBeginning: true,
      logger: lineLogger((line) => lines.push(line)),
      metricsRegistry: app.extraMetrics,
    });
    closers.push(() => bot.stop());

    const ask = async (text: string) => {
      const before = telegram.sent(CHAT).length;
      telegram.pushText(CHAT, text);
      return ((await telegram.waitForSent(before + 1, CHAT)).at(-1) as { text: string }).text;
    };
    const figures = [
      'Earliest probe: 2020-04-22 15:05:40',
      'Latest probe: 2020-04-22 15:05:41',
      'Probe count: 3',
      'Unique SSIDs: 3',
      '• <i>(none)</i>',
      '• <i>(wildcard)</i>',
      '• RNM0',
    ];
    expect(await ask('A4:83:E7:4E:39:15')).toBe(
      ['📡 Wi-Fi probe stats for <b>a4:83:e7:4e:39:15</b> (Kitchen iPad)', ...figures].join('\n'),
    );
    expect(await ask('/stats Kitchen iPad')).toBe(
      ['📡 Wi-Fi probe stats for <b>Kitchen iPad</b>', ...figures].join('\n'),
    );
    expect(await ask('kitchen IPAD')).toBe(
      ['📡 Wi-Fi probe stats for <b>Kitchen iPad</b>', ...figures].join('\n'),
    );
    expect(await ask('Kitchn iPad')).toBe(
      '🛎 No result found for device <b>Kitchn iPad</b>\nDid you mean:\n• Kitchen iPad',
    );
    expect(telegram.calls.at(-1)?.params.reply_markup).toMatchObject({
      keyboard: [[{ text: 'Kitchen iPad' }]],
    });
    expect(await ask('02:00:00:00:00:99')).toBe('🛎 No result found for device <b>02:00:00:00:00:99</b>');
    expect(await ask('Nobody')).toBe('🛎 No result found for device <b>Nobody</b>');

    // A name given in the chat goes to the devices table, in the CDC's shape, and every probe after it counts.
    expect(await ask('/name 02:00:00:00:00:77 Hall <TV>')).toBe(
      '🏷 <code>02:00:00:00:00:77</code> is now named <b>Hall &lt;TV&gt;</b>',
    );
    await eventually(
      async () => (await fetch(`${apiUrl}/names?prefix=hall`)).json(),
      (body) =>
        JSON.stringify(body) ===
        JSON.stringify({ names: [{ name: 'Hall <TV>', macs: ['02:00:00:00:00:77'] }], nextCursor: null }),
    );
    await producer.send({
      topic: topics.pcap,
      messages: [
        {
          key: null,
          value: JSON.stringify(
            pcapValueOf({ mac: '02:00:00:00:00:77', ssid: 'RNM0', timestamp: T0, signalDbm: -60 }),
          ),
        },
      ],
    });
    await eventually(
      async () =>
        (await (await fetch(`${apiUrl}/devices/by-name/HALL%20%3Ctv%3E/stats`)).json()) as {
          name?: string;
          probeCount?: number;
        },
      (body) => body.name === 'Hall <TV>' && body.probeCount === 1,
    );
    const byMac = await (await fetch(`${apiUrl}/devices/02:00:00:00:00:77/stats`)).json();
    expect(byMac).toMatchObject({ mac: '02:00:00:00:00:77', deviceName: 'Hall <TV>', probeCount: 1 });

    expect(await ask(`/watch ${SSID} seen at the office`)).toBe(
      '👀 Watching SSID <b>&lt;b&gt;x&lt;/b&gt;&amp;</b> — tracked because: seen at the office',
    );
    // The list is read from the table the topology keeps: it follows the write shortly.
    await eventually(
      () => ask('/watched'),
      (reply) => reply === '👀 Watched SSIDs (1):\n• <b>&lt;b&gt;x&lt;/b&gt;&amp;</b> — seen at the office',
    );

    await producer.send({ topic: topics.pcap, messages: [probe(SSID, 60_000)] });
    const alert = await eventually(
      () => telegram.sent(CHAT).find((m) => m.text.startsWith('📣')),
      (found) => found !== undefined,
    );
    expect(alert?.text).toBe(
      '📣 At 2020-04-22 15:06:40 MAC address <code>a4:83:e7:4e:39:15</code> (Kitchen iPad) probed for SSID ' +
        '<b>&lt;b&gt;x&lt;/b&gt;&amp;</b> — tracked because: seen at the office',
    );
    // The notifier's counters are served with the instance's metrics.
    const metrics = await (await fetch(`${apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/^probestream_bot_alerts_sent_total\S* 1$/m);

    expect(await ask(`/unwatch ${SSID}`)).toBe('🔕 No longer watching SSID <b>&lt;b&gt;x&lt;/b&gt;&amp;</b>');
    await eventually(
      () => ask('/watched'),
      (reply) => reply.startsWith('👀 No SSID is watched.'),
    );
    for (const line of lines) expect(line).not.toContain(TOKEN);
  });
});
