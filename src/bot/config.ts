import { ProbeBotError } from './errors.js';

/** What `botConfig` takes: the bot's settings as the CLI reads them (text or values). Only `token` is required. */
export interface BotConfigInput {
  readonly token: string;
  readonly apiRoot?: string | undefined;
  readonly allowedChatIds?: string | readonly (string | number)[] | undefined;
  readonly alertChatIds?: string | readonly (string | number)[] | undefined;
  readonly webhookUrl?: string | undefined;
  readonly webhookSecret?: string | undefined;
  readonly webhookHost?: string | undefined;
  readonly webhookPort?: number | undefined;
  readonly apiUrl?: string | undefined;
  readonly apiToken?: string | undefined;
  readonly apiTimeoutMs?: number | undefined;
  readonly timezone?: string | undefined;
  readonly applicationId?: string | undefined;
  readonly alertsTopic?: string | undefined;
  readonly alertsGroupId?: string | undefined;
  readonly maxBackoffMs?: number | undefined;
}

/**
 * The validated, frozen settings. `token`, `apiToken` and `webhookSecret` are non-enumerable: JSON.stringify,
 * console.log and util.inspect of the object leave them out.
 */
export interface BotConfig {
  readonly token: string;
  readonly apiRoot: string;
  readonly allowedChatIds: readonly number[];
  readonly alertChatIds: readonly number[];
  readonly webhookUrl: string | undefined;
  readonly webhookSecret: string | undefined;
  readonly webhookHost: string;
  readonly webhookPort: number;
  readonly apiUrl: string;
  readonly apiToken: string | undefined;
  readonly apiTimeoutMs: number;
  readonly timezone: string;
  readonly alertsTopic: string;
  readonly alertsGroupId: string;
  readonly maxBackoffMs: number;
}

/** Each setting beside its doc and default. */
export const BOT_CONFIG_DOCS: Readonly<Record<keyof BotConfigInput, string>> = Object.freeze({
  token: 'TELEGRAM_BOT_TOKEN, from BotFather (`<digits>:<secret>`). Required. Never logged.',
  apiRoot: 'TELEGRAM_API_ROOT: the Bot API server, no trailing "/". Default https://api.telegram.org.',
  allowedChatIds:
    'TELEGRAM_ALLOWED_CHAT_IDS: chats allowed to query, comma-separated integers. Default empty: answer no one.',
  alertChatIds:
    'TELEGRAM_ALERT_CHAT_IDS: chats that receive alerts, comma-separated. Default empty: no alerts.',
  webhookUrl:
    'TELEGRAM_WEBHOOK_URL: the public URL Telegram posts updates to; set, the bot runs in webhook mode. Default unset: long polling.',
  webhookSecret:
    'TELEGRAM_WEBHOOK_SECRET: 1 to 256 of A-Z, a-z, 0-9, "_", "-"; required in webhook mode. Never logged.',
  webhookHost: 'Interface the webhook server listens on. Default 0.0.0.0.',
  webhookPort:
    "Port the webhook server listens on, 0 to 65535. Default: the webhook URL's port, else 8443 (behind a proxy for 443).",
  apiUrl: 'PROBESTREAM_API_URL: the probestream API. Default http://127.0.0.1:8080.',
  apiToken: 'API_TOKEN: bearer token for the alert-list writes. Default unset. Never logged.',
  apiTimeoutMs: 'How long one API request may take, 100 to 60,000 ms. Default 5000.',
  timezone: 'TIMEZONE: how times are shown, an IANA time zone. Default Europe/London.',
  applicationId: 'APPLICATION_ID: the prefix of the default alerts group id. Default probestream.',
  alertsTopic: 'The topic alerts are read from. Default alerts.',
  alertsGroupId: 'The consumer group of the alert notifier. Default <applicationId>-bot-alerts.',
  maxBackoffMs:
    'The longest wait between two retries of a failed Telegram call, 100 to 600,000 ms. Default 30000.',
});

