import { Api } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProbeBotError } from '../../src/bot/errors.js';
import { NotifierMetrics } from '../../src/bot/notifier-metrics.js';
import { TelegramDelivery } from '../../src/bot/telegram-delivery.js';
import { lineLogger } from '../../src/logging/index.js';
import { FakeTelegram } from '../support/fake-telegram.js';

const TOKEN = '5550001:delivery-test-token-abcdefghijk';
const CHAT = 4242;

async function counter(
  metric: { get(): Promise<{ values: { value: number; labels: object }[] }> },
  labels = {},
) {
  const { values } = await metric.get();
  return values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value ?? 0;
}

describe('TelegramDelivery', () => {
  let telegram: FakeTelegram;
  let metrics: NotifierMetrics;
  let lines: string[];
  let delivery: TelegramDelivery;
  const control = () => ({ signal: new AbortController().signal });

  beforeEach(async () => {
    telegram = await FakeTelegram.start(TOKEN);
    metrics = new NotifierMetrics();
    lines = [];
    delivery = new TelegramDelivery({
      api: new Api(TOKEN, { apiRoot: telegram.apiRoot, timeoutSeconds: 5 }),
      metrics,
      token: TOKEN,
      logger: lineLogger((line) => lines.push(line)).child('bot'),
      initialBackoffMs: 50,
      maxBackoffMs: 400,
    });
  });
  afterEach(async () => {
    await telegram.close();
    for (const line of lines) expect(line).not.toContain(TOKEN);
  });

  it('shouldSendInHtmlModeWithoutLinkPreviews', async () => {
    expect(await delivery.send(CHAT, '<b>hi</b>', control())).toBe('sent');
    expect(telegram.calls.at(-1)?.params).toMatchObject({
      chat_id: CHAT,
      text: '<b>hi</b>',
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
    expect(await counter(metrics.sent)).toBe(1);
  });

  it('shouldWaitRetryAfterSecondsBeforeRetryingA429', async () => {
    telegram.failSendMessage(1, { errorCode: 429, retryAfter: 1 });
    expect(await delivery.send(CHAT, 'hello', control())).toBe('sent');
    const [first, second] = telegram.calls.filter((call) => call.method === 'sendMessage');
    expect(first?.status).toBe(429);
    expect(second?.status).toBe(200);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(await counter(metrics.retries, { reason: 'rate_limited' })).toBe(1);
  });

  it('shouldSkipAndCountAMessageTelegramRejectsForGood', async () => {
    telegram.rejectChat(CHAT);
    expect(await delivery.send(CHAT, 'hello', control())).toBe('rejected');
    expect(telegram.calls.filter((call) => call.method === 'sendMessage')).toHaveLength(1);
    expect(await counter(metrics.rejected)).toBe(1);
    expect(await counter(metrics.sent)).toBe(0);
    expect(lines.join('\n')).toContain('chat not found');
  });

  it('shouldRejectTextTelegramCannotParseRatherThanRetryIt', async () => {
    expect(await delivery.send(CHAT, 'a < b', control())).toBe('rejected');
    expect(await counter(metrics.rejected)).toBe(1);
  });

  it('shouldRetryServerErrorsWithGrowingBackoff', async () => {
    telegram.failSendMessage(3, { errorCode: 500 });
    expect(await delivery.send(CHAT, 'hello', control())).toBe('sent');
    const times = telegram.calls.filter((call) => call.method === 'sendMessage').map((call) => call.at);
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    // 50, 100, 200 ms less up to a quarter of jitter.
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[2]).toBeGreaterThanOrEqual(145);
    expect(await counter(metrics.retries, { reason: 'telegram_error' })).toBe(3);
  });

  it('shouldRetryWhenTheConnectionDrops', async () => {
    telegram.dropSendMessage(1);
    expect(await delivery.send(CHAT, 'hello', control())).toBe('sent');
    expect(await counter(metrics.retries, { reason: 'network' })).toBe(1);
    expect(telegram.sent(CHAT)).toHaveLength(1);
  });

  it('shouldMakeTheFirstAttemptEvenWhenStoppingButNotRetry', async () => {
    const stopping = new AbortController();
    stopping.abort();
    expect(await delivery.send(CHAT, 'hello', { signal: stopping.signal })).toBe('sent');
    telegram.failSendMessage(1, { errorCode: 500 });
    const error = await delivery.send(CHAT, 'again', { signal: stopping.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProbeBotError);
    expect((error as ProbeBotError).code).toBe('DELIVERY_ABANDONED');
  });

  it('shouldGiveUpALongWaitAsSoonAsItStopsAndKeepTheConsumerAliveMeanwhile', async () => {
    telegram.failSendMessage(1, { errorCode: 429, retryAfter: 30 });
    const stopping = new AbortController();
    let keepAlives = 0;
    const sending = delivery.send(CHAT, 'hello', {
      signal: stopping.signal,
      keepAlive: async () => {
        keepAlives += 1;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const stoppedAt = Date.now();
    stopping.abort();
    const error = await sending.catch((e: unknown) => e);
    expect((error as ProbeBotError).code).toBe('DELIVERY_ABANDONED');
    expect(Date.now() - stoppedAt).toBeLessThan(200);
    expect(keepAlives).toBe(1);
    expect(telegram.sent()).toHaveLength(0);
  });
});
