import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Telegram Bot API server on loopback, for grammY's `apiRoot`. It records every call, answers getMe,
 * sendMessage, getUpdates (long polling with `offset`, `limit` and `timeout`, as Telegram does),
 * setWebhook/deleteWebhook/getWebhookInfo and setMyCommands, checks the token, and checks HTML texts the way
 * Telegram does (a stray `<` or `&` is refused with a 400). It can be told to answer sendMessage with a
 * 429 (`parameters.retry_after`), a 400 for a chat, a 500, or to drop the connection.
 */

export interface TelegramCall {
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Date.now() when the call arrived. */
  readonly at: number;
  /** The HTTP status answered (0: the connection was dropped). */
  status: number;
}

export interface SentMessage {
  readonly chatId: number;
  readonly text: string;
  readonly at: number;
}

export interface InjectedFailure {
  readonly errorCode: number;
  readonly description?: string;
  readonly retryAfter?: number;
}

interface Poller {
  readonly offset: number;
  readonly limit: number;
  readonly answer: (status: number, body: unknown) => void;
  timer: NodeJS.Timeout | undefined;
}

/** The tags Telegram's HTML parse mode knows. */
const ALLOWED_TAGS = new Set(
  'b strong i em u ins s strike del span tg-spoiler a code pre blockquote tg-emoji'.split(' '),
);

export class FakeTelegram {
  readonly token: string;
  readonly botId: number;
  readonly calls: TelegramCall[] = [];
  /** Milliseconds each sendMessage takes before it is answered. */
  sendDelayMs = 0;
  webhook: { url: string; secret: string | undefined } | undefined;
  readonly #server: Server;
  readonly #updates: Record<string, unknown>[] = [];
  readonly #failures: (InjectedFailure | 'drop')[] = [];
  readonly #rejectedChats = new Map<number, string>();
  readonly #listeners = new Set<() => void>();
  #poller: Poller | undefined;
  #nextUpdateId = 1;
  #nextMessageId = 1;

  private constructor(server: Server, token: string) {
    this.#server = server;
    this.token = token;
    this.botId = Number(token.split(':')[0]);
  }

