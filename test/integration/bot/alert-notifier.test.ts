import { afterEach, describe, expect, it } from 'vitest';
import { AlertNotifier } from '../../../src/bot/alert-notifier.js';
import { botConfig } from '../../../src/bot/config.js';
import { lineLogger } from '../../../src/logging/index.js';
import type { Alert } from '../../../src/probes/schemas.js';
import { FakeTelegram } from '../../support/fake-telegram.js';
import { uniqueName } from '../../support/kafka.js';
import { createTopics, eventually, useStreamsTestContext } from '../../support/streams.js';

const TOKEN = '9990001:notifier-test-token-ABCDEFGHIJ';
const CHAT = 5151;
const OTHER_CHAT = -100777;
const T0 = Date.UTC(2020, 3, 22, 14, 5, 40);

const macOf = (i: number) => `a4:83:e7:00:00:${(i % 5).toString(16).padStart(2, '0')}`;
const alertOf = (i: number): Alert => ({
  ts: new Date(T0 + i * 1000).toISOString(),
  mac: macOf(i),
  ssid: `ssid-${i}`,
  reason: 'watched',
  deviceName: i % 2 === 0 ? `device ${i % 5}` : null,
});
/** Which alert a message is, by the SSID it names. */
const ssidIn = (text: string) => /probed for SSID <b>(ssid-\d+)<\/b>/.exec(text)?.[1] ?? '?';

async function counter(
  metric: { get(): Promise<{ values: { value: number; labels: object }[] }> },
  labels = {},
) {
  const { values } = await metric.get();
  return values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value ?? 0;
}

