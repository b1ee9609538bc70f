/**
 * The grammY Telegram bot: lookups through the probestream API over HTTP, and alert notifications from the
 * `alerts` topic, committed only once Telegram accepted them.
 *
 * Start it with `startBot({ config, kafka })`; `botConfig` validates the settings once. The rest are the
 * pieces it is made of, for tests and other front ends: the handlers (`createProbeBot`), the API client,
 * the notifier, and the pure formatting of every text.
 */

// The pieces.
export { AlertNotifier, type AlertNotifierOptions } from './alert-notifier.js';
export { decodeAlertRecord } from './alert-record.js';
export { ProbestreamApiClient, type ProbestreamApiClientOptions } from './api-client.js';
export { ALLOWED_UPDATES, BOT_COMMANDS, createProbeBot, type ProbeBotOptions } from './bot.js';
export { parseSsidArgument, type SsidArgument } from './command-arguments.js';
export { BOT_CONFIG_DOCS, type BotConfig, type BotConfigInput, botConfig, isBotConfig } from './config.js';
export {
  ApiRequestError,
  type BotErrorCode,
  botErrorCodes,
  describeError,
  ProbeBotError,
  redactToken,
} from './errors.js';
export * as format from './format.js';
export { escapeHtml, htmlToText, MAX_MESSAGE_LENGTH } from './html.js';
export { lookupReply } from './lookup.js';
export { type MetricsServer, type MetricsServerOptions, startMetricsServer } from './metrics-server.js';
export { NotifierMetrics } from './notifier-metrics.js';
export { type RunningBot, type StartBotOptions, startBot } from './start-bot.js';
export { type DeliveryOutcome, TelegramDelivery, type TelegramDeliveryOptions } from './telegram-delivery.js';
export { formatTime } from './time.js';
export { startWebhookServer, type WebhookServer, type WebhookServerOptions } from './webhook-server.js';