  /** Starts a fake on 127.0.0.1 for the bot with this token. */
  static async start(token: string): Promise<FakeTelegram> {
    let fake: FakeTelegram | undefined;
    const server = createServer((request, response) => void fake?.handle(request, response));
    fake = new FakeTelegram(server, token);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** What grammY takes as `apiRoot`. */
  get apiRoot(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Queues an update for getUpdates; an update_id is assigned when missing. Returns the update. */
  pushUpdate(update: Record<string, unknown>): Record<string, unknown> {
    const full = { update_id: this.#nextUpdateId, ...update };
    this.#nextUpdateId = Math.max(this.#nextUpdateId, Number(full.update_id)) + 1;
    this.#updates.push(full);
    this.#wakePoller();
    return full;
  }

  /** A text message update from `chatId` (private when positive), with a bot_command entity for `/…`. */
  textUpdate(
    chatId: number,
    text: string,
    from = { id: Math.abs(chatId), first_name: 'Ada', username: 'ada' },
  ) {
    const command = /^\/\S+/.exec(text);
    return {
      update_id: this.#nextUpdateId++,
      message: {
        message_id: this.#nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat:
          chatId > 0
            ? { id: chatId, type: 'private', first_name: from.first_name }
            : { id: chatId, type: 'group', title: 'g' },
        from: { is_bot: false, ...from },
        text,
        ...(command === null
          ? {}
          : { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] }),
      },
    };
  }

  /** Queues a text message from `chatId` for getUpdates. */
  pushText(chatId: number, text: string): void {
    this.pushUpdate(this.textUpdate(chatId, text));
  }

  /** The next `times` sendMessage calls fail with this error (after any failures queued before). */
  failSendMessage(times: number, failure: InjectedFailure): void {
    for (let i = 0; i < times; i++) this.#failures.push(failure);
  }

  /** The next `times` sendMessage calls get no answer: the connection is dropped. */
  dropSendMessage(times: number): void {
    for (let i = 0; i < times; i++) this.#failures.push('drop');
  }

  /** Every sendMessage to `chatId` gets a 400 with this description. */
  rejectChat(chatId: number, description = 'Bad Request: chat not found'): void {
    this.#rejectedChats.set(chatId, description);
  }

  /** The messages Telegram accepted, in order, optionally of one chat. */
  sent(chatId?: number): SentMessage[] {
    return this.calls
      .filter((call) => call.method === 'sendMessage' && call.status === 200)
      .map((call) => ({ chatId: Number(call.params.chat_id), text: String(call.params.text), at: call.at }))
      .filter((message) => chatId === undefined || message.chatId === chatId);
  }

  /** Resolves with the calls once `done(calls)` holds; fails after `timeoutMs` naming what was seen. */
  async waitFor(
    done: (calls: readonly TelegramCall[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<TelegramCall[]> {
    if (done(this.calls)) return this.calls;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.calls)) return;
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve(this.calls);
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        const seen = this.calls.map((call) => `${call.method}:${call.status}`).join(', ');
        reject(new Error(`fake Telegram: condition not met within ${timeoutMs} ms; calls: ${seen}`));
      }, timeoutMs);
      this.#listeners.add(check);
    });
  }

  /** Waits until `count` messages were accepted (for `chatId` if given) and returns them. */
  async waitForSent(count: number, chatId?: number, timeoutMs = 10_000): Promise<SentMessage[]> {
    await this.waitFor(() => this.sent(chatId).length >= count, timeoutMs);
    return this.sent(chatId);
  }

  async close(): Promise<void> {
    this.#poller?.answer(200, { ok: true, result: [] });
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = Date.now();
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(new URL(request.url ?? '/', 'http://x').pathname);
    const body = await readBody(request);
    const params = await parseParams(request.headers['content-type'], body);
    const call: TelegramCall = { method: match?.[2] ?? '', params, at, status: 0 };
    this.calls.push(call);
    this.#notify();
    const answer = (status: number, payload: unknown) => {
      if (response.writableEnded || response.destroyed) return;
      call.status = status;
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      this.#notify();
    };
    if (match === null) return answer(404, error(404, 'Not Found'));
    if (match[1] !== this.token) return answer(401, error(401, 'Unauthorized'));
    const method = match[2] as string;
    switch (method) {
      case 'getMe':
        return answer(200, ok(this.#me()));
      case 'getUpdates':
        return this.#getUpdates(params, answer, request);
      case 'sendMessage':
        return this.#sendMessage(params, answer, response);
      case 'setWebhook':
        this.webhook = {
          url: String(params.url),
          secret: params.secret_token === undefined ? undefined : String(params.secret_token),
        };
        return answer(200, ok(true));
      case 'deleteWebhook':
        this.webhook = undefined;
        if (params.drop_pending_updates === true) this.#updates.splice(0);
        return answer(200, ok(true));
      case 'getWebhookInfo':
        return answer(200, ok({ url: this.webhook?.url ?? '', pending_update_count: this.#updates.length }));
      case 'setMyCommands':
        return answer(200, ok(true));
      default:
        return answer(404, error(404, 'Not Found: method not found'));
    }
  }

  #me() {
    return {
      id: this.botId,
      is_bot: true,
      first_name: 'probestream test',
      username: 'probestream_test_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
    };
  }

  #getUpdates(
    params: Record<string, unknown>,
    answer: (s: number, b: unknown) => void,
    request: IncomingMessage,
  ) {
    if (this.webhook !== undefined) {
      return answer(
        409,
        error(
          409,
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        ),
      );
    }
    const offset = Number(params.offset ?? 0);
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeout = Math.max(0, Number(params.timeout ?? 0));
    // An offset confirms every update before it: Telegram forgets them.
    if (offset > 0) {
      const confirmed = this.#updates.findIndex((update) => Number(update.update_id) >= offset);
      this.#updates.splice(0, confirmed === -1 ? this.#updates.length : confirmed);
    }
    // A second poller ends the first, as Telegram does.
    this.#poller?.answer(409, error(409, 'Conflict: terminated by other getUpdates request'));
    const ready = this.#updates.slice(0, limit);
    if (ready.length > 0 || timeout === 0) return answer(200, ok(ready));
    const poller: Poller = {
      offset,
      limit,
      timer: undefined,
      answer: (status, body) => {
        clearTimeout(poller.timer);
        if (this.#poller === poller) this.#poller = undefined;
        answer(status, body);
      },
    };
    poller.timer = setTimeout(() => poller.answer(200, ok([])), timeout * 1000);
    this.#poller = poller;
    request.socket.once('close', () => {
      clearTimeout(poller.timer);
      if (this.#poller === poller) this.#poller = undefined;
    });
  }

  #wakePoller(): void {
    const poller = this.#poller;
    if (poller === undefined) return;
    const ready = this.#updates
      .filter((update) => Number(update.update_id) >= poller.offset)
      .slice(0, poller.limit);
    if (ready.length > 0) poller.answer(200, ok(ready));
  }

  async #sendMessage(
    params: Record<string, unknown>,
    answer: (s: number, b: unknown) => void,
    response: ServerResponse,
  ) {
    if (this.sendDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.sendDelayMs));
    const failure = this.#failures.shift();
    if (failure === 'drop') {
      response.socket?.destroy();
      this.#notify();
      return;
    }
    if (failure !== undefined) {
      const description =
        failure.description ??
        (failure.errorCode === 429
          ? `Too Many Requests: retry after ${failure.retryAfter}`
          : 'Internal Server Error');
      const parameters = failure.retryAfter === undefined ? undefined : { retry_after: failure.retryAfter };
      return answer(failure.errorCode, error(failure.errorCode, description, parameters));
    }
    const chatId = Number(params.chat_id);
    const text = typeof params.text === 'string' ? params.text : '';
    if (!Number.isSafeInteger(chatId)) return answer(400, error(400, 'Bad Request: chat_id is empty'));
    const rejected = this.#rejectedChats.get(chatId);
    if (rejected !== undefined) return answer(400, error(400, rejected));
    let plain = text;
    if (params.parse_mode === 'HTML') {
      const parsed = parseTelegramHtml(text);
      if ('error' in parsed)
        return answer(400, error(400, `Bad Request: can't parse entities: ${parsed.error}`));
      plain = parsed.text;
    }
    if (plain.trim() === '') return answer(400, error(400, 'Bad Request: message text is empty'));
    if (plain.length > 4096) return answer(400, error(400, 'Bad Request: message is too long'));
    return answer(
      200,
      ok({
        message_id: this.#nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: chatId > 0 ? 'private' : 'group' },
        from: { id: this.botId, is_bot: true, first_name: 'probestream test' },
        text: plain,
      }),
    );
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

function ok(result: unknown) {
  return { ok: true, result };
}

function error(code: number, description: string, parameters?: Record<string, unknown>) {
  return { ok: false, error_code: code, description, ...(parameters === undefined ? {} : { parameters }) };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

async function parseParams(contentType: string | undefined, body: Buffer): Promise<Record<string, unknown>> {
  if (body.length === 0) return {};
  const type = contentType ?? '';
  if (type.startsWith('application/json'))
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  if (type.startsWith('multipart/form-data') || type.startsWith('application/x-www-form-urlencoded')) {
    const form = await new Response(body, { headers: { 'content-type': type } }).formData();
    const params: Record<string, unknown> = {};
    for (const [key, value] of form.entries()) {
      if (typeof value !== 'string') {
        params[key] = value;
        continue;
      }
      // Telegram reads form fields as JSON where they parse (numbers, objects), else as text.
      try {
        params[key] = JSON.parse(value);
      } catch {
        params[key] = value;
      }
    }
    return params;
  }
  return {};
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/**
 * The text Telegram would show for an HTML-mode message, or why it refuses it: tags must be known and
 * nested, and every `<`, `>` and `&` outside a tag must be an entity.
 */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const open: string[] = [];
  let text = '';
  for (let i = 0; i < html.length; ) {
    const char = html[i] as string;
    if (char === '<') {
      const tag = /^<(\/?)([a-z-]+)(\s[^<>]*)?>/.exec(html.slice(i));
      if (tag === null) return { error: `unsupported start tag at byte offset ${i}` };
      const [whole, closing, name] = tag as unknown as [string, string, string];
      if (!ALLOWED_TAGS.has(name)) return { error: `unsupported start tag "${name}" at byte offset ${i}` };
      if (closing === '') open.push(name);
      else if (open.pop() !== name)
        return { error: `unmatched end tag at byte offset ${i}, expected "</${name}>"` };
      i += whole.length;
    } else if (char === '&') {
      const entity = /^&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-f]{1,6});/i.exec(html.slice(i));
      if (entity === null) return { error: `character "&" at byte offset ${i} is not an entity` };
      const name = (entity[1] as string).toLowerCase();
      text += name.startsWith('#x')
        ? String.fromCodePoint(Number.parseInt(name.slice(2), 16))
        : name.startsWith('#')
          ? String.fromCodePoint(Number(name.slice(1)))
          : (ENTITIES[name] as string);
      i += entity[0].length;
    } else if (char === '>') {
      return { error: `character ">" at byte offset ${i} must be escaped` };
    } else {
      text += char;
      i += 1;
    }
  }
  if (open.length > 0) return { error: `can't find end tag corresponding to start tag "${open.at(-1)}"` };
  return { text };
}
