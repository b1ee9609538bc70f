import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { type RunningBot, startBot } from '../bot/index.js';
import type { Logger } from '../logging/index.js';
import type { Settings } from './settings.js';

/** The settings the bot reads, inside `start` and as `probestream bot`. */
export const BOT_SETTINGS = [
  'telegramBotToken',
  'telegramApiRoot',
  'telegramAllowedChatIds',
  'telegramAlertChatIds',
  'telegramWebhookUrl',
  'telegramWebhookSecret',
  'telegramWebhookPort',
  'timezone',
  'apiToken',
  'applicationId',
] as const;

export type BotSettings = Settings<(typeof BOT_SETTINGS)[number]>;

/** Starts the bot against the API at `apiUrl`, when a token is set; undefined otherwise. */
export async function startBotFromSettings(
  settings: BotSettings,
  options: {
    apiUrl: string;
    kafka: Kafka;
    logger: Logger;
    onError: (error: Error) => void;
    metricsRegistry?: Registry;
  },
): Promise<RunningBot | undefined> {
  if (settings.telegramBotToken === undefined) return undefined;
  return startBot({
    config: {
      token: settings.telegramBotToken,
      apiRoot: settings.telegramApiRoot,
      allowedChatIds: settings.telegramAllowedChatIds,
      alertChatIds: settings.telegramAlertChatIds,
      webhookUrl: settings.telegramWebhookUrl,
      webhookSecret: settings.telegramWebhookSecret,
      webhookPort: settings.telegramWebhookPort,
      apiUrl: options.apiUrl,
      apiToken: settings.apiToken,
      timezone: settings.timezone,
      applicationId: settings.applicationId,
    },
    kafka: options.kafka,
    logger: options.logger,
    onError: options.onError,
    ...(options.metricsRegistry ? { metricsRegistry: options.metricsRegistry } : {}),
  });
}
