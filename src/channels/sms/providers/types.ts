// One interface for every SMS provider: send, read a delivery receipt, read an inbound
// reply, and (where the provider lets us ask) find out after a crash whether a message
// was taken. HTTP providers get their webhooks through the SMS channel's routes; the SMPP
// provider gets receipts and replies on its own link and hands them over the same way.
import { normalisePhone } from '../../../domain/phone.js';
import type { SendResult } from '../../channel.js';

/** What the dispatcher asks a provider to send. */
export interface SmsOutbound {
  /** Our message id: the reference a provider echoes back (tag, callback URL, UMR). */
  messageId: string;
  /** E.164, with the +. */
  to: string;
  text: string;
  encoding: 'GSM-7' | 'UCS-2';
  parts: number;
}

export type ReceiptStatus = 'sent' | 'delivered' | 'failed';

export interface SmsReceipt {
  providerId?: string;
  /** Our reference when the provider gives it back (message id, SMPP UMR). */
  reference?: string;
  /** E.164 of the recipient when known. */
  address?: string;
  status: ReceiptStatus;
  /** The provider's own words: "DELIVRD", "hard_bounce", "dlr=16"... */
  detail?: string;
  occurredAt: Date;
}

export interface SmsInbound {
  /** Stable id of this reply at the provider: a redelivery is recognised by it. */
  providerMessageId: string;
  /** E.164 of the person writing. */
  from: string;
  text: string;
  receivedAt: Date;
}

/** A webhook call, as the SMS channel passes it to an HTTP provider. */
export interface WebhookCall {
  /** "events", "receipts" or "inbound": the last segment of the URL. */
  hook: string;
  method: string;
  query: Record<string, string | undefined>;
  body: unknown;
}

export type LookupResult =
  | { found: true; providerId: string; status?: ReceiptStatus }
  | { found: false }
  /** The provider cannot be asked (or did not answer). */
  | undefined;

export interface ProviderEvents {
  onReceipt(receipt: SmsReceipt): Promise<void>;
  onInbound(message: SmsInbound): Promise<void>;
}

export interface SmsProvider {
  /** Account name: "log", "brevo", "ovh:cd974"... */
  readonly name: string;
  readonly kind: 'log' | 'brevo' | 'ovh' | 'smpp';
  /** Messages per second this account takes; undefined: no limit. */
  readonly ratePerSecond?: number;
  send(message: SmsOutbound): Promise<SendResult>;
  /** Receipts carried by a webhook call (HTTP providers). */
  parseReceipts?(call: WebhookCall): SmsReceipt[];
  /** Replies carried by a webhook call (HTTP providers). */
  parseInbound?(call: WebhookCall): SmsInbound[];
  /**
   * After a crash between claim and record: did the provider take the message with
   * this reference? Providers that can be asked by reference answer; others undefined.
   */
  lookup?(message: SmsOutbound, since: Date): Promise<LookupResult>;
  /** Background work (an SMSC link, polling for replies), with where to report events. */
  start?(events: ProviderEvents): Promise<void>;
  stop?(): Promise<void>;
}

/** E.164 without its + (Brevo, SMPP and OVH receivers take it so or with 00/+). */
export function digits(e164: string): string {
  return e164.replace(/^\+/, '');
}

/**
 * A number as a provider reports it, back to E.164: international with or without + or
 * 00, or national French ("0612345678", as some SMSCs give the sender of a reply).
 */
export function toE164(raw: string): string {
  const d = raw.replace(/[^\d+]/g, '');
  if (d.startsWith('+')) return d;
  if (d.startsWith('00')) return `+${d.slice(2)}`;
  if (/^0[1-9]\d{8}$/.test(d)) {
    const read = normalisePhone(d, 'FR', { allowForeign: true });
    return read.ok ? read.e164 : (read.e164 ?? `+33${d.slice(1)}`);
  }
  return `+${d}`;
}

/** Fetch failures and HTTP statuses in the dispatcher's terms. */
export function httpFailure(
  status: number,
  reason: string,
  retryAfter?: string | null,
): Extract<SendResult, { ok: false }> {
  if (status === 429) {
    const seconds = Number(retryAfter);
    return {
      ok: false,
      kind: 'rate_limited',
      reason,
      retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000,
    };
  }
  // Bad request: the number or the content is refused; retrying changes nothing.
  if (status === 400 || status === 404 || status === 422) {
    return { ok: false, kind: 'permanent', reason };
  }
  // 401/402/403 (keys, credit), 408, 5xx: fixable on the provider's side, so retried.
  return { ok: false, kind: 'transient', reason };
}

// Failures that happen before a request leaves: the provider cannot have it.
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function networkFailure(error: unknown): Extract<SendResult, { ok: false }> {
  const cause = (error as { cause?: { code?: string } })?.cause?.code;
  return {
    ok: false,
    kind: 'transient',
    reason: `provider unreachable${cause ? ` (${cause})` : ''}: ${error instanceof Error ? error.message : String(error)}`,
    // A timeout or a cut connection after the request went out: perhaps taken.
    uncertain: !cause || !NOT_SENT.has(cause),
  };
}
