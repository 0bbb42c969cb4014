// Replies that arrive over SMPP as deliver_sm (mobile originated, MO): reading one, putting
// the parts of a long reply back together, and recognising the SMSC delivering the same
// part again. SMPP gives an MO no id of its own, so both rest on what the link tells us.
import { randomUUID } from 'node:crypto';
import type { PDU } from 'smpp';
import { toE164 } from './types.js';

/** One deliver_sm that is a reply, or one part of a long reply. */
export interface SmppMo {
  /** E.164 of the person writing. */
  from: string;
  /** The number they wrote to (our short code or long number). */
  to: string;
  text: string;
  /** The SMSC's own id of this MO, when it gives one (receipted_message_id). */
  smscId?: string;
  /** The handset's message reference, when the SMSC passes it (user_message_reference). */
  reference?: number;
  /** Concatenation: the part this is of a long reply. */
  part?: { ref: string; total: number; seq: number };
}

/** The text of short_message or message_payload, as the smpp package decodes them. */
export function messageText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'message' in value) {
    const m = (value as { message: unknown }).message;
    return typeof m === 'string' ? m : Buffer.isBuffer(m) ? m.toString('latin1') : '';
  }
  return Buffer.isBuffer(value) ? value.toString('latin1') : '';
}

// Information elements of the user data header (3GPP TS 23.040 §9.2.3.24): 0x00 is
// concatenation with an 8-bit reference, 0x08 with a 16-bit one.
function udhPart(short: unknown): SmppMo['part'] {
  const udh = (short as { udh?: unknown } | undefined)?.udh;
  if (!Array.isArray(udh)) return undefined;
  for (const ie of udh) {
    if (!Buffer.isBuffer(ie)) continue;
    if (ie[0] === 0x00 && ie[1] === 3 && ie.length >= 5) {
      return { ref: `u8:${ie[2]}`, total: ie[3] as number, seq: ie[4] as number };
    }
    if (ie[0] === 0x08 && ie[1] === 4 && ie.length >= 6) {
      return { ref: `u16:${ie.readUInt16BE(2)}`, total: ie[4] as number, seq: ie[5] as number };
    }
  }
  return undefined;
}

// The same, carried in TLVs instead (SMPP 3.4 §5.3.2.22-24).
function sarPart(pdu: PDU): SmppMo['part'] {
  const { sar_msg_ref_num: ref, sar_total_segments: total, sar_segment_seqnum: seq } = pdu;
  if (typeof ref !== 'number' || typeof total !== 'number' || typeof seq !== 'number') {
    return undefined;
  }
  return { ref: `sar:${ref}`, total, seq };
}

/** A deliver_sm that is a reply: undefined for receipts and anything without a sender. */
export function readSmppMo(pdu: PDU): SmppMo | undefined {
  // Bits 2-5 of esm_class give the message type: 0 is a plain MO (0x04 a receipt...).
  if ((Number(pdu.esm_class ?? 0) & 0x3c) !== 0) return undefined;
  if (!pdu.source_addr) return undefined;
  const text = messageText(pdu.short_message) || messageText(pdu.message_payload);
  const part = udhPart(pdu.short_message) ?? sarPart(pdu);
  const valid = part && part.total >= 2 && part.seq >= 1 && part.seq <= part.total;
  const smscId = pdu.receipted_message_id;
  const umr = pdu.user_message_reference;
  return {
    from: toE164(String(pdu.source_addr)),
    to: String(pdu.destination_addr ?? ''),
    text,
    ...(typeof smscId === 'string' && smscId ? { smscId } : {}),
    ...(typeof umr === 'number' ? { reference: umr } : {}),
    ...(valid ? { part } : {}),
  };
}

/** A whole reply, ready for the conversation layer. */
export interface AssembledMo {
  from: string;
  to: string;
  text: string;
  /** Parts it was made of (1 for a single SMS); fewer than total when timed out. */
  parts: number;
  total: number;
}

interface Buffered {
  from: string;
  to: string;
  total: number;
  parts: Map<number, string>;
  timer: NodeJS.Timeout;
  attempts: number;
}

/**
 * Puts the parts of long replies back together, by sender, reference and total. A reply
 * whose parts do not all come within timeoutMs is handed over with what arrived (in
 * order), so an answer is never held for ever; a part arriving after that, or again after
 * its reply was handed over, is dropped (the SMSC delivering it again).
 */
export class Reassembler {
  private readonly open = new Map<string, Buffered>();
  private readonly done = new Map<string, number>();

  constructor(
    private readonly deliver: (mo: AssembledMo) => Promise<void>,
    private readonly timeoutMs = 60_000,
    /** How long a handed-over reply's parts are recognised. */
    private readonly rememberMs = 10 * 60_000,
  ) {}