describe('the alert notifier, on the real broker', () => {
  const context = useStreamsTestContext();
  const cleanups: (() => Promise<void>)[] = [];
  const lines: string[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const line of lines.splice(0)) expect(line).not.toContain(TOKEN);
  });

  async function setUp(partitions: number, alertChatIds: number[]) {
    const topic = uniqueName('alerts');
    await createTopics(context.admin, { [topic]: partitions });
    const telegram = await FakeTelegram.start(TOKEN);
    cleanups.push(() => telegram.close());
    const config = botConfig({
      token: TOKEN,
      apiRoot: telegram.apiRoot,
      alertChatIds,
      alertsTopic: topic,
      alertsGroupId: uniqueName('bot-alerts'),
      timezone: 'UTC',
    });
    const producer = context.kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const produce = (messages: { key: string | null; value: string | null }[]) =>
      producer.send({ topic, messages });
    const produceAlerts = (from: number, to: number) =>
      produce(
        Array.from({ length: to - from }, (_, k) => ({
          key: macOf(from + k),
          value: JSON.stringify(alertOf(from + k)),
        })),
      );
    const notifier = () => {
      const created = new AlertNotifier({
        config,
        kafka: context.kafka,
        logger: lineLogger((line) => lines.push(line)).child('bot'),
        fromBeginning: true,
        initialBackoffMs: 50,
      });
      cleanups.push(() => created.stop());
      return created;
    };
    return { telegram, produce, produceAlerts, notifier };
  }

  it('shouldDeliverEveryAlertAcrossAStopAndARestartWithDuplicatesOnlyOfTheOneInFlight', async () => {
    const { telegram, produceAlerts, notifier } = await setUp(3, [CHAT]);
    telegram.sendDelayMs = 30;
    await produceAlerts(0, 30);

    const first = notifier();
    await first.start();
    await telegram.waitForSent(10, CHAT, 30_000);
    await first.stop();
    const sentByFirst = telegram.sent(CHAT).length;
    expect(sentByFirst).toBeLessThan(30);

    // Produced while no notifier runs: these wait in Kafka.
    await produceAlerts(30, 40);
    const second = notifier();
    await second.start();
    await eventually(
      () => new Set(telegram.sent(CHAT).map((m) => ssidIn(m.text))).size,
      (distinct) => distinct === 40,
    );
    await second.stop();

    const delivered = telegram.sent(CHAT).map((m) => ssidIn(m.text));
    expect(new Set(delivered)).toEqual(new Set(Array.from({ length: 40 }, (_, i) => `ssid-${i}`)));
    // At most the one record in flight at the stop is sent twice.
    expect(delivered.length - 40).toBeLessThanOrEqual(1);
    // Records of one MAC (one partition) arrive in the order they were produced.
    for (let mac = 0; mac < 5; mac++) {
      const ofMac = [...new Set(delivered)].filter((ssid) => Number(ssid.slice(5)) % 5 === mac);
      expect(ofMac).toEqual([...ofMac].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5))));
    }
    expect(telegram.sent(CHAT).find((m) => ssidIn(m.text) === 'ssid-0')?.text).toBe(
      '📣 At 2020-04-22 14:05:40 MAC address <code>a4:83:e7:00:00:00</code> (device 0) probed for SSID ' +
        '<b>ssid-0</b> — tracked because: watched',
    );
  });

  it('shouldHonourRetryAfterSkipRejectedAndUnreadableRecordsAndCommitThem', async () => {
    const { telegram, produce, produceAlerts, notifier } = await setUp(1, [CHAT, OTHER_CHAT]);
    telegram.rejectChat(OTHER_CHAT);
    telegram.failSendMessage(1, { errorCode: 429, retryAfter: 1 });
    await produce([
      { key: 'x', value: '{not json' },
      { key: 'y', value: null },
    ]);
    await produceAlerts(0, 2);

    const first = notifier();
    await first.start();
    const sent = await telegram.waitForSent(2, CHAT, 20_000);
    expect(sent.map((m) => ssidIn(m.text))).toEqual(['ssid-0', 'ssid-1']);
    const calls = telegram.calls.filter((call) => call.method === 'sendMessage');
    const limited = calls.find((call) => call.status === 429);
    const retried = calls[calls.indexOf(limited as never) + 1];
    expect(retried?.params.chat_id).toBe(limited?.params.chat_id);
    expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(990);
    await eventually(
      () => counter(first.metrics.rejected),
      (rejected) => rejected === 2,
    );
    expect(await counter(first.metrics.sent)).toBe(2);
    expect(await counter(first.metrics.unreadable)).toBe(2);
    expect(await counter(first.metrics.retries, { reason: 'rate_limited' })).toBe(1);
    expect(lines.join('\n')).toContain('chat not found');
    await first.stop();

    // Nothing is left uncommitted: a new member of the group sends nothing again.
    const callsBefore = telegram.calls.length;
    const second = notifier();
    await second.start();
    await produceAlerts(2, 3);
    await eventually(
      () => counter(second.metrics.rejected),
      (rejected) => rejected === 1,
    );
    expect(telegram.sent(CHAT).map((m) => ssidIn(m.text))).toEqual(['ssid-0', 'ssid-1', 'ssid-2']);
    const sentAgain = telegram.calls.slice(callsBefore).filter((c) => c.method === 'sendMessage');
    expect(sentAgain.map((c) => [c.params.chat_id, ssidIn(String(c.params.text))])).toEqual([
      [CHAT, 'ssid-2'],
      [OTHER_CHAT, 'ssid-2'],
    ]);
  });

  it('shouldLeaveAnAlertWaitingToBeRetriedUncommittedWhenStopped', async () => {
    const { telegram, produceAlerts, notifier } = await setUp(1, [CHAT]);
    telegram.failSendMessage(1, { errorCode: 429, retryAfter: 60 });
    await produceAlerts(0, 1);
    const first = notifier();
    await first.start();
    await telegram.waitFor((calls) => calls.some((call) => call.status === 429), 20_000);
    const stopping = Date.now();
    await first.stop();
    expect(Date.now() - stopping).toBeLessThan(5000);
    expect(telegram.sent()).toHaveLength(0);

    const second = notifier();
    await second.start();
    const [message] = await telegram.waitForSent(1, CHAT, 20_000);
    expect(ssidIn(message?.text ?? '')).toBe('ssid-0');
  });
});
