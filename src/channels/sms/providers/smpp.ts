// SMPP 3.4 to an operator's or aggregator's SMSC: one bind_transceiver link carries
// submit_sm out, and delivery receipts (esm_class 0x04) and replies (MO) in as deliver_sm.
// A dropped link is re-established with a growing pause; sends meanwhile fail as
// transient, so the dispatcher retries them later. Each submit asks for a receipt and
// carries a user_message_reference derived from our message id, which SMSCs echo in the
// receipt (SMPP 3.4 §5.3.2.17): a receipt for a message whose submit_sm_resp was lost in
// a crash can still be matched to it. A long message goes as concatenated parts (one
// submit_sm each, with a user data header), which every SMSC takes, rather than in
// message_payload, which many operators' SMSCs refuse. Long replies are put back
// together, and a reply the SMSC delivers again is recognised (smpp-inbound.ts).
import { createHash, randomUUID } from 'node:crypto';
import smpp, { type PDU, type Session } from 'smpp';
import type { SmsAccount } from '../../../config.js';
import { RateLimiter, sleep } from '../../../messaging/rate-limit.js';
import type { SendResult } from '../../channel.js';
import {
  type AckMark,
  messageText,
  Reassembler,
  RedeliveryGuard,
  readSmppMo,
} from './smpp-inbound.js';
import { concatUdh, splitSms } from './smpp-parts.js';
import { submitFailure } from './smpp-status.js';
import {
  digits,
  type ProviderEvents,
  type ReceiptStatus,
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

export interface SmppOptions {
  /** Pause before the first reconnection, doubled up to 30 s. */
  reconnectMs?: number;
  enquireLinkMs?: number;
  submitTimeoutMs?: number;
  /** How long the parts of a long reply are awaited before what came is handed over. */
  reassemblyMs?: number;
  /** Time of a reply's arrival (the service's clock). */
  clock?: () => Date;
}

// Per link: how many deliver_sm_resp we wrote, and whether a proof is on its way.
interface LinkState {
  acks: number;
  probing: boolean;
  again: boolean;
}

export function smppProvider(
  account: SmppAccount,
  options: SmppOptions = {},
): SmsProvider &
  Required<Pick<SmsProvider, 'start' | 'stop'>> & {
    isBound(): boolean;
    waitBound(timeoutMs?: number): Promise<void>;
    /** Long replies still waiting for parts. */
    partialReplies(): number;
  } {
  const reconnectBase = options.reconnectMs ?? 1000;
  const submitTimeoutMs = options.submitTimeoutMs ?? 15_000;
  const clock = options.clock ?? (() => new Date());
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
  // The account's rate counts submit_sm, so each part of a long message takes its turn.
  const pdus = new RateLimiter(account.ratePerSecond);
  // Concatenation reference of the next long message, 8 bits, per link to the SMSC.
  let nextRef = Math.floor(Math.random() * 256);
  const links = new WeakMap<Session, LinkState>();
  const linkState = (s: Session): LinkState => {
    let state = links.get(s);
    if (!state) {
      state = { acks: 0, probing: false, again: false };
      links.set(s, state);
    }
    return state;
  };
  const guard = new RedeliveryGuard();
  const inbound = (m: { from: string; text: string; id: string }) => {
    if (!events) throw new Error('SMPP provider stopped');
    return events.onInbound({
      providerMessageId: `smpp:${account.name}:${m.id}`,
      from: m.from,
      text: m.text,
      receivedAt: clock(),
    });
  };
  const reassembler = new Reassembler(
    (mo) => inbound({ from: mo.from, text: mo.text, id: randomUUID() }),
    options.reassemblyMs ?? 60_000,
  );

  const scheduleReconnect = () => {
    if (stopped || retryTimer) return;
    const delay = Math.min(30_000, reconnectBase * 2 ** Math.min(failures, 5));
    failures++;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect();
    }, delay);
  };

  /** Writes the deliver_sm_resp; where it stands on the link, when it could be written. */
  const ack = (s: Session, pdu: PDU): AckMark | undefined => {
    if (!s.send(pdu.response())) return undefined;
    const state = linkState(s);
    state.acks++;
    return { link: s, ack: state.acks };
  };

  // An enquire_link written after our acks: its answer proves the SMSC read them.
  const probe = (s: Session) => {
    const state = linkState(s);
    if (state.probing) {
      state.again = true;
      return;
    }
    state.probing = true;
    const upTo = state.acks;
    const sent = s.enquire_link({}, () => {
      state.probing = false;
      guard.proved(s, upTo);
      if (state.again) {
        state.again = false;
        probe(s);
      }
    });
    if (!sent) state.probing = false;
  };

  const handleDeliver = async (pdu: PDU, s: Session) => {
    const arrived = Date.now();
    try {
      const receipt = parseSmppReceipt(pdu);
      if (receipt) {
        await events?.onReceipt(receipt);
        ack(s, pdu);
        return;
      }
      const mo = readSmppMo(pdu);
      if (mo?.part) {
        await reassembler.add({ ...mo, part: mo.part });
        ack(s, pdu);
        return;
      }
      if (!mo) {
        ack(s, pdu);
        return;
      }
      if (mo.smscId) {
        // The SMSC names its MOs: a delivery again carries the same name.
        await inbound({ from: mo.from, text: mo.text, id: `id:${mo.smscId}` });
        ack(s, pdu);
        return;
      }
      await inbound({ from: mo.from, text: mo.text, id: guard.idOf(mo) });
      const mark = ack(s, pdu);
      if (mark) {
        guard.acked(mo, mark, Date.now() - arrived);
        probe(s);
      }
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

  /** One submit_sm and its answer. */
  const submit = (s: Session, pdu: Record<string, unknown>) =>
    new Promise<SendResult>((done) => {
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
      const upTo = linkState(s).acks;
      const sent = s.submit_sm(pdu, (resp) => {
        // An answer to a request written after those acks: the SMSC has read them.
        guard.proved(s, upTo);
        const status = resp.command_status;
        resolve(
          status === 0
            ? { ok: true, providerId: String(resp.message_id), parts: 1 }
            : submitFailure(status),
        );
      });
      if (!sent)
        resolve({ ok: false, kind: 'transient', reason: 'SMSC link closed while sending' });
    });

  return {
    name: account.name,
    kind: 'smpp',
    ratePerSecond: account.ratePerSecond,
    isBound: () => bound,
    partialReplies: () => reassembler.waiting,
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
      const texts = splitSms(message.text, message.encoding);
      const ref = nextRef++ & 0xff;
      const common = {
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
      };
      let first: string | undefined;
      for (let i = 0; i < texts.length; i++) {
        const text = texts[i] as string;
        const pdu =
          texts.length === 1
            ? { ...common, esm_class: 0, short_message: text }
            : {
                ...common,
                // 0x40: short_message starts with a user data header.
                esm_class: 0x40,
                short_message: { udh: concatUdh(ref, texts.length, i + 1), message: text },
              };
        let result: SendResult;
        for (let tries = 0; ; tries++) {
          await pdus.take();
          if (session !== s || !bound) {
            result = { ok: false, kind: 'transient', reason: 'SMSC link down', uncertain: i > 0 };
            break;
          }
          result = await submit(s, pdu);
          // A later part throttled: wait and send that part again, rather than the whole
          // message again (its first parts are already on their way to the phone).
          if (result.ok || result.kind !== 'rate_limited' || i === 0 || tries >= 3) break;
          pdus.pause(result.retryAfterMs ?? 1000);
          await sleep(result.retryAfterMs ?? 1000);
        }
        if (!result.ok) {
          if (result.kind === 'rate_limited') pdus.pause(result.retryAfterMs ?? 1000);
          if (i === 0) return result;
          // Sent again whole later (a fresh reference): the phone may show the lone
          // first parts too.
          return {
            ...result,
            kind: result.kind === 'rate_limited' ? 'transient' : result.kind,
            reason: `${result.reason} (part ${i + 1} of ${texts.length}; the parts before were taken)`,
          };
        }
        first ??= result.providerId;
      }
      return { ok: true, providerId: first as string, parts: texts.length };
    },
    async start(handlers) {
      events = handlers;
      stopped = false;
      connect();
    },
    async stop() {
      stopped = true;
      events = undefined;
      reassembler.stop();
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
