import { Bot, type Composer, type Context } from 'grammy';
import type { Logger } from '../logging/index.js';
import { nameProblem } from '../probes/names.js';
import { normalizeMac } from '../probes/pcap.js';
import type { ProbestreamApiClient } from './api-client.js';
import { parseSsidArgument } from './command-arguments.js';
import type { BotConfig } from './config.js';
import { ApiRequestError, describeError } from './errors.js';
import {
  helpReply,
  internalErrorReply,
  namedReply,
  nameUsageReply,
  notWatchedReply,
  queryFailedReply,
  refusalReply,
  statsUsageReply,
  unknownCommandReply,
  unwatchedReply,
  unwatchUsageReply,
  watchedListReply,
  watchingReply,
  watchUsageReply,
} from './format.js';
import { escapeHtml } from './html.js';
import { type LookupAnswer, lookupReply } from './lookup.js';

export interface ProbeBotOptions {
  readonly config: BotConfig;
  readonly api: ProbestreamApiClient;
  readonly logger: Logger;
}

/** The commands as Telegram lists them (setMyCommands). */
export const BOT_COMMANDS = Object.freeze([
  { command: 'stats', description: 'Probe statistics of a device: /stats <mac|name>' },
  { command: 'name', description: 'Name a device: /name <mac> <name>' },
  { command: 'watch', description: 'Alert on an SSID: /watch <ssid> [reason]' },
  { command: 'unwatch', description: 'Stop alerting on an SSID: /unwatch <ssid>' },
  { command: 'watched', description: 'The SSIDs that raise alerts' },
  { command: 'help', description: 'What this bot does' },
]);

/** The updates the bot handles; Telegram sends no others. */
export const ALLOWED_UPDATES = Object.freeze(['message'] as const);

const REPLY_OPTIONS = { parse_mode: 'HTML', link_preview_options: { is_disabled: true } } as const;

/**
 * The grammY bot with its handlers, not started: chats outside the allow-list get a refusal and nothing
 * else; any text or `/stats` is a lookup (by MAC when it reads as one, else by device name); `/watch`,
 * `/unwatch` and `/watched` manage the SSID alert list. A handler that fails answers `❌ Query failed` and
 * logs why, without the token; the chat never sees a stack trace.
 */
export function createProbeBot(options: ProbeBotOptions): Bot {
  const { config, api, logger } = options;
  // Long polls last 30 s; a call that takes twice that is not coming back.
  const bot = new Bot(config.token, { client: { apiRoot: config.apiRoot, timeoutSeconds: 60 } });
  const allowed = new Set(config.allowedChatIds);
  const reply = (ctx: Context, text: string, suggestions: readonly string[] = []) => {
    const keyboard = buttons(suggestions);
    return ctx.reply(
      text,
      keyboard === undefined ? REPLY_OPTIONS : { ...REPLY_OPTIONS, reply_markup: keyboard },
    );
  };

  // Polling hands handler errors to bot.catch, webhooks throw them at the HTTP server: the boundary
  // answers both the same way.
  const safe = bot.errorBoundary(async ({ error, ctx }) => {
    logger.warn(`update ${ctx.update.update_id} failed: ${describeError(error, config.token)}`);
    if (ctx.chat !== undefined && allowed.has(ctx.chat.id)) {
      await reply(ctx, internalErrorReply()).catch((failure) => {
        logger.warn(`could not tell chat ${ctx.chat?.id} about it: ${describeError(failure, config.token)}`);
      });
    }
  });
  bot.catch(({ error, ctx }) => {
    logger.warn(`update ${ctx.update.update_id} failed: ${describeError(error, config.token)}`);
  });

  safe.use(async (ctx, next) => {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return;
    if (allowed.has(chatId)) return next();
    if (ctx.message === undefined) return;
    logger.warn(`refused a message from chat ${chatId}, not in the allowed chat ids`);
    await reply(ctx, refusalReply(chatId));
  });

  /** Runs `query`, turning what the API said into the reply (with buttons for suggested names), and only that. */
  async function answer(ctx: Context, query: () => Promise<string | LookupAnswer>): Promise<void> {
    let answered: Pick<LookupAnswer, 'text' | 'suggestions'>;
    try {
      const result = await query();
      answered = typeof result === 'string' ? { text: result, suggestions: [] } : result;
    } catch (error) {
      if (!(error instanceof ApiRequestError)) throw error;
      logger.warn(`a query for chat ${ctx.chat?.id} failed: ${describeError(error, config.token)}`);
      answered = { text: queryFailedReply(error), suggestions: [] };
    }
    await reply(ctx, answered.text, answered.suggestions);
  }

  function lookup(ctx: Context, text: string): Promise<unknown> {
    const query = text.trim();
    if (query === '') return reply(ctx, statsUsageReply());
    return answer(ctx, () => lookupReply(api, query, config.timezone));
  }

  safe.command(['start', 'help'], (ctx) => reply(ctx, helpReply(config.timezone)));

  safe.command('stats', (ctx) => lookup(ctx, ctx.match));

  registerNameCommand(safe, { api, reply, answer });
  registerAlertListCommands(safe, { api, reply, answer });

  safe.on('message:text', (ctx) => {
    if (ctx.message.text.startsWith('/')) return reply(ctx, unknownCommandReply());
    return lookup(ctx, ctx.message.text);
  });

  return bot;
}