  /** Takes one part; resolves once it is held, or once the whole reply is handed over. */
  async add(mo: SmppMo & { part: NonNullable<SmppMo['part']> }): Promise<void> {
    const now = Date.now();
    for (const [k, until] of this.done) if (until < now) this.done.delete(k);
    const key = `${mo.from}\n${mo.to}\n${mo.part.ref}\n${mo.part.total}`;
    if (this.done.has(key)) return;
    let entry = this.open.get(key);
    if (!entry) {
      entry = {
        from: mo.from,
        to: mo.to,
        total: mo.part.total,
        parts: new Map(),
        timer: this.schedule(key, this.timeoutMs),
        attempts: 0,
      };
      this.open.set(key, entry);
    }
    if (entry.parts.has(mo.part.seq)) return;
    entry.parts.set(mo.part.seq, mo.text);
    if (entry.parts.size < entry.total) return;
    try {
      await this.handOver(key, entry);
    } catch (error) {
      // Not acknowledged: the SMSC sends this part again, and the others are still here.
      entry.parts.delete(mo.part.seq);
      throw error;
    }
  }

  /** Replies still waiting for parts. */
  get waiting(): number {
    return this.open.size;
  }

  stop(): void {
    for (const e of this.open.values()) clearTimeout(e.timer);
    this.open.clear();
  }

  private schedule(key: string, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const entry = this.open.get(key);
      if (!entry) return;
      this.handOver(key, entry).catch(() => {
        // Every part was acknowledged, so nobody sends them again: keep trying a while.
        entry.attempts++;
        if (entry.attempts < 5) entry.timer = this.schedule(key, this.timeoutMs);
        else this.open.delete(key);
      });
    }, ms);
    timer.unref();
    return timer;
  }

  private async handOver(key: string, entry: Buffered): Promise<void> {
    const seqs = [...entry.parts.keys()].sort((a, b) => a - b);
    await this.deliver({
      from: entry.from,
      to: entry.to,
      text: seqs.map((s) => entry.parts.get(s)).join(''),
      parts: seqs.length,
      total: entry.total,
    });
    clearTimeout(entry.timer);
    this.open.delete(key);
    this.done.set(key, Date.now() + this.rememberMs);
  }
}

/** Where an acknowledgement was written: a link and its running count of acks. */
export interface AckMark {
  link: object;
  ack: number;
}

interface Seen {
  id: string;
  /** Set once our deliver_sm_resp is written; unset while the reply is being handled. */
  mark?: AckMark;
  /** Handled too slowly: the SMSC may have given up waiting and will send it again. */
  slow: boolean;
  until: number;
}

/**
 * Recognises the SMSC delivering a reply again. An SMSC sends a deliver_sm again only when
 * it did not get our deliver_sm_resp: the link dropped before it arrived, or it came too
 * late. So a reply is remembered from its arrival until the SMSC has surely read our
 * acknowledgement: the link is ordered, so an answer to any request we wrote after the
 * ack (an enquire_link sent for that purpose, or a submit_sm) proves it. Until then, the
 * same words from the same number (and the same handset reference, when the SMSC gives
 * it) are the same reply, under the same id, which the conversation layer stores once.
 * Once proved, the same words again are a new answer: "1" to one question and "1" to the
 * next are both applied. An ack left unproved by a dropped link is remembered for
 * windowMs, long enough for the SMSC to deliver again after the link comes back.
 */
export class RedeliveryGuard {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly windowMs = 10 * 60_000,
    private readonly slowMs = 5_000,
  ) {}

  private static key(mo: SmppMo): string {
    return `${mo.from}\n${mo.to}\n${mo.reference ?? ''}\n${mo.text}`;
  }

  /** The id of this reply: the one of its first delivery while that is unproved. */
  idOf(mo: SmppMo, now = Date.now()): string {
    for (const [k, s] of this.seen) if (s.until < now) this.seen.delete(k);
    const key = RedeliveryGuard.key(mo);
    const known = this.seen.get(key);
    if (known) return known.id;
    const id = randomUUID();
    this.seen.set(key, { id, slow: false, until: now + this.windowMs });
    return id;
  }

  /** Our deliver_sm_resp for it was written at this mark, handledMs after it arrived. */
  acked(mo: SmppMo, mark: AckMark, handledMs: number): void {
    const s = this.seen.get(RedeliveryGuard.key(mo));
    if (!s) return;
    s.mark = mark;
    s.slow = handledMs > this.slowMs;
  }

  /** The SMSC answered a request written after ack number upTo on this link. */
  proved(link: object, upTo: number): void {
    for (const [k, s] of this.seen) {
      if (s.mark?.link === link && s.mark.ack <= upTo && !s.slow) this.seen.delete(k);
    }
  }

  /** Replies still remembered (for tests and the curious). */
  get size(): number {
    return this.seen.size;
  }
}
