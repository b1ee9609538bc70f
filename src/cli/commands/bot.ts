import { once } from 'node:events';
import { Registry } from 'prom-client';
import { startMetricsServer } from '../../bot/index.js';
import { BOT_SETTINGS, startBotFromSettings } from '../bot.js';
import { defineCommand, UsageError } from '../command.js';
import { createKafka, KAFKA_SETTINGS } from '../kafka.js';
import { cliLogger, log } from '../log.js';

export const botCommand = defineCommand({
  name: 'bot',
  summary: 'Run the Telegram bot on its own: lookups through the API, alerts from the alerts topic.',
  description: `
Answers the chats in TELEGRAM_ALLOWED_CHAT_IDS (any text or /stats <mac|name>, /watch, /unwatch,
/watched, /help) by asking the probestream API at --api, and sends every alert to the chats in
TELEGRAM_ALERT_CHAT_IDS, committing each only after Telegram accepted it. Long polling, or a webhook when
TELEGRAM_WEBHOOK_URL is set. Its alert counters (probestream_bot_*) are served for Prometheus at
GET /metrics on BOT_METRICS_PORT. \`probestream start\` runs the same bot when TELEGRAM_BOT_TOKEN is set
(its API's /metrics then holds the counters).`,
  settings: [...KAFKA_SETTINGS, ...BOT_SETTINGS, 'apiUrl', 'botMetricsPort'],
  async run({ settings, signal }) {
    if (settings.telegramBotToken === undefined) {
      throw new UsageError('set TELEGRAM_BOT_TOKEN (from BotFather) to run the bot');
    }
    const failed = new AbortController();
    let failure: Error | undefined;
    const logger = cliLogger();
    // Listening before the bot starts, so that a port already taken is said at once, and a scrape during a
    // long wait for Telegram sees the process up.
    const registry = new Registry();
    const metrics = await startMetricsServer({
      registry,
      host: '0.0.0.0',
      port: settings.botMetricsPort,
      logger: logger.child('bot'),
    });
    try {
      const bot = await startBotFromSettings(settings, {
        apiUrl: settings.apiUrl,
        kafka: createKafka(settings, `${settings.applicationId}-bot`),
        logger,
        onError: (error) => {
          failure = error;
          failed.abort();
        },
        metricsRegistry: registry,
      });
      log(
        `bot running (${bot?.mode}), asking the API at ${settings.apiUrl}; metrics on port ${metrics.port}`,
      );
      try {
        const stop = AbortSignal.any([signal, failed.signal]);
        if (!stop.aborted) await once(stop, 'abort');
      } finally {
        await bot?.stop();
      }
    } finally {
      await metrics.close();
    }
    if (failure) throw failure;
    return 0;
  },
});
