// Sends outbox messages to Telegram: plain text with one inline button per answer, within
// Telegram's limits (throttle.ts), and Bot API errors turned into the dispatcher's kinds:
// 429 -> rate_limited (retry_after honoured), 5xx and network -> transient (the dispatcher
// backs off; a request that may have reached Telegram is marked uncertain), 403 blocked /
// chat gone -> unreachable (it marks the identity and falls back to SMS), any other refusal
// -> permanent. A button Telegram cannot carry fails the message before any request.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Api, GrammyError, HttpError } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import { privateFirstLine } from '../../domain/lock-screen.js';
import type { Logger } from '../../logger.js';
import {
  type ChannelSender,
  defaultCapabilities,
  type OutboundButton,
  type OutboundMessage,
  type SendResult,
} from '../channel.js';
import type { SendThrottle } from './throttle.js';

/** Telegram's limits on what a message carries. */
const MAX_TEXT = 4096;
const MAX_CALLBACK_BYTES = 64;
/** Longest pause after a 429 that send() sleeps through rather than deferring. */
const MAX_BLOCK_MS = 5000;

/**
 * Why Telegram would refuse these buttons (callback data of 1 to 64 bytes), if it would.
 * Dropping such a button would leave a question its answer cannot be given to.
 */
export function buttonProblem(buttons: OutboundButton[] | undefined): string | undefined {
  for (const b of buttons ?? []) {
    const bytes = Buffer.byteLength(b.data, 'utf8');
    if (bytes < 1 || bytes > MAX_CALLBACK_BYTES) {
      return `the button "${b.label}" carries ${bytes} bytes of callback data; Telegram accepts 1 to ${MAX_CALLBACK_BYTES}`;
    }
  }
  return undefined;
}

/** One button per row, except short ones (a scale, yes/no numbers) that share rows. */
export function inlineKeyboard(buttons: OutboundButton[]): InlineKeyboardButton[][] {
  const short = buttons.every((b) => [...b.label].length <= 3);
  const rows: InlineKeyboardButton[][] = [];
  const perRow = short ? 5 : 1;
  for (let i = 0; i < buttons.length; i += perRow) {
    rows.push(buttons.slice(i, i + perRow).map((b) => ({ text: b.label, callback_data: b.data })));
  }
  return rows;
}

export interface SendFailure {
  kind: 'transient' | 'rate_limited' | 'permanent' | 'unreachable';
  reason: string;
  retryAfterMs?: number;
  /** The request may have reached Telegram (see classifyError). */
  uncertain?: boolean;
}

// Network errors that mean the request never left: nothing can have been sent.
const NEVER_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/** What a Bot API error means for the message (and for the chat). */
export function classifyError(error: unknown): SendFailure {
  if (error instanceof GrammyError) {
    const reason = `${error.error_code} ${error.description}`;
    if (error.error_code === 429) {
      const seconds = error.parameters.retry_after ?? 1;
      return { kind: 'rate_limited', reason, retryAfterMs: seconds * 1000 };
    }
    if (error.error_code >= 500) return { kind: 'transient', reason };
    if (error.error_code === 403) return { kind: 'unreachable', reason };
    if (
      error.error_code === 400 &&
      /chat not found|user not found|chat_id is empty/i.test(error.description)
    ) {
      return { kind: 'unreachable', reason };
    }
    // 401/404: our token or API root is wrong; worth retrying once it is fixed.
    if (error.error_code === 401 || error.error_code === 404) return { kind: 'transient', reason };
    return { kind: 'permanent', reason };
  }
  if (error instanceof HttpError) {
    // The Bot API has no idempotency key: after a timeout or a cut connection, Telegram may
    // have sent the message. Marked uncertain, the dispatcher does not send it again at
    // once; it waits for the stale-claim pass (docs/telegram.md). The cause's own message
    // is not kept: it can hold the request URL, and so the bot token.
    const cause = error.error as { code?: unknown; message?: unknown } | undefined;
    const code = typeof cause?.code === 'string' ? cause.code : undefined;
    if (code && NEVER_SENT.has(code)) return { kind: 'transient', reason: `network: ${code}` };
    const timedOut = typeof cause?.message === 'string' && /timed out/.test(cause.message);
    return {
      kind: 'transient',
      reason: `network: ${timedOut ? 'no answer in time' : (code ?? 'connection lost')}`,
      uncertain: true,
    };
  }
  return { kind: 'transient', reason: error instanceof Error ? error.message : String(error) };
}

export interface TelegramSenderOptions {
  api: Api;
  throttle: SendThrottle;
  logger: Logger;
}

