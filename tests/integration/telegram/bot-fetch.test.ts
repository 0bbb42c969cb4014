// The HTTP client under grammY (bot-fetch.ts), against a server on 127.0.0.1: what grammY
// sends arrives whole, what the Bot API answers (refusals included) comes back as JSON,
// and grammY's errors keep the codes sender.ts sorts them by.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api, HttpError } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botFetch } from '../../../src/channels/telegram/bot-fetch.js';
import { classifyError } from '../../../src/channels/telegram/sender.js';

describe('botFetch (grammY over undici)', () => {
  let server: Server;
  let root: string;
  const seen: { url: string; type: string; body: unknown }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({
          url: req.url ?? '',
          type: req.headers['content-type'] ?? '',
          body: JSON.parse(body || '{}'),
        });
        res.setHeader('content-type', 'application/json');
        if (req.url?.endsWith('/sendMessage')) {
          res.end(
            JSON.stringify({ ok: true, result: { message_id: 7, date: 1, chat: { id: 1 } } }),
          );
        } else if (req.url?.endsWith('/getMe')) {
          res.statusCode = 429;
          res.end(
            JSON.stringify({
              ok: false,
              error_code: 429,
              description: 'Too Many Requests: retry after 3',
              parameters: { retry_after: 3 },
            }),
          );
        } else {
          // Neither JSON nor an answer of the Bot API: a proxy's error page.
          res.statusCode = 502;
          res.setHeader('content-type', 'text/html');
          res.end('<html>Bad gateway</html>');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const api = (apiRoot = root) =>
    new Api('123:abc', { apiRoot, fetch: botFetch() as unknown as typeof fetch });

  it('sends the JSON grammY builds and gives back the result', async () => {
    const sent = await api().sendMessage(1, 'Bonjour', {
      reply_markup: { inline_keyboard: [[{ text: 'Oui', callback_data: 'a:1' }]] },
    });
    expect(sent.message_id).toBe(7);
    expect(seen.at(-1)).toEqual({
      url: '/bot123:abc/sendMessage',
      type: 'application/json',
      body: {
        chat_id: 1,
        text: 'Bonjour',
        reply_markup: { inline_keyboard: [[{ text: 'Oui', callback_data: 'a:1' }]] },
      },
    });
  });

  it('passes a refusal on as grammY does: a 429 with its retry_after', async () => {
    const error = await api()
      .getMe()
      .catch((e: unknown) => e);
    expect(classifyError(error)).toEqual({
      kind: 'rate_limited',
      reason: '429 Too Many Requests: retry after 3',
      retryAfterMs: 3000,
    });
  });

  it('turns an answer that is not JSON into an HttpError: may have been sent', async () => {
    const error = await api()
      .getChat(1)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(classifyError(error)).toMatchObject({ kind: 'transient', uncertain: true });
  });

  it('keeps the code of a connection refused: never sent, safe to send again', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await api(`http://127.0.0.1:${port}`)
      .getMe()
      .catch((e: unknown) => e);
    expect(classifyError(error)).toEqual({ kind: 'transient', reason: 'network: ECONNREFUSED' });
  });
});
