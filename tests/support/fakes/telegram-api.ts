// A fake Telegram Bot API on 127.0.0.1 for tests and benchmarks. Point grammY at it with
// TELEGRAM_API_ROOT=<fake.url>: it serves /bot<token>/<method>, records every call (method,
// params, time, the status it answered) and can be told to fail on demand: 429 with
// retry_after, 403 "bot was blocked by the user", 5xx; for a number of calls, for one chat,
// or for a time. Long polling (getUpdates) serves the updates a test pushes. A method the
// bot put in its answer to a webhook POST (a "webhook reply") is carried out as Telegram
// does, by webhookReply: whoever posts updates hands it the answer (fakeAt finds the fake).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface FakeCall {
  method: string;
  params: Record<string, unknown>;
  /** Milliseconds since the epoch, sub-millisecond precision, when the request arrived. */
  at: number;
  /** HTTP status the fake answered with. */
  status: number;
  token: string;
  /** What the fake answered (ok calls): a sent message carries its message_id. */
  result?: unknown;
  /** Made by the bot in its answer to a webhook POST, not by a request of its own. */
  viaWebhook?: true;
}

export interface FailureRule {
  /**
   * 429 (rate limit), 403 (blocked by the user), 400 (chat not found), 5xx, or 'cut': the
   * call is carried out (a message reaches the person) but the connection is cut before
   * the answer, as when a timeout or a network failure hides Telegram's answer.
   */
  status: 429 | 403 | 400 | 500 | 502 | 503 | 'cut';
  /** Only this method; default sendMessage. '*' for any method. */
  method?: string;
  /** Only calls for this chat. */
  chatId?: number | string;
  /** For 429: the retry_after in seconds (default 1). */
  retryAfter?: number;
  /** Fail this many matching calls, then stop (default: unlimited within `forMs`). */
  times?: number;
  /** Fail only these matching calls (1-based positions among the calls the rule sees). */
  nth?: number[];
  /** Fail matching calls during this many milliseconds from now. */
  forMs?: number;
  description?: string;
}

interface ActiveRule extends FailureRule {
  seen: number;
  failed: number;
  until?: number;
}

