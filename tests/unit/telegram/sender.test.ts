// What the Telegram sender puts on screen and how it reads Bot API errors.
import { GrammyError, HttpError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { ChatQueue } from '../../../src/channels/telegram/chat-queue.js';
import {
  hashLinkCode,
  LINK_CODE_FORM,
  telegramLink,
} from '../../../src/channels/telegram/link-codes.js';
import {
  buttonProblem,
  classifyError,
  inlineKeyboard,
} from '../../../src/channels/telegram/sender.js';
import { chatKeyOf } from '../../../src/channels/telegram/updates.js';
import { privateFirstLine } from '../../../src/domain/lock-screen.js';

const apiError = (code: number, description: string, parameters = {}) =>
  new GrammyError(
    'call failed',
    { ok: false, error_code: code, description, parameters },
    'sendMessage',
    {},
  );

describe('Bot API errors', () => {
  it('maps each to what the dispatcher does next', () => {
    expect(
      classifyError(apiError(429, 'Too Many Requests: retry after 7', { retry_after: 7 })),
    ).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 7000,
    });
    expect(classifyError(apiError(403, 'Forbidden: bot was blocked by the user')).kind).toBe(
      'unreachable',
    );
    expect(classifyError(apiError(403, 'Forbidden: user is deactivated')).kind).toBe('unreachable');
    expect(classifyError(apiError(400, 'Bad Request: chat not found')).kind).toBe('unreachable');
    expect(classifyError(apiError(400, 'Bad Request: message is too long')).kind).toBe('permanent');
    expect(classifyError(apiError(502, 'Bad Gateway')).kind).toBe('transient');
    expect(classifyError(apiError(500, 'Internal Server Error')).kind).toBe('transient');
  });

  it('marks a network failure uncertain unless the request never left', () => {
    const network = (cause: unknown) =>
      classifyError(new HttpError("Network request for 'sendMessage' failed!", cause));
    // No answer in time, a cut connection: Telegram may have sent it.
    expect(network(new Error("Request to 'sendMessage' timed out after 60 seconds"))).toEqual({
      kind: 'transient',
      reason: 'network: no answer in time',
      uncertain: true,
    });
    expect(network(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toEqual({
      kind: 'transient',
      reason: 'network: ECONNRESET',
      uncertain: true,
    });
    // Refused or not found: nothing went out, a retry is safe.
    const url = 'https://api.telegram.org/bot123:secret/sendMessage';
    const refused = network(
      Object.assign(new Error(`request to ${url} failed, reason: connect ECONNREFUSED`), {
        code: 'ECONNREFUSED',
      }),
    );
    expect(refused).toEqual({ kind: 'transient', reason: 'network: ECONNREFUSED' });
    // The cause's message (with the token in its URL) is never kept.
    expect(JSON.stringify(refused)).not.toContain('secret');
  });
});

describe('what a message looks like', () => {
  it('keeps the programme off the first line', () => {
    expect(privateFirstLine('Votre RSA : rendez-vous demain')).toBe(
      'Relais\nVotre RSA : rendez-vous demain',
    );
    expect(privateFirstLine('Les allocataires sont invités')).toMatch(/^Relais\n/);
    expect(privateFirstLine('Rendez-vous demain\nau sujet de votre RSA')).toBe(
      'Rendez-vous demain\nau sujet de votre RSA',
    );
    expect(privateFirstLine('Une transversale')).toBe('Une transversale');
    // A notification shows the first line that is not blank: leading blank lines hide nothing.
    expect(privateFirstLine('\n\nVotre RSA : rendez-vous demain')).toBe(
      'Relais\nVotre RSA : rendez-vous demain',
    );
    expect(privateFirstLine('  \r\n\t\nLes allocataires sont invités')).toBe(
      'Relais\nLes allocataires sont invités',
    );
    expect(privateFirstLine('\nRendez-vous demain\nau sujet de votre RSA')).toBe(
      '\nRendez-vous demain\nau sujet de votre RSA',
    );
  });

  it('draws one button per row, short ones side by side', () => {
    expect(
      inlineKeyboard([
        { label: 'En voiture', data: 'f:mode:car' },
        { label: 'À pied', data: 'f:mode:walk' },
      ]),
    ).toEqual([
      [{ text: 'En voiture', callback_data: 'f:mode:car' }],
      [{ text: 'À pied', callback_data: 'f:mode:walk' }],
    ]);
    const scale = inlineKeyboard(
      ['1', '2', '3', '4', '5', '6', '7'].map((n) => ({ label: n, data: `f:hard:${n}` })),
    );
    expect(scale.map((row) => row.length)).toEqual([5, 2]);
  });

  it('refuses a button whose callback data Telegram cannot carry (1 to 64 bytes)', () => {
    expect(buttonProblem([{ label: 'Oui', data: `f:${'x'.repeat(60)}:y` }])).toBeUndefined();
    expect(buttonProblem(undefined)).toBeUndefined();
    expect(
      buttonProblem([
        { label: 'Oui', data: 'f:q:yes' },
        { label: 'Trop long', data: `f:${'é'.repeat(31)}:n` },
      ]),
    ).toBe('the button "Trop long" carries 66 bytes of callback data; Telegram accepts 1 to 64');
    expect(buttonProblem([{ label: 'Vide', data: '' }])).toMatch(/"Vide" carries 0 bytes/);
  });
});

describe('link codes', () => {
  it('are unguessable start parameters, stored as hashes', () => {
    expect(LINK_CODE_FORM.test('a'.repeat(22))).toBe(true);
    expect(LINK_CODE_FORM.test('short')).toBe(false);
    expect(LINK_CODE_FORM.test(`${'a'.repeat(21)}!`)).toBe(false);
    expect(hashLinkCode('abc')).toMatch(/^[0-9a-f]{64}$/);
    expect(telegramLink('relais_bot', 'XYZ')).toBe('https://t.me/relais_bot?start=XYZ');
  });
});

describe('ChatQueue', () => {
  it('runs one chat in order and different chats side by side', async () => {
    const q = new ChatQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
    };
    q.push('1', task('a1', 30));
    q.push('1', task('a2', 1));
    q.push('2', task('b1', 5));
    q.push('1', async () => {
      throw new Error('a failure does not stop the chat');
    });
    q.push('1', task('a3', 1));
    await q.idle();
    expect(log.filter((l) => / a\d/.test(l))).toEqual([
      'start a1',
      'end a1',
      'start a2',
      'end a2',
      'start a3',
      'end a3',
    ]);
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'));
    expect(q.size).toBe(0);
  });

  it('keys updates by their chat', () => {
    expect(chatKeyOf({ update_id: 1, message: { chat: { id: 5 } } } as never)).toBe('5');
    expect(
      chatKeyOf({
        update_id: 2,
        callback_query: { from: { id: 6 }, message: { chat: { id: 6 } } },
      } as never),
    ).toBe('6');
    expect(chatKeyOf({ update_id: 3 } as never)).toBe('none');
  });
});
