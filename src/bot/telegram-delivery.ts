import { setTimeout as sleep } from 'node:timers/promises';
import { type Api, GrammyError } from 'grammy';
import type { Logger } from '../logging/index.js';
import { describeError, ProbeBotError } from './errors.js';
import type { NotifierMetrics, RetryReason } from './notifier-metrics.js';

export interface TelegramDeliveryOptions {
  readonly api: Api;
  readonly metrics: NotifierMetrics;
  /** The bot token, only to keep it out of log lines. */
  readonly token: string;
  readonly logger: Logger;
  /** The first wait after a failure; it doubles up to maxBackoffMs. Default 500 ms. */
  readonly initialBackoffMs?: number;
  /** Default 30,000 ms. */
  readonly maxBackoffMs?: number;
}

export interface DeliveryControl {
  /** Once aborted, a message that needs another attempt is given up (DELIVERY_ABANDONED). */
  readonly signal: AbortSignal;
  /** Called every few seconds while waiting to retry (the consumer's heartbeat); may throw to give up. */
  readonly keepAlive?: () => Promise<void>;
}

/** How a message ended: Telegram accepted it, or refused it for good. */
export type DeliveryOutcome = 'sent' | 'rejected';

/** How often keepAlive is called during a long wait. */
const KEEP_ALIVE_MS = 2000;

type Failure =
  | { readonly kind: 'rejected' }
  | { readonly kind: 'retry'; readonly reason: RetryReason; readonly waitMs?: number };

/**
 * Sends one message to one chat until Telegram has accepted it or refused it for good: a 429 waits the
 * `retry_after` Telegram asks for; a 400 or 403 (chat not found, bot blocked, text Telegram cannot parse) is
 * logged, counted and given up; anything else (5xx, 401, the network) is retried with exponential backoff.
 */
export class TelegramDelivery {
  readonly #options: TelegramDeliveryOptions;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;

  constructor(options: TelegramDeliveryOptions) {
    this.#options = options;
    this.#initialBackoffMs = options.initialBackoffMs ?? 500;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000;
  }

  /**
   * Resolves once Telegram accepted the message ('sent') or refused it for good ('rejected'). Throws
   * ProbeBotError DELIVERY_ABANDONED when `control.signal` is aborted before a retry; the first attempt is
   * always made, so a stop finishes what it can without waiting.
   */
  async send(chatId: number, text: string, control: DeliveryControl): Promise<DeliveryOutcome> {
    const { api, metrics, logger, token } = this.#options;
    let backoffMs = this.#initialBackoffMs;
    for (;;) {
      try {
        await api.sendMessage(chatId, text, {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
        });
        metrics.sent.inc();
        return 'sent';
      } catch (error) {
        const failure = classify(error);
        if (failure.kind === 'rejected') {
          metrics.rejected.inc();
          logger.warn(
            `Telegram refused an alert for chat ${chatId} for good, skipped: ${describeError(error, token)}`,
          );
          const migrated = error instanceof GrammyError ? error.parameters.migrate_to_chat_id : undefined;
          if (migrated !== undefined)
            logger.warn(`chat ${chatId} is now chat ${migrated}; update the alert chat ids`);
          return 'rejected';
        }
        if (control.signal.aborted) throw abandoned(chatId);
        let waitMs = failure.waitMs;
        if (waitMs === undefined) {
          // Up to a quarter less than the backoff, so that many notifiers do not retry in step.
          waitMs = Math.round(backoffMs * (0.75 + Math.random() * 0.25));
          backoffMs = Math.min(backoffMs * 2, this.#maxBackoffMs);
        }
        metrics.retries.inc({ reason: failure.reason });
        logger.warn(
          `sending an alert to chat ${chatId} failed (${failure.reason}), retrying in ${waitMs} ms: ` +
            describeError(error, token),
        );
        await wait(waitMs, control, chatId);
      }
    }
  }
}

function classify(error: unknown): Failure {
  if (error instanceof GrammyError) {
    if (error.error_code === 429) {
      const retryAfter = error.parameters.retry_after;
      return typeof retryAfter === 'number' && retryAfter >= 0
        ? { kind: 'retry', reason: 'rate_limited', waitMs: retryAfter * 1000 }
        : { kind: 'retry', reason: 'rate_limited' };
    }
    if (error.error_code === 400 || error.error_code === 403) return { kind: 'rejected' };
    return { kind: 'retry', reason: 'telegram_error' };
  }
  // grammY's HttpError (the request failed or timed out), or a transformer's own error.
  return { kind: 'retry', reason: 'network' };
}

function abandoned(chatId: number): ProbeBotError {
  return new ProbeBotError('DELIVERY_ABANDONED', `the alert for chat ${chatId} was given up: stopping`);
}

/** Waits `ms`, calling keepAlive every few seconds; throws DELIVERY_ABANDONED as soon as the signal aborts. */
async function wait(ms: number, control: DeliveryControl, chatId: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return;
    // Cut short by a stop: the check below turns it into DELIVERY_ABANDONED.
    await sleep(Math.min(left, KEEP_ALIVE_MS), undefined, { signal: control.signal }).catch(() => undefined);
    if (control.signal.aborted) throw abandoned(chatId);
    if (Date.now() < deadline) await control.keepAlive?.();
  }
}
