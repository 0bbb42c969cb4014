// Delivery receipts, from any channel, applied to the outbox. Every receipt is kept as
// evidence (DeliveryReceipt). Status only moves forward: sent -> delivered, sent -> failed
// (undelivered), and failed -> delivered (a late success after a soft bounce); nothing
// moves a delivered message, so receipts arriving out of order change nothing.
import type { ChannelKind, PrismaClient } from '../generated/prisma/client.js';

export type ReceiptStatus = 'sent' | 'delivered' | 'failed';

export interface ReceiptInput {
  channel: ChannelKind;
  /** Account name: "brevo", "smpp:cd974"... */
  provider: string;
  /** As stored on Message.providerId ("brevo:123"). */
  providerId?: string;
  reference?: string;
  address?: string;
  status: ReceiptStatus;
  detail?: string;
  occurredAt: Date;
  /** The message, when the channel matched it by reference. */
  messageId?: string;
}

export type ReceiptOutcome = 'applied' | 'unchanged' | 'unmatched';

// Which statuses each receipt may move a message from.
const FROM: Record<ReceiptStatus, ('queued' | 'sending' | 'sent' | 'failed')[]> = {
  // Delivered proves it went out: even a message put back in the queue after a crash.
  delivered: ['queued', 'sending', 'sent', 'failed'],
  failed: ['sending', 'sent'],
  sent: ['queued', 'sending'],
};

export async function applyReceipt(
  prisma: PrismaClient,
  r: ReceiptInput,
  options: { store?: boolean } = {},
): Promise<ReceiptOutcome> {
  let messageId = r.messageId;
  if (!messageId && r.providerId) {
    const row = await prisma.message.findFirst({
      where: { channel: r.channel, providerId: r.providerId, direction: 'outbound' },
      select: { id: true },
    });
    messageId = row?.id;
  }
  if (options.store ?? true) {
    await prisma.deliveryReceipt.create({
      data: {
        channel: r.channel,
        provider: r.provider,
        providerId: r.providerId ?? null,
        reference: r.reference ?? null,
        address: r.address ?? null,
        status: r.status,
        detail: r.detail ?? null,
        occurredAt: r.occurredAt,
        messageId: messageId ?? null,
      },
    });
  }
  if (!messageId) return 'unmatched';
  const data =
    r.status === 'delivered'
      ? {
          status: 'delivered' as const,
          deliveredAt: r.occurredAt,
          failureKind: null,
          failureReason: null,
        }
      : r.status === 'failed'
        ? {
            status: 'failed' as const,
            failedAt: r.occurredAt,
            failureKind: 'undelivered',
            failureReason: r.detail ?? 'the provider could not deliver it',
          }
        : { status: 'sent' as const };
  const { count } = await prisma.message.updateMany({
    where: { id: messageId, status: { in: FROM[r.status] } },
    data,
  });
  // A receipt names the provider's id of a message whose send was not recorded (crash):
  // adopt it, and the sent time, so it is never sent again.
  if (r.providerId) {
    await prisma.message.updateMany({
      where: { id: messageId, providerId: null },
      data: { providerId: r.providerId, claimedBy: null },
    });
  }
  if (count && r.status !== 'failed') {
    await prisma.message.updateMany({
      where: { id: messageId, sentAt: null },
      data: { sentAt: r.occurredAt },
    });
  }
  return count ? 'applied' : 'unchanged';
}

/** Receipts stored before their message was known, that name it now. */
export async function replayReceipts(
  prisma: PrismaClient,
  where: { providerId?: string; reference?: string; address?: string },
): Promise<ReceiptInput[]> {
  const rows = await prisma.deliveryReceipt.findMany({
    where: { messageId: null, ...where },
    orderBy: { occurredAt: 'asc' },
  });
  return rows.map((r) => ({
    channel: r.channel,
    provider: r.provider,
    providerId: r.providerId ?? undefined,
    reference: r.reference ?? undefined,
    address: r.address ?? undefined,
    status: r.status as ReceiptStatus,
    detail: r.detail ?? undefined,
    occurredAt: r.occurredAt,
  }));
}
