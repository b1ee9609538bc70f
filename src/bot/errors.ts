import { CodedError } from '../errors/index.js';
/**
 * Errors of the bot, one catalogue with stable codes (messages may change). Failures are classified by
 * where they happened: the bot's own settings, the probestream API (over HTTP), Telegram.
 */
export const botErrorCodes = [
  /** A setting is missing or out of range; the message names it (never its value when it is a secret). */
  'INVALID_CONFIG',
  /** The probestream API answered with an error, or with a body that is not what it promises. */
  'API_FAILED',
  /** The probestream API could not be reached, or did not answer in time. */
  'API_UNREACHABLE',
  /** Telegram refused a call at start (getMe, setWebhook): a wrong token or a wrong webhook URL. */
  'TELEGRAM_FAILED',
  /** The alert notifier could not join its group or read its topic (Kafka unreachable, topic missing). */
  'KAFKA_FAILED',
  /** A delivery was given up because the notifier is stopping; the alert stays uncommitted. */
  'DELIVERY_ABANDONED',
] as const;

export type BotErrorCode = (typeof botErrorCodes)[number];

/** An error of the bot. `code` says what to do next; `cause` holds the underlying error, token-free. */
export class ProbeBotError extends CodedError<BotErrorCode> {
  override readonly name: string = 'ProbeBotError';
}

/** What the API said, or that it said nothing: `status` is undefined when no HTTP answer came. */
export class ApiRequestError extends ProbeBotError {
  override readonly name = 'ApiRequestError';
  /** The HTTP status, or undefined when the API could not be reached or timed out. */
  readonly status: number | undefined;
  /** The API's error code (`SERVICE_UNAVAILABLE`, …), or `TIMEOUT`, `UNREACHABLE`, `INVALID_RESPONSE`. */
  readonly apiCode: string;

  constructor(status: number | undefined, apiCode: string, message: string, options?: { cause?: unknown }) {
    super(status === undefined ? 'API_UNREACHABLE' : 'API_FAILED', message, options);
    this.status = status;
    this.apiCode = apiCode;
  }
}

/** Telegram tokens as they appear in Bot API URLs (`/bot<id>:<secret>/`) and elsewhere. */
const TOKEN_PATTERN = /\d{3,}:[A-Za-z0-9_-]{20,}/g;

/**
 * `text` with the bot token replaced by `<token>`: both the exact token and anything shaped like one (a
 * URL such as `https://api.telegram.org/bot123:ABC…/sendMessage` may reach an error from a proxy).
 */
export function redactToken(text: string, token: string | undefined): string {
  let out = text;
  if (token !== undefined && token.length > 0) out = out.split(token).join('<token>');
  return out.replace(TOKEN_PATTERN, '<token>');
}

/**
 * One line describing `error` for a log, without the token and without a stack: the name, the message,
 * and the messages of its causes (grammY's HttpError keeps the fetch failure in `error`).
 */
export function describeError(error: unknown, token: string | undefined): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      const next: unknown = current.cause ?? (current as { error?: unknown }).error;
      current = next === current ? undefined : next;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  return redactToken(parts.join(' <- '), token);
}
