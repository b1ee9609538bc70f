import { Bot, type Context } from 'grammy';
import type { ProbestreamApiClient } from './api-client.js';
import { parseSsidArgument } from './command-arguments.js';
import type { BotConfig } from './config.js';
import { ApiRequestError, describeError } from './errors.js';
import {
  helpReply,
  internalErrorReply,
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
import { lookupReply } from './lookup.js';

export interface ProbeBotOptions {
  readonly config: BotConfig;
  readonly api: ProbestreamApiClient;
  readonly log: (line: string) => void;
}

/** The commands as Telegram lists them (setMyCommands). */
export const BOT_COMMANDS = Object.freeze([
  { command: 'stats', description: 'Probe statistics of a device: /stats <mac|name>' },
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
  const { config, api, log } = options;
  // Long polls last 30 s; a call that takes twice that is not coming back.
  const bot = new Bot(config.token, { client: { apiRoot: config.apiRoot, timeoutSeconds: 60 } });
  const allowed = new Set(config.allowedChatIds);
  const reply = (ctx: Context, text: string) => ctx.reply(text, REPLY_OPTIONS);

  // Polling hands handler errors to bot.catch, webhooks throw them at the HTTP server: the boundary
  // answers both the same way.
  const safe = bot.errorBoundary(async ({ error, ctx }) => {
    log(`bot: update ${ctx.update.update_id} failed: ${describeError(error, config.token)}`);
    if (ctx.chat !== undefined && allowed.has(ctx.chat.id)) {
      await reply(ctx, internalErrorReply()).catch((failure) => {
        log(`bot: could not tell chat ${ctx.chat?.id} about it: ${describeError(failure, config.token)}`);
      });
    }
  });
  bot.catch(({ error, ctx }) => {
    log(`bot: update ${ctx.update.update_id} failed: ${describeError(error, config.token)}`);
  });

  safe.use(async (ctx, next) => {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return;
    if (allowed.has(chatId)) return next();
    if (ctx.message === undefined) return;
    log(`bot: refused a message from chat ${chatId}, not in the allowed chat ids`);
    await reply(ctx, refusalReply(chatId));
  });

  /** Runs `query`, turning what the API said into the reply, and only that. */
  async function answer(ctx: Context, query: () => Promise<string>): Promise<void> {
    let text: string;
    try {
      text = await query();
    } catch (error) {
      if (!(error instanceof ApiRequestError)) throw error;
      log(`bot: a query for chat ${ctx.chat?.id} failed: ${describeError(error, config.token)}`);
      text = queryFailedReply(error);
    }
    await reply(ctx, text);
  }

  function lookup(ctx: Context, text: string): Promise<unknown> {
    const query = text.trim();
    if (query === '') return reply(ctx, statsUsageReply());
    return answer(ctx, () => lookupReply(api, query, config.timezone));
  }

  safe.command(['start', 'help'], (ctx) => reply(ctx, helpReply(config.timezone)));

  safe.command('stats', (ctx) => lookup(ctx, ctx.match));

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

  safe.on('message:text', (ctx) => {
    if (ctx.message.text.startsWith('/')) return reply(ctx, unknownCommandReply());
    return lookup(ctx, ctx.message.text);
  });

  return bot;
}
