import { setTimeout as sleep } from 'node:timers/promises';
import { type Bot, GrammyError } from 'grammy';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { defaultLogger, type Logger, redactingLogger } from '../logging/index.js';
import { AlertNotifier } from './alert-notifier.js';
import { ProbestreamApiClient } from './api-client.js';
import { ALLOWED_UPDATES, BOT_COMMANDS, createProbeBot } from './bot.js';
import { type BotConfig, type BotConfigInput, botConfig, isBotConfig } from './config.js';
import { describeError, ProbeBotError, redactToken } from './errors.js';
import { startWebhookServer } from './webhook-server.js';

export interface StartBotOptions {
  /** The settings, validated by botConfig or to be validated here. */
  readonly config: BotConfig | BotConfigInput;
  /** Needed when config.alertChatIds is not empty: the notifier's consumer is made from it. */
  readonly kafka?: Kafka | undefined;
  /** Where the bot logs, under its namespace `bot`; the token is taken out of every entry. Default: stderr. */
  readonly logger?: Logger;
  /** Called when the bot stops for good while running (Telegram refusing the token, a second poller). */
  readonly onError?: (error: Error) => void;
  /** See AlertNotifierOptions.fromBeginning. Default false. */
  readonly alertsFromBeginning?: boolean;
  /** The first wait after a failed alert send. Default 500 ms. */
  readonly initialBackoffMs?: number;
  /** Where the notifier's counters go (e.g. a registry the API serves). Default: a registry of its own. */
  readonly metricsRegistry?: Registry;
}

export interface RunningBot {
  /** 'polling' (the default) or 'webhook' (config.webhookUrl set). */
  readonly mode: 'polling' | 'webhook';
  /** The webhook server's port, in webhook mode. */
  readonly webhookPort: number | undefined;
  /** The alert notifier's counters, when alerts are sent. */
  readonly metrics: Registry | undefined;
  /** Stops lookups and alerts (the alert in flight is finished or left for the next start). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the bot: lookups by long polling (or a webhook server when config.webhookUrl is set) and, when
 * config.alertChatIds is not empty, the alert notifier. Resolves once Telegram accepted the token and
 * the notifier joined its group; rejects (ProbeBotError) if either cannot start, having stopped the other.
 */
export async function startBot(options: StartBotOptions): Promise<RunningBot> {
  const config = isBotConfig(options.config) ? options.config : botConfig(options.config);
  const logger = redactingLogger((options.logger ?? defaultLogger()).child('bot'), (text) =>
    redactToken(text, config.token),
  );
  const onError =
    options.onError ?? ((error: Error) => logger.error(`stopped: ${describeError(error, config.token)}`));

  let notifier: AlertNotifier | undefined;
  if (config.alertChatIds.length > 0) {
    if (options.kafka === undefined) throw new TypeError('startBot needs a kafka client to send alerts');
    notifier = new AlertNotifier({
      config,
      kafka: options.kafka,
      logger,
      onError,
      ...(options.alertsFromBeginning === undefined ? {} : { fromBeginning: options.alertsFromBeginning }),
      ...(options.initialBackoffMs === undefined ? {} : { initialBackoffMs: options.initialBackoffMs }),
      ...(options.metricsRegistry === undefined ? {} : { metricsRegistry: options.metricsRegistry }),
    });
  } else {
    logger.info('no alert chat ids, alerts are not sent');
  }
  if (config.allowedChatIds.length === 0)
    logger.warn('no allowed chat ids, lookups are refused to every chat');

  const api = new ProbestreamApiClient({
    apiUrl: config.apiUrl,
    apiToken: config.apiToken,
    timeoutMs: config.apiTimeoutMs,
  });
  const bot = createProbeBot({ config, api, logger });
  const stopping = new AbortController();
  let lookups: Lookups | undefined;
  const startLookups = async () => {
    await initialize(bot, config, logger, stopping.signal);
    lookups =
      config.webhookUrl === undefined
        ? await startPolling(bot, config, logger, onError)
        : await startWebhook(bot, config, logger);
  };
  // Both are waited for, so that neither is left running when the other fails; a failure cuts the other's
  // wait for Telegram short.
  const results = await Promise.allSettled([
    notifier?.start().catch((error: unknown) => {
      stopping.abort();
      throw error;
    }),
    startLookups().catch((error: unknown) => {
      stopping.abort();
      throw error;
    }),
  ]);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined || lookups === undefined) {
    await Promise.allSettled([lookups?.stop(), notifier?.stop()]);
    const error: unknown = failed?.reason;
    if (error instanceof ProbeBotError) throw error;
    throw new ProbeBotError(
      'TELEGRAM_FAILED',
      `the bot could not start: ${describeError(error, config.token)}`,
    );
  }
  const running = lookups;
  let stopped: Promise<void> | undefined;
  return {
    mode: config.webhookUrl === undefined ? 'polling' : 'webhook',
    webhookPort: running.port,
    metrics: notifier?.metrics.registry,
    stop() {
      stopped ??= (async () => {
        await Promise.allSettled([running.stop(), notifier?.stop()]);
        logger.info('stopped');
      })();
      return stopped;
    },
  };
}