export class TelegramSender implements ChannelSender {
  readonly id = 'telegram' as const;
  readonly capabilities = defaultCapabilities.telegram;

  /** The send in progress to each chat: the next one to that chat starts after it. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly options: TelegramSenderOptions) {}

  /** One request at a time per chat, in the order send() was called (the outbox order). */
  private inOrder<T>(chatId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(chatId) ?? Promise.resolve();
    const result = previous.then(task, task);
    const settled = result.then(
      () => {},
      () => {},
    );
    this.chains.set(chatId, settled);
    void settled.then(() => {
      if (this.chains.get(chatId) === settled) this.chains.delete(chatId);
    });
    return result;
  }

  send(message: OutboundMessage): Promise<SendResult> {
    return this.inOrder(message.address, () => this.sendNow(message));
  }

  private async sendNow(message: OutboundMessage): Promise<SendResult> {
    const problem = buttonProblem(message.buttons);
    if (problem) return { ok: false, kind: 'permanent', reason: problem };
    for (;;) {
      const admission = this.options.throttle.admit(message.address, message.id);
      if (admission.ok) {
        if (admission.waitMs > 0) await sleep(admission.waitMs);
        await this.options.throttle.started(message.address, sleep);
        const result = await this.call(message.address, message.text, message.buttons);
        if (!result.ok && result.kind === 'rate_limited') {
          this.options.throttle.retryFirst(
            message.address,
            message.id,
            result.retryAfterMs ?? 1000,
          );
        }
        return result;
      }
      // A short pause for everyone (after a 429) is waited out here: deferring every
      // message of a broadcast would spend their attempts for nothing.
      if (admission.reason === 'flood' && admission.retryAfterMs <= MAX_BLOCK_MS) {
        await sleep(admission.retryAfterMs);
        continue;
      }
      return {
        ok: false,
        kind: 'rate_limited',
        reason: `telegram ${admission.reason} limit`,
        retryAfterMs: admission.retryAfterMs,
      };
    }
  }

  /**
   * A message to a chat that has no identity (a stranger, a group being refused): same
   * limits, but waits for its turn instead of being deferred, since there is no outbox row
   * to come back to. Failures are logged and dropped.
   */
  sendDirect(chatId: string, text: string, buttons?: OutboundButton[]): Promise<boolean> {
    return this.inOrder(chatId, () => this.sendDirectNow(chatId, text, buttons));
  }

  private async sendDirectNow(
    chatId: string,
    text: string,
    buttons?: OutboundButton[],
  ): Promise<boolean> {
    const id = `direct:${chatId}:${Date.now()}:${Math.random()}`;
    const problem = buttonProblem(buttons);
    if (problem) {
      this.options.logger.error(
        { problem },
        'telegram: a direct reply has a button Telegram refuses',
      );
      return false;
    }
    for (let turn = 0; turn < 20; turn++) {
      const admission = this.options.throttle.admit(chatId, id);
      if (admission.ok) {
        if (admission.waitMs > 0) await sleep(admission.waitMs);
        await this.options.throttle.started(chatId, sleep);
        const result = await this.call(chatId, text, buttons);
        if (result.ok) return true;
        if (result.kind !== 'rate_limited' && result.kind !== 'transient') break;
        // Perhaps delivered: a second copy is worse than none for a one-off reply.
        if (result.uncertain) break;
        await sleep(Math.min(result.retryAfterMs ?? 1000, 5000));
        continue;
      }
      await sleep(Math.min(admission.retryAfterMs, 5000));
    }
    this.options.logger.warn('telegram: a direct reply could not be sent');
    return false;
  }

  private async call(
    chatId: string,
    text: string,
    buttons: OutboundButton[] | undefined,
  ): Promise<SendResult> {
    const { api, throttle, logger } = this.options;
    const keyboard = buttons?.length ? inlineKeyboard(buttons) : undefined;
    try {
      const sent = await api.sendMessage(chatId, privateFirstLine(text).slice(0, MAX_TEXT), {
        link_preview_options: { is_disabled: true },
        ...(keyboard?.length ? { reply_markup: { inline_keyboard: keyboard } } : {}),
      });
      return { ok: true, providerId: `${sent.chat.id}:${sent.message_id}` };
    } catch (error) {
      const failure = classifyError(error);
      if (failure.kind === 'rate_limited') throttle.pause(failure.retryAfterMs ?? 1000);
      if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
        logger.error(
          { code: error.error_code },
          'telegram refused the bot token or API root: check TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT',
        );
      }
      return { ok: false, ...failure };
    }
  }
}