export interface FakeTelegramApi {
  /** The API root to give grammY (no trailing slash). */
  url: string;
  token: string;
  botInfo: { id: number; is_bot: true; first_name: string; username: string };
  /** Every call, in arrival order, failed ones included. */
  calls: FakeCall[];
  /** Calls of one method answered with ok: true. */
  ok(method: string): FakeCall[];
  /** sendMessage calls answered with ok: true (what reached people). */
  delivered(chatId?: number | string): FakeCall[];
  /**
   * The bot's answer to a webhook POST made at `postedAt` (now()): a method in it is
   * carried out and recorded as Telegram would, after the calls that came before the POST
   * (Telegram runs it once the answer arrives; the bot may have made other calls meanwhile).
   */
  webhookReply(answer: unknown, postedAt: number): void;
  fail(rule: FailureRule): void;
  clearFailures(): void;
  /** Makes updates available to getUpdates (update_id is assigned when missing). */
  pushUpdates(...updates: Record<string, unknown>[]): void;
  /** Calls `listener` with every call as it is recorded; returns the unsubscribe. */
  onCall(listener: (call: FakeCall) => void): () => void;
  /** Resolves once `predicate` holds for the recorded calls, or rejects after timeoutMs. */
  waitFor(predicate: (calls: FakeCall[]) => boolean, timeoutMs?: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

/** The fakes running in this process, by API root. */
const running = new Map<string, FakeTelegramApi>();

/** The fake serving this API root (a Relais' TELEGRAM_API_ROOT), if it runs here. */
export function fakeAt(apiRoot: string): FakeTelegramApi | undefined {
  return running.get(apiRoot.replace(/\/+$/, ''));
}

export const FAKE_TOKEN = '123456789:AAFakeTokenForTheTestsOnly_0123456789';

export function now(): number {
  return performance.timeOrigin + performance.now();
}

const blockedDescriptions: Record<number, string> = {
  403: 'Forbidden: bot was blocked by the user',
  400: 'Bad Request: chat not found',
  429: 'Too Many Requests: retry after',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const url = new URL(req.url ?? '/', 'http://fake');
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  if (!raw) return params;
  const type = req.headers['content-type'] ?? '';
  if (type.includes('json')) return { ...params, ...(JSON.parse(raw) as Record<string, unknown>) };
  if (type.includes('x-www-form-urlencoded'))
    return { ...params, ...Object.fromEntries(new URLSearchParams(raw)) };
  return params;
}

export async function startFakeTelegramApi(
  options: { token?: string; username?: string } = {},
): Promise<FakeTelegramApi> {
  const token = options.token ?? FAKE_TOKEN;
  const botId = Number(token.split(':')[0]);
  const botInfo = {
    id: botId,
    is_bot: true as const,
    first_name: 'Relais',
    username: options.username ?? 'relais_test_bot',
  };
  const calls: FakeCall[] = [];
  let rules: ActiveRule[] = [];
  let messageId = 1000;
  let nextUpdateId = 500_000;
  let updates: Record<string, unknown>[] = [];
  const pollers = new Set<() => void>();
  const watchers = new Set<() => void>();
  const listeners = new Set<(call: FakeCall) => void>();

  const notify = (call = calls.at(-1)) => {
    if (call) for (const l of [...listeners]) l(call);
    for (const w of [...watchers]) w();
  };

  const failureFor = (method: string, params: Record<string, unknown>, at: number) => {
    for (const rule of rules) {
      const methodMatches = (rule.method ?? 'sendMessage') === method || rule.method === '*';
      const chatMatches =
        rule.chatId === undefined || String(rule.chatId) === String(params.chat_id ?? '');
      if (!methodMatches || !chatMatches) continue;
      if (rule.until !== undefined && at > rule.until) continue;
      rule.seen += 1;
      if (rule.nth && !rule.nth.includes(rule.seen)) continue;
      if (rule.times !== undefined && rule.failed >= rule.times) continue;
      rule.failed += 1;
      return rule;
    }
    return undefined;
  };

  const result = (method: string, params: Record<string, unknown>): unknown => {
    const date = Math.floor(Date.now() / 1000);
    const chatId = Number(params.chat_id);
    switch (method) {
      case 'getMe':
        return botInfo;
      case 'sendMessage':
        return {
          message_id: ++messageId,
          date,
          chat: { id: chatId, type: chatId < 0 ? 'group' : 'private' },
          from: botInfo,
          text: params.text,
          ...(params.reply_markup ? { reply_markup: params.reply_markup } : {}),
        };
      case 'editMessageReplyMarkup':
      case 'editMessageText':
        return {
          message_id: Number(params.message_id),
          date,
          chat: { id: chatId, type: 'private' },
          from: botInfo,
          text: params.text ?? '',
          edit_date: date,
        };
      case 'getFile':
        return {
          file_id: params.file_id,
          file_unique_id: `u${String(params.file_id).slice(0, 8)}`,
          file_size: 4096,
          file_path: `voice/${String(params.file_id)}.oga`,
        };
      case 'getWebhookInfo':
        return { url: '', has_custom_certificate: false, pending_update_count: 0 };
      default:
        // answerCallbackQuery, setWebhook, deleteWebhook, setMyCommands, leaveChat...
        return true;
    }
  };

  const takeUpdates = (params: Record<string, unknown>) => {
    const offset = params.offset === undefined ? undefined : Number(params.offset);
    if (offset !== undefined) updates = updates.filter((u) => Number(u.update_id) >= offset);
    const limit = params.limit === undefined ? 100 : Number(params.limit);
    return updates.slice(0, limit);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = now();
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(new URL(req.url ?? '/', 'http://fake').pathname);
    if (file) {
      // Downloads of files that getFile described: a few bytes of an Ogg voice note.
      calls.push({
        method: 'file',
        params: { path: file[2] },
        at,
        status: file[1] === token ? 200 : 401,
        token: file[1] ?? '',
      });
      notify();
      if (file[1] !== token) {
        res.writeHead(401);
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'audio/ogg' });
      return res.end(Buffer.from(`OggS fake voice ${file[2]}`));
    }
    const match = /^\/bot([^/]+)\/([A-Za-z]+)/.exec(
      new URL(req.url ?? '/', 'http://fake').pathname,
    );
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!match?.[1] || !match[2])
      return send(404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, callToken, method] = match as unknown as [string, string, string];
    let params: Record<string, unknown>;
    try {
      params = await readBody(req);
    } catch {
      return send(400, { ok: false, error_code: 400, description: 'Bad Request: bad body' });
    }
    const record = (status: number, answer?: unknown) => {
      calls.push({ method, params, at, status, token: callToken, result: answer });
      notify();
    };
    if (callToken !== token) {
      record(401);
      return send(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    }
    const rule = failureFor(method, params, at);
    if (rule?.status === 'cut') {
      record(200, result(method, params));
      res.socket?.destroy();
      return;
    }
    if (rule) {
      record(rule.status);
      const description =
        rule.description ??
        (rule.status === 429
          ? `Too Many Requests: retry after ${rule.retryAfter ?? 1}`
          : blockedDescriptions[rule.status]);
      return send(rule.status, {
        ok: false,
        error_code: rule.status,
        description,
        ...(rule.status === 429 ? { parameters: { retry_after: rule.retryAfter ?? 1 } } : {}),
      });
    }
    if (method === 'getUpdates') {
      record(200);
      let ready = takeUpdates(params);
      const timeout = Math.min(Number(params.timeout ?? 0), 50) * 1000;
      if (ready.length === 0 && timeout > 0) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            pollers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, timeout);
          pollers.add(wake);
          req.on('close', wake);
        });
        ready = takeUpdates(params);
      }
      if (!res.writableEnded && !res.destroyed) send(200, { ok: true, result: ready });
      return;
    }
    const answer = result(method, params);
    record(200, answer);
    send(200, { ok: true, result: answer });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error_code: 500, description: String(error) }));
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeTelegramApi = {
    url: `http://127.0.0.1:${port}`,
    token,
    botInfo,
    calls,
    ok: (method) => calls.filter((c) => c.method === method && c.status === 200),
    delivered: (chatId) =>
      calls.filter(
        (c) =>
          c.method === 'sendMessage' &&
          c.status === 200 &&
          (chatId === undefined || String(c.params.chat_id) === String(chatId)),
      ),
    webhookReply(answer, postedAt) {
      if (typeof answer !== 'object' || answer === null) return;
      const { method, ...params } = answer as Record<string, unknown>;
      if (typeof method !== 'string') return;
      let at = calls.length;
      while (at > 0 && (calls[at - 1] as FakeCall).at > postedAt) at--;
      const call: FakeCall = {
        method,
        params,
        at: postedAt,
        status: 200,
        token,
        result: result(method, params),
        viaWebhook: true,
      };
      calls.splice(at, 0, call);
      notify(call);
    },
    fail(rule) {
      rules.push({
        ...rule,
        seen: 0,
        failed: 0,
        until: rule.forMs === undefined ? undefined : now() + rule.forMs,
      });
    },
    clearFailures() {
      rules = [];
    },
    pushUpdates(...more) {
      for (const u of more) updates.push({ ...u, update_id: u.update_id ?? nextUpdateId++ });
      for (const wake of [...pollers]) wake();
    },
    onCall(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    waitFor(predicate, timeoutMs = 10_000) {
      if (predicate(calls)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(calls)) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(
            new Error(
              `fake Telegram API: condition not met after ${timeoutMs} ms; calls: ${calls
                .map((c) => `${c.method}(${c.status})`)
                .join(', ')}`,
            ),
          );
        }, timeoutMs);
        watchers.add(check);
      });
    },
    reset() {
      calls.length = 0;
      rules = [];
      updates = [];
    },
    async close() {
      for (const wake of [...pollers]) wake();
      running.delete(fake.url);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  running.set(fake.url, fake);
  return fake;
}
