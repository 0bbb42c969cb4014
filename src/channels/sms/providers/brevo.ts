// Brevo transactional SMS (the provider of the state's own RSA invitations).
// Send: POST {api}/transactionalSMS/send with the api-key header; our message id goes in
// `tag` and in the per-message event URL (`webUrl`), so every event names its message
// even when the send's answer was lost. Events (sent, delivered, soft/hard bounce,
// replied, unsubscribe...) come to one webhook. After a crash, the SMS event log is
// asked for our tag.

import type { SmsAccount } from '../../../config.js';
import { keepAliveFetch } from './http.js';
import {
  digits,
  httpFailure,
  type LookupResult,
  networkFailure,
  type ReceiptStatus,
  type SmsInbound,
  type SmsProvider,
  type SmsReceipt,
  toE164,
  type WebhookCall,
} from './types.js';

type BrevoAccount = Extract<SmsAccount, { kind: 'brevo' }>;

interface BrevoEvent {
  id?: number | string;
  messageId?: number | string;
  to?: string;
  msg_status?: string;
  event?: string;
  date?: string;
  ts_event?: number;
  tag?: string | string[];
  reply?: string;
  description?: string;
  reason?: string;
}

const STATUS: Record<string, ReceiptStatus | undefined> = {
  sent: 'sent',
  accepted: 'sent',
  delivered: 'delivered',
  soft_bounce: 'failed',
  soft_bounces: 'failed',
  hard_bounce: 'failed',
  hard_bounces: 'failed',
  blocked: 'failed',
  rejected: 'failed',
  error: 'failed',
  skip: 'failed',
};

function eventTime(e: BrevoEvent): Date {
  if (typeof e.ts_event === 'number') return new Date(e.ts_event * 1000);
  const parsed = e.date ? new Date(e.date) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : new Date();
}

function tagOf(e: BrevoEvent): string | undefined {
  return Array.isArray(e.tag) ? e.tag[0] : e.tag;
}

function eventsOf(body: unknown): BrevoEvent[] {
  if (Array.isArray(body)) return body.filter((e) => e && typeof e === 'object');
  return body && typeof body === 'object' ? [body as BrevoEvent] : [];
}

export function brevoProvider(
  account: BrevoAccount,
  options: { eventsUrl?: string; fetch?: typeof fetch; timeoutMs?: number } = {},
): SmsProvider {
  const doFetch = options.fetch ?? keepAliveFetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const headers = {
    'api-key': account.apiKey,
    'content-type': 'application/json',
    accept: 'application/json',
  };
  return {
    name: account.name,
    kind: 'brevo',
    ratePerSecond: account.ratePerSecond,
    async send(message) {
      const body = {
        sender: account.sender,
        recipient: digits(message.to),
        content: message.text,
        type: 'transactional',
        tag: message.messageId,
        unicodeEnabled: message.encoding === 'UCS-2',
        ...(options.eventsUrl
          ? { webUrl: `${options.eventsUrl}?ref=${encodeURIComponent(message.messageId)}` }
          : {}),
      };
      let res: Response;
      try {
        res = await doFetch(`${account.apiUrl}/transactionalSMS/send`, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        return networkFailure(error);
      }
      const json = (await res.json().catch(() => ({}))) as {
        messageId?: number | string;
        smsCount?: number;
        code?: string;
        message?: string;
      };
      if (!res.ok) {
        return httpFailure(
          res.status,
          `brevo ${res.status}${json.code ? ` ${json.code}` : ''}${json.message ? `: ${json.message}` : ''}`,
          res.headers.get('retry-after'),
        );
      }
      if (json.messageId === undefined) {
        return { ok: false, kind: 'transient', reason: 'brevo answered without a messageId' };
      }
      // Our own count is kept, not Brevo's smsCount: it is exact (160/153 GSM-7 septets,
      // extension characters counted twice, 70/67 UCS-2) and it is what previews showed.
      return { ok: true, providerId: String(json.messageId), parts: message.parts };
    },
    parseReceipts(call: WebhookCall): SmsReceipt[] {
      const receipts: SmsReceipt[] = [];
      for (const e of eventsOf(call.body)) {
        const status = STATUS[(e.msg_status ?? e.event ?? '').toLowerCase()];
        if (!status) continue;
        receipts.push({
          providerId: e.messageId === undefined ? undefined : String(e.messageId),
          reference: call.query.ref ?? tagOf(e),
          address: e.to ? toE164(e.to) : undefined,
          status,
          detail: e.msg_status ?? e.event,
          occurredAt: eventTime(e),
        });
      }
      return receipts;
    },
    parseInbound(call: WebhookCall): SmsInbound[] {
      const replies: SmsInbound[] = [];
      for (const e of eventsOf(call.body)) {
        const kind = (e.msg_status ?? e.event ?? '').toLowerCase();
        if (!e.to) continue;
        // An unsubscribe recorded by Brevo is the person's STOP.
        const text =
          kind === 'replied' || kind === 'reply'
            ? e.reply
            : kind === 'unsubscribe'
              ? 'STOP'
              : undefined;
        if (!text) continue;
        const at = eventTime(e);
        // ts_event is in seconds: the number keeps two people's replies of one second apart.
        replies.push({
          providerMessageId: `brevo:${e.id ?? e.messageId ?? ''}:${kind}:${digits(e.to)}:${e.ts_event ?? at.getTime()}`,
          from: toE164(e.to),
          text,
          receivedAt: at,
        });
      }
      return replies;
    },
    async lookup(message, since): Promise<LookupResult> {
      const params = new URLSearchParams({
        tags: message.messageId,
        phoneNumber: digits(message.to),
        startDate: since.toISOString().slice(0, 10),
        endDate: new Date().toISOString().slice(0, 10),
        limit: '100',
      });
      try {
        const res = await doFetch(
          `${account.apiUrl}/transactionalSMS/statistics/events?${params}`,
          {
            headers,
            signal: AbortSignal.timeout(timeoutMs),
          },
        );
        if (!res.ok) return undefined;
        const json = (await res.json()) as { events?: BrevoEvent[] };
        const mine = (json.events ?? []).filter((e) => tagOf(e) === message.messageId);
        const first = mine.find((e) => e.messageId !== undefined);
        if (!first) return { found: false };
        const best = mine
          .map((e) => STATUS[(e.event ?? e.msg_status ?? '').toLowerCase()])
          .find((s) => s === 'delivered');
        return { found: true, providerId: String(first.messageId), status: best ?? 'sent' };
      } catch {
        return undefined;
      }
    },
  };
}