/** What the commands below share with the bot's own handlers. */
interface CommandHandlers {
  readonly api: ProbestreamApiClient;
  reply(ctx: Context, text: string): Promise<unknown>;
  /** Runs a query through the API and replies with its text, or with why it failed. */
  answer(ctx: Context, query: () => Promise<string>): Promise<void>;
}

/** `/name <mac> <name>`: names a device by hand, through the API. */
function registerNameCommand(safe: Composer<Context>, handlers: CommandHandlers): void {
  const { api, reply, answer } = handlers;
  safe.command('name', (ctx) => {
    const match = /^(\S+)\s+([\s\S]+)$/.exec(ctx.match.trim());
    const mac = match === null ? undefined : normalizeMac(match[1] as string);
    const name = match?.[2]?.trim() ?? '';
    if (mac === undefined) return reply(ctx, nameUsageReply());
    const problem = nameProblem(name);
    if (problem !== undefined) return reply(ctx, `${nameUsageReply()}\n(${escapeHtml(problem)})`);
    return answer(ctx, async () => {
      await api.setName(mac, name);
      return namedReply(mac, name);
    });
  });
}

/** `/watch`, `/unwatch` and `/watched`: the SSID alert list, through the API. */
function registerAlertListCommands(safe: Composer<Context>, handlers: CommandHandlers): void {
  const { api, reply, answer } = handlers;
  safe.command('watch', (ctx) => {
    const argument = parseSsidArgument(ctx.match);
    if (argument === undefined) return reply(ctx, watchUsageReply());
    const who = ctx.from?.username === undefined ? ctx.from?.first_name : `@${ctx.from.username}`;
    const reason = argument.rest || (who === undefined ? 'added in Telegram' : `added in Telegram by ${who}`);
    return answer(ctx, async () => {
      await api.watch(argument.ssid, reason);
      return watchingReply({ ssid: argument.ssid, reason });
    });
  });

  safe.command('unwatch', (ctx) => {
    const argument = parseSsidArgument(ctx.match);
    if (argument === undefined) return reply(ctx, unwatchUsageReply());
    return answer(ctx, async () => {
      // The API's DELETE is idempotent and cannot say whether the SSID was there: the list can.
      const watched = await api.watchedSsids();
      if (!watched.some((entry) => entry.ssid === argument.ssid)) return notWatchedReply(argument.ssid);
      await api.unwatch(argument.ssid);
      return unwatchedReply(argument.ssid);
    });
  });

  safe.command('watched', (ctx) => answer(ctx, async () => watchedListReply(await api.watchedSsids())));
}

/**
 * A one-time keyboard with a button per suggested name: pressing one sends the name as a message, which is
 * looked up like any text. Names that would not read back as a name lookup (a command, a MAC) get no button.
 */
function buttons(names: readonly string[]) {
  const pressable = names.filter((name) => !name.startsWith('/') && normalizeMac(name.trim()) === undefined);
  if (pressable.length === 0) return undefined;
  return {
    keyboard: pressable.map((name) => [{ text: name }]),
    one_time_keyboard: true,
    resize_keyboard: true,
  };
}
