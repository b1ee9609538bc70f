import { once } from 'node:events';
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
TELEGRAM_WEBHOOK_URL is set. \`probestream start\` runs the same bot when TELEGRAM_BOT_TOKEN is set.`,
  settings: [...KAFKA_SETTINGS, ...BOT_SETTINGS, 'apiUrl'],
  async run({ settings, signal }) {
    if (settings.telegramBotToken === undefined) {
      throw new UsageError('set TELEGRAM_BOT_TOKEN (from BotFather) to run the bot');
    }
    const failed = new AbortController();
    let failure: Error | undefined;
    const bot = await startBotFromSettings(settings, {
      apiUrl: settings.apiUrl,
      kafka: createKafka(settings, `${settings.applicationId}-bot`),
      logger: cliLogger(),
      onError: (error) => {
        failure = error;
        failed.abort();
      },
    });
    log(`bot running (${bot?.mode}), asking the API at ${settings.apiUrl}`);
    try {
      const stop = AbortSignal.any([signal, failed.signal]);
      if (!stop.aborted) await once(stop, 'abort');
    } finally {
      await bot?.stop();
    }
    if (failure) throw failure;
    return 0;
  },
});
