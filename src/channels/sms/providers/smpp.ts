// SMPP 3.4 to an operator's or aggregator's SMSC: one bind_transceiver link carries
// submit_sm out, and delivery receipts (esm_class 0x04) and replies (MO) in as deliver_sm.
// A dropped link is re-established with a growing pause; sends meanwhile fail as
// transient, so the dispatcher retries them later. Each submit asks for a receipt and
// carries a user_message_reference derived from our message id, which SMSCs echo in the
// receipt (SMPP 3.4 §5.3.2.17): a receipt for a message whose submit_sm_resp was lost in
// a crash can still be matched to it.
import { createHash } from 'node:crypto';
import smpp, { type PDU, type Session } from 'smpp';
import type { SmsAccount } from '../../../config.js';
import type { SendResult } from '../../channel.js';
import {
  digits,
  type ProviderEvents,
  type ReceiptStatus,
  type SmsInbound,
  type SmsProvider,
  type SmsReceipt,
  toE164,
} from './types.js';

type SmppAccount = Extract<SmsAccount, { kind: 'smpp' }>;

/** The 16-bit user_message_reference of a message. */
export function smppReference(messageId: string): number {
  return createHash('sha1').update(messageId).digest().readUInt16BE(0);
}

const STAT: Record<string, ReceiptStatus> = {
  DELIVRD: 'delivered',
  UNDELIV: 'failed',
  EXPIRED: 'failed',
  REJECTD: 'failed',
  DELETED: 'failed',
  ACCEPTD: 'sent',
  ENROUTE: 'sent',
};
// message_state TLV values (SMPP 3.4 §5.2.28).
const STATE: Record<number, ReceiptStatus> = {
  1: 'sent',
  2: 'delivered',
  3: 'failed',
  4: 'failed',
  5: 'failed',
  6: 'sent',
  8: 'failed',
};

function messageText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'message' in value) {
    const m = (value as { message: unknown }).message;
    return typeof m === 'string' ? m : Buffer.isBuffer(m) ? m.toString('latin1') : '';
  }
  return Buffer.isBuffer(value) ? value.toString('latin1') : '';
}

/** A deliver_sm as a receipt, or undefined when it is a reply. */
export function parseSmppReceipt(pdu: PDU): SmsReceipt | undefined {
  const esm = Number(pdu.esm_class ?? 0);
  if ((esm & 0x3c) !== 0x04) return undefined;
  const text = messageText(pdu.short_message) || messageText(pdu.message_payload);
  const fields = Object.fromEntries(
    [...text.matchAll(/(\w+(?: date)?):(\S*)/g)].map((m) => [m[1]?.toLowerCase(), m[2]]),
  ) as Record<string, string | undefined>;
  const providerId = (pdu.receipted_message_id as string | undefined) ?? fields.id;
  const stat = fields.stat?.toUpperCase();
  const status =
    (stat ? STAT[stat] : undefined) ??
    (typeof pdu.message_state === 'number' ? STATE[pdu.message_state] : undefined);
  if (!status) return undefined;
  const umr = pdu.user_message_reference;
  return {
    providerId: providerId ? String(providerId) : undefined,
    reference: typeof umr === 'number' ? String(umr) : undefined,
    // A receipt comes from the handset: its source is our recipient.
    address: pdu.source_addr ? toE164(String(pdu.source_addr)) : undefined,
    status,
    detail: `${stat ?? `state=${String(pdu.message_state)}`}${fields.err ? ` err:${fields.err}` : ''}`,
    occurredAt: new Date(),
  };
}

/** A deliver_sm that is a reply (mobile originated). */
export function parseSmppInbound(pdu: PDU, account: string, at: Date): SmsInbound | undefined {
  if (parseSmppReceipt(pdu) || (Number(pdu.esm_class ?? 0) & 0x3c) !== 0) return undefined;
  const text = messageText(pdu.short_message) || messageText(pdu.message_payload);
  const from = pdu.source_addr ? toE164(String(pdu.source_addr)) : undefined;
  if (!from) return undefined;
  // MO messages carry no id: the same words from the same number within 30 s are taken
  // as the SMSC delivering again (after a lost deliver_sm_resp).
  const bucket = Math.floor(at.getTime() / 30_000);
  const key = createHash('sha1').update(`${from}\n${text}\n${bucket}`).digest('hex').slice(0, 24);
  return { providerMessageId: `smpp:${account}:${key}`, from, text, receivedAt: at };
}

export interface SmppOptions {
  /** Pause before the first reconnection, doubled up to 30 s. */
  reconnectMs?: number;
  enquireLinkMs?: number;
  submitTimeoutMs?: number;
}