const TOKEN = /^\d+:[A-Za-z0-9_-]+$/;
const WEBHOOK_SECRET = /^[A-Za-z0-9_-]{1,256}$/;
const NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** Validates `input` once, fills in the defaults and returns the frozen settings. Throws INVALID_CONFIG. */
export function botConfig(input: BotConfigInput): BotConfig {
  if (typeof input !== 'object' || input === null) throw new TypeError('the bot config must be an object');
  const known = new Set(Object.keys(BOT_CONFIG_DOCS));
  for (const key of Object.keys(input)) {
    if (!known.has(key)) invalid(`unknown bot setting "${key}"`);
  }
  if (typeof input.token !== 'string' || !TOKEN.test(input.token)) {
    invalid('token: a Telegram bot token looks like <digits>:<letters, digits, "_" or "-">');
  }
  const apiRoot = httpUrl('apiRoot', input.apiRoot ?? 'https://api.telegram.org');
  if (apiRoot.endsWith('/')) invalid('apiRoot: remove the trailing "/"');
  const webhookUrl = input.webhookUrl === undefined ? undefined : httpUrl('webhookUrl', input.webhookUrl);
  const webhookSecret = input.webhookSecret;
  if (webhookSecret !== undefined && !WEBHOOK_SECRET.test(webhookSecret)) {
    invalid('webhookSecret: 1 to 256 characters of A-Z, a-z, 0-9, "_" and "-"');
  }
  if (webhookUrl !== undefined && webhookSecret === undefined) {
    invalid('webhookSecret: required with webhookUrl, so that only Telegram can post updates');
  }
  const urlPort = webhookUrl === undefined ? '' : new URL(webhookUrl).port;
  const applicationId = name('applicationId', input.applicationId ?? 'probestream');
  const config: Omit<BotConfig, 'token' | 'apiToken' | 'webhookSecret'> = {
    apiRoot,
    allowedChatIds: chatIds('allowedChatIds', input.allowedChatIds),
    alertChatIds: chatIds('alertChatIds', input.alertChatIds),
    webhookUrl,
    webhookHost: input.webhookHost ?? '0.0.0.0',
    webhookPort: integer(
      'webhookPort',
      input.webhookPort ?? (urlPort === '' ? 8443 : Number(urlPort)),
      0,
      65535,
    ),
    apiUrl: httpUrl('apiUrl', input.apiUrl ?? 'http://127.0.0.1:8080').replace(/\/+$/, ''),
    apiTimeoutMs: integer('apiTimeoutMs', input.apiTimeoutMs ?? 5000, 100, 60_000),
    timezone: timeZone(input.timezone ?? 'Europe/London'),
    alertsTopic: name('alertsTopic', input.alertsTopic ?? 'alerts'),
    alertsGroupId: name('alertsGroupId', input.alertsGroupId ?? `${applicationId}-bot-alerts`),
    maxBackoffMs: integer('maxBackoffMs', input.maxBackoffMs ?? 30_000, 100, 600_000),
  };
  if (input.apiToken !== undefined && input.apiToken.length === 0) invalid('apiToken: must not be empty');
  const secrets = { token: input.token, apiToken: input.apiToken, webhookSecret };
  for (const [key, value] of Object.entries(secrets)) {
    Object.defineProperty(config, key, { value, enumerable: false });
  }
  Object.freeze(config.allowedChatIds);
  Object.freeze(config.alertChatIds);
  const frozen = Object.freeze(config) as BotConfig;
  validated.add(frozen);
  return frozen;
}

const validated = new WeakSet<object>();

/** Whether `value` came from botConfig (and so needs no second validation). */
export function isBotConfig(value: unknown): value is BotConfig {
  return typeof value === 'object' && value !== null && validated.has(value);
}

function invalid(message: string): never {
  throw new ProbeBotError('INVALID_CONFIG', `invalid bot config: ${message}`);
}

function httpUrl(key: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value is not shown: a URL may carry credentials.
    invalid(`${key}: not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') invalid(`${key}: must be http:// or https://`);
  return value;
}

function integer(key: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(`${key}: ${String(value)} is not an integer from ${min} to ${max}`);
  }
  return value;
}

function name(key: string, value: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    invalid(`${key}: 1 to 249 characters of letters, digits, ".", "_" and "-"`);
  }
  return value;
}

function timeZone(value: string): string {
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    invalid(`timezone: ${JSON.stringify(value)} is not an IANA time zone`);
  }
}

/** Chat ids are integers (negative for groups and channels); text is comma- or space-separated. */
function chatIds(key: string, value: string | readonly (string | number)[] | undefined): readonly number[] {
  if (value === undefined) return [];
  const items = typeof value === 'string' ? value.split(/[\s,]+/).filter((item) => item !== '') : value;
  const ids = items.map((item) => {
    const id =
      typeof item === 'number' ? item : /^-?\d+$/.test(item.trim()) ? Number(item.trim()) : Number.NaN;
    if (!Number.isSafeInteger(id) || id === 0) {
      invalid(`${key}: ${JSON.stringify(item)} is not a chat id (a non-zero integer)`);
    }
    return id;
  });
  return [...new Set(ids)];
}
