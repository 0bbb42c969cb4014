// The outbox: every outbound message is a row before it is a network call. Writing it in
// the same transaction as the change that causes it means a crash loses nothing and a
// retry of the whole operation sends nothing twice (the idempotency key is unique).

import { v7 as uuidv7 } from 'uuid';
import type { OutboundButton } from '../channels/channel.js';
import { insertRows } from '../db/json-rows.js';
import type { Db } from '../db/types.js';
import { prepareSms } from '../domain/sms/index.js';
import type { ChannelKind, MessagePurpose } from '../generated/prisma/client.js';

export interface EnqueueRequest {
  organisationId: string;
  personId?: string | null;
  identityId: string;
  channel: ChannelKind;
  text: string;
  buttons?: OutboundButton[];
  purpose: MessagePurpose;
  urgent?: boolean;
  /** The same key twice is one message. */
  idempotencyKey: string;
  notBefore?: Date;
  /** Past this time the message is useless (a reminder after its appointment). */
  notAfter?: Date;
  contextType?: string;
  contextId?: string;
  /** Sent even to an address that opted out: only the one confirmation of a STOP. */
  evenIfOptedOut?: boolean;
  /** Email: the subject line (the text is the body). */
  subject?: string;
  /**
   * The inbound message this one answers. Defaults from the conversation layer's keys:
   * "reply:<inbound id>:<n>" is an answer to that message (not its ":notify:" side
   * effects, which go to other people).
   */
  inReplyTo?: string;
  /**
   * The text shows how a person answered an anonymous questionnaire: it is blanked once
   * delivered (by the dispatcher when marked sent; for the local web chat, once the page
   * has read it, since that is its delivery).
   */
  redactAfterSend?: boolean;
}

const REPLY_KEY = /^reply:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):\d+$/i;

/** The inbound message a conversation-layer key answers, if it is a direct answer. */
export function replyOf(idempotencyKey: string): string | undefined {
  return REPLY_KEY.exec(idempotencyKey)?.[1];
}

export interface OutboxPayload {
  buttons?: OutboundButton[];
  evenIfOptedOut?: boolean;
  subject?: string;
  /** When the body and buttons are blanked: once sent, or once read (web chat). */
  redact?: 'sent' | 'read';
  /** The body and buttons were blanked. */
  redacted?: boolean;
}

/** What a redacted message keeps in place of its payload. */
export const REDACTED_PAYLOAD = { redacted: true } as const;

/** Whether the dispatcher blanks this message when it records it as sent. */
export function redactsOnSent(payload: unknown): boolean {
  return (payload as OutboxPayload | null)?.redact === 'sent';
}

/**
 * The id of a new outbox row. Time-ordered and increasing within this process: rows written
 * later, or together in one statement, keep the order they were queued in (the dispatcher
 * sends a person's messages in id order when they are due at the same moment).
 */
export function newMessageId(): string {
  return uuidv7();
}

/** What an organisation's SMS settings change in a message: accents kept or not. */
type SmsAccents = Map<string, 'keep' | 'transliterate'>;

async function smsAccentsOf(db: Db, reqs: EnqueueRequest[]) {
  const accents: SmsAccents = new Map();
  const orgIds = [...new Set(reqs.filter((r) => r.channel === 'sms').map((r) => r.organisationId))];
  if (orgIds.length) {
    const orgs = await db.organisation.findMany({
      where: { id: { in: orgIds } },
      select: { id: true, smsAccents: true },
    });
    for (const o of orgs) accents.set(o.id, o.smsAccents);
  }
  return accents;
}

function rowOf(req: EnqueueRequest & { id?: string }, now: Date, accents: SmsAccents) {
  let body = req.text;
  let parts = 1;
  let encoding: string | null = null;
  if (req.channel === 'sms') {
    const policy = accents.get(req.organisationId);
    if (!policy) throw new Error(`no organisation ${req.organisationId} for an SMS`);
    const prepared = prepareSms(req.text, policy);
    body = prepared.text;
    parts = prepared.segments.parts;
    encoding = prepared.segments.encoding;
  }
  const payload: OutboxPayload = {};
  if (req.buttons?.length) payload.buttons = req.buttons;
  if (req.evenIfOptedOut) payload.evenIfOptedOut = true;
  if (req.subject) payload.subject = req.subject;
  if (req.redactAfterSend) payload.redact = req.channel === 'web' ? 'read' : 'sent';
  return {
    id: req.id ?? newMessageId(),
    organisationId: req.organisationId,
    personId: req.personId ?? null,
    identityId: req.identityId,
    direction: 'outbound' as const,
    channel: req.channel,
    purpose: req.purpose,
    status: 'queued' as const,
    body,
    payload: Object.keys(payload).length ? (payload as object) : undefined,
    idempotencyKey: req.idempotencyKey,
    parts,
    encoding,
    urgent: req.urgent ?? false,
    inReplyTo: req.inReplyTo ?? replyOf(req.idempotencyKey) ?? null,
    notBefore: req.notBefore ?? now,
    notAfter: req.notAfter ?? null,
    contextType: req.contextType ?? null,
    contextId: req.contextId ?? null,
    createdAt: now,
  };
}

// Messages written 'queued' by this process so far (enqueue and the conversation layer's
// writes). Code that just handled something compares it before and after, to ask for a
// dispatcher turn only when it left work for one (answers already claimed by their writer
// need none). Other work running meanwhile only makes an extra turn, never a missed one.
let queuedRows = 0;

/** Counts messages just written 'queued'. */
export function noteQueued(count: number): void {
  queuedRows += count;
}

/** Messages written 'queued' by this process so far. */
export function queuedSoFar(): number {
  return queuedRows;
}

/** Queues a message; returns its id and whether this call created it. */
export async function enqueue(
  db: Db,
  req: EnqueueRequest,
  now: Date,
): Promise<{ id: string; created: boolean }> {
  const row = rowOf(req, now, await smsAccentsOf(db, [req]));
  // ON CONFLICT DO NOTHING: a duplicate must not abort the surrounding transaction.
  const created = await insertRows<{ id: string }>(db, 'Message', [row], {
    onConflictDoNothing: true,
    returning: ['id'],
  });
  if (created[0]) {
    noteQueued(1);
    return { id: created[0].id, created: true };
  }
  const existing = await db.message.findUniqueOrThrow({
    where: { idempotencyKey: req.idempotencyKey },
    select: { id: true },
  });
  return { id: existing.id, created: false };
}

/**
 * The outbox rows of many requests (the replies of a batch of answers), each with its own
 * id and time.
 */
export async function messageRows(
  db: Db,
  reqs: (EnqueueRequest & { id: string; at: Date })[],
): Promise<ReturnType<typeof rowOf>[]> {
  const known = await smsAccentsOf(db, reqs);
  return reqs.map((r) => rowOf(r, r.at, known));
}