export function smppProvider(
  account: SmppAccount,
  options: SmppOptions = {},
): SmsProvider &
  Required<Pick<SmsProvider, 'start' | 'stop'>> & {
    isBound(): boolean;
    waitBound(timeoutMs?: number): Promise<void>;
  } {
  const reconnectBase = options.reconnectMs ?? 1000;
  const submitTimeoutMs = options.submitTimeoutMs ?? 15_000;
  let session: Session | undefined;
  let bound = false;
  let stopped = true;
  let events: ProviderEvents | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  let waiters: (() => void)[] = [];
  // Submits waiting for their answer: a dropped link leaves their fate unknown.
  const pending = new Set<(result: SendResult) => void>();
  const alpha = account.sourceAddr ? /[A-Za-z]/.test(account.sourceAddr) : false;

  const scheduleReconnect = () => {
    if (stopped || retryTimer) return;
    const delay = Math.min(30_000, reconnectBase * 2 ** Math.min(failures, 5));
    failures++;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect();
    }, delay);
  };

  const handleDeliver = async (pdu: PDU, s: Session) => {
    const at = new Date();
    try {
      const receipt = parseSmppReceipt(pdu);
      if (receipt) await events?.onReceipt(receipt);
      else {
        const inbound = parseSmppInbound(pdu, account.name, at);
        if (inbound) await events?.onInbound(inbound);
      }
      s.send(pdu.response());
    } catch {
      // Not acknowledged: the SMSC delivers it again later.
      s.send(pdu.response({ command_status: smpp.ESME_RSYSERR }));
    }
  };

  function connect() {
    if (stopped) return;
    const s = smpp.connect({
      url: account.url,
      auto_enquire_link_period: options.enquireLinkMs ?? 30_000,
    });
    session = s;
    s.on('connect', () => {
      s.bind_transceiver(
        { system_id: account.systemId, password: account.password, interface_version: 0x34 },
        (pdu) => {
          if (pdu.command_status === 0) {
            bound = true;
            failures = 0;
            for (const w of waiters) w();
            waiters = [];
          } else {
            s.close();
          }
        },
      );
    });
    s.on('deliver_sm', (pdu: PDU) => void handleDeliver(pdu, s));
    s.on('enquire_link', (pdu: PDU) => s.send(pdu.response()));
    s.on('unbind', (pdu: PDU) => {
      s.send(pdu.response());
      s.close();
    });
    s.on('error', () => {
      // 'close' follows.
    });
    s.on('close', () => {
      for (const settle of [...pending]) {
        settle({
          ok: false,
          kind: 'transient',
          reason: 'SMSC link dropped before answering submit_sm',
          uncertain: true,
        });
      }
      if (session === s) {
        bound = false;
        session = undefined;
      }
      scheduleReconnect();
    });
  }

  return {
    name: account.name,
    kind: 'smpp',
    ratePerSecond: account.ratePerSecond,
    isBound: () => bound,
    waitBound(timeoutMs = 5000) {
      if (bound) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('SMSC link not bound in time')), timeoutMs);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
    async send(message): Promise<SendResult> {
      const s = session;
      if (!s || !bound) return { ok: false, kind: 'transient', reason: 'SMSC link down' };
      const long = message.parts > 1;
      const pdu: Record<string, unknown> = {
        source_addr: account.sourceAddr ?? '',
        source_addr_ton: account.sourceAddr ? (alpha ? 5 : 1) : 0,
        source_addr_npi: account.sourceAddr && !alpha ? 1 : 0,
        destination_addr: digits(message.to),
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        registered_delivery: 1,
        // 0: the SMSC's default alphabet (GSM 03.38); 8: UCS-2.
        data_coding: message.encoding === 'UCS-2' ? 8 : 0,
        user_message_reference: smppReference(message.messageId),
        ...(long ? { message_payload: message.text } : { short_message: message.text }),
      };
      return new Promise<SendResult>((done) => {
        const resolve = (r: SendResult) => {
          pending.delete(resolve);
          clearTimeout(timer);
          done(r);
        };
        pending.add(resolve);
        const timer = setTimeout(
          () =>
            resolve({
              ok: false,
              kind: 'transient',
              reason: 'SMSC did not answer submit_sm',
              uncertain: true,
            }),
          submitTimeoutMs,
        );
        const sent = s.submit_sm(pdu, (resp) => {
          clearTimeout(timer);
          const status = resp.command_status;
          if (status === 0) {
            resolve({ ok: true, providerId: String(resp.message_id), parts: message.parts });
          } else if (status === smpp.ESME_RTHROTTLED) {
            resolve({
              ok: false,
              kind: 'rate_limited',
              reason: 'SMSC throttled',
              retryAfterMs: 1000,
            });
          } else if (status === smpp.ESME_RINVDSTADR) {
            resolve({ ok: false, kind: 'permanent', reason: 'SMSC: invalid destination address' });
          } else {
            resolve({
              ok: false,
              kind: 'transient',
              reason: `SMSC refused submit_sm (status 0x${status.toString(16)})`,
            });
          }
        });
        if (!sent) {
          clearTimeout(timer);
          resolve({ ok: false, kind: 'transient', reason: 'SMSC link closed while sending' });
        }
      });
    },
    async start(handlers) {
      events = handlers;
      stopped = false;
      connect();
    },
    async stop() {
      stopped = true;
      events = undefined;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      const s = session;
      session = undefined;
      bound = false;
      if (s) {
        await new Promise<void>((resolve) => {
          const done = setTimeout(() => {
            s.destroy();
            resolve();
          }, 1000);
          s.unbind({}, () => {
            clearTimeout(done);
            s.close(() => resolve());
          });
        });
      }
    },
  };
}