/**
 * getMe until Telegram answers: the network or a Telegram outage is waited out (and logged), a refused
 * token is not. Then the command list, which is only nice to have.
 */
async function initialize(bot: Bot, config: BotConfig, logger: Logger, signal: AbortSignal) {
  for (let waitMs = 1000; !bot.isInited(); waitMs = Math.min(waitMs * 2, config.maxBackoffMs)) {
    if (signal.aborted) throw new ProbeBotError('TELEGRAM_FAILED', 'stopped before Telegram answered');
    try {
      // grammY types its signal with its own shim; the global AbortSignal is what it uses on Node.
      bot.botInfo = await bot.api.getMe(signal as Parameters<typeof bot.api.getMe>[0]);
    } catch (error) {
      if (error instanceof GrammyError && error.error_code !== 429 && error.error_code < 500) {
        throw new ProbeBotError(
          'TELEGRAM_FAILED',
          `Telegram refused the bot (${error.error_code}: ${redactToken(error.description, config.token)}); check TELEGRAM_BOT_TOKEN`,
        );
      }
      if (signal.aborted) continue;
      logger.warn(
        `Telegram did not answer getMe, retrying in ${waitMs} ms: ${describeError(error, config.token)}`,
      );
      // A stop cuts the wait short; the loop's check then ends it.
      await sleep(waitMs, undefined, { signal }).catch(() => undefined);
    }
  }
  await bot.api.setMyCommands([...BOT_COMMANDS]).catch((error: unknown) => {
    logger.warn(`could not set the command list: ${describeError(error, config.token)}`);
  });
}

interface Lookups {
  readonly port: number | undefined;
  stop(): Promise<void>;
}

function startPolling(bot: Bot, config: BotConfig, logger: Logger, onError: (e: Error) => void) {
  return new Promise<Lookups>((resolve, reject) => {
    let started = false;
    const polling = bot
      .start({
        allowed_updates: [...ALLOWED_UPDATES],
        onStart: (me) => {
          started = true;
          logger.info(`@${me.username} answers by long polling`);
          resolve({
            port: undefined,
            stop: async () => {
              if (bot.isRunning()) await bot.stop().catch(() => {});
              await polling;
            },
          });
        },
      })
      .catch((error: unknown) => {
        const safe = new ProbeBotError(
          'TELEGRAM_FAILED',
          `long polling stopped: ${describeError(error, config.token)}`,
        );
        if (started) onError(safe);
        else reject(safe);
      });
  });
}

async function startWebhook(bot: Bot, config: BotConfig, logger: Logger): Promise<Lookups> {
  const url = config.webhookUrl as string;
  const server = await startWebhookServer({
    bot,
    path: new URL(url).pathname,
    secret: config.webhookSecret as string,
    host: config.webhookHost,
    port: config.webhookPort,
    token: config.token,
    logger,
  });
  try {
    await bot.api.setWebhook(url, {
      secret_token: config.webhookSecret as string,
      allowed_updates: [...ALLOWED_UPDATES],
    });
  } catch (error) {
    await server.close(0);
    throw new ProbeBotError('TELEGRAM_FAILED', `setWebhook failed: ${describeError(error, config.token)}`);
  }
  logger.info(`@${bot.botInfo.username} answers on a webhook, listening on port ${server.port}`);
  // The webhook stays set while stopped: Telegram keeps the updates until the bot is back.
  return { port: server.port, stop: () => server.close() };
}
