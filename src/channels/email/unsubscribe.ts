// One-click unsubscribe (RFC 8058): every email names, in its List-Unsubscribe header
// and its footer, a link that stops the emails to that address. The link carries the
// identity id and an HMAC of it, so it cannot be forged for another address, and needs
// nothing stored. Following it records the opt-out like a STOP by SMS: the time on the
// identity and a consent event as evidence; the person's other channels are untouched.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PrismaClient } from '../../generated/prisma/client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The key of the links, derived from the service's secret (never the secret itself). */
export function linkKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('relais:email-unsubscribe:v1').digest();
}

function mac(key: Buffer, identityId: string): string {
  return createHmac('sha256', key).update(identityId).digest('base64url').slice(0, 22);
}

export function unsubscribeToken(key: Buffer, identityId: string): string {
  return `${identityId}.${mac(key, identityId)}`;
}

/** The identity a token names, or undefined when it is not one of ours. */
export function readToken(key: Buffer, token: string): string | undefined {
  const [id, given] = token.split('.');
  if (!id || !given || !UUID.test(id)) return undefined;
  const expected = Buffer.from(mac(key, id));
  const got = Buffer.from(given);
  return got.length === expected.length && timingSafeEqual(got, expected) ? id : undefined;
}

export interface Unsubscribed {
  identityId: string;
  organisationId: string;
  language: string;
  /** False when the address had already opted out (a second click changes nothing). */
  changed: boolean;
}

/** Records the email opt-out of an identity; undefined when it is not an email identity. */
export async function recordOptOut(
  prisma: PrismaClient,
  identityId: string,
  now: Date,
): Promise<Unsubscribed | undefined> {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM "ChannelIdentity" WHERE id = ${identityId}::uuid FOR UPDATE`;
    if (!rows.length) return undefined;
    const identity = await tx.channelIdentity.findUniqueOrThrow({
      where: { id: identityId },
      include: { person: { select: { language: true } } },
    });
    if (identity.channel !== 'email') return undefined;
    const changed = !identity.optedOutAt;
    if (changed) {
      await tx.channelIdentity.update({
        where: { id: identityId },
        data: {
          optedOutAt: now,
          consentEvents: { create: { action: 'opted_out', source: 'email:unsubscribe', at: now } },
        },
      });
    }
    return {
      identityId,
      organisationId: identity.organisationId,
      language: identity.person.language,
      changed,
    };
  });
}
