// Onboarding links: an imported person gets t.me/<bot>?start=<code> by SMS or on paper;
// opening it sends "/start <code>" from their Telegram, which binds that chat to them.
// A code is 128 random bits (unguessable), single-use and expiring; only its SHA-256 is
// stored, so a copy of the database cannot be used to take over anybody's link.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../db/types.js';
import type { ChannelKind, LinkCode } from '../../generated/prisma/client.js';

export const DEFAULT_LINK_DAYS = 30;
export const MAX_LINK_DAYS = 90;
const DAY = 86_400_000;

/** Telegram's start parameter: 1-64 characters among A-Z a-z 0-9 _ -. */
export const LINK_CODE_FORM = /^[A-Za-z0-9_-]{16,64}$/;

export function hashLinkCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

export function telegramLink(botUsername: string, code: string): string {
  return `https://t.me/${botUsername}?start=${code}`;
}

/** Creates a code for a person; the code itself is returned once and never stored. */
export async function createLinkCode(
  db: Db,
  opts: {
    organisationId: string;
    personId: string;
    channel?: ChannelKind;
    validDays?: number;
    now: Date;
  },
): Promise<{ code: string; expiresAt: Date }> {
  const days = Math.min(Math.max(opts.validDays ?? DEFAULT_LINK_DAYS, 1), MAX_LINK_DAYS);
  const code = randomBytes(16).toString('base64url');
  const expiresAt = new Date(opts.now.getTime() + days * DAY);
  await db.linkCode.create({
    data: {
      organisationId: opts.organisationId,
      personId: opts.personId,
      channel: opts.channel ?? 'telegram',
      codeHash: hashLinkCode(code),
      expiresAt,
      createdAt: opts.now,
    },
  });
  return { code, expiresAt };
}

export type Redeemed =
  | { ok: true; link: LinkCode }
  | { ok: false; reason: 'unknown' | 'expired' | 'used'; link?: LinkCode };

/**
 * Uses a code, once: of two simultaneous uses only one gets { ok: true } (the update is
 * conditional on usedAt still being empty).
 */
export async function redeemLinkCode(
  db: Db,
  code: string,
  channel: ChannelKind,
  now: Date,
): Promise<Redeemed> {
  if (!LINK_CODE_FORM.test(code)) return { ok: false, reason: 'unknown' };
  const codeHash = hashLinkCode(code);
  const { count } = await db.linkCode.updateMany({
    where: { codeHash, channel, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  const link = await db.linkCode.findUnique({ where: { codeHash } });
  if (!link || link.channel !== channel) return { ok: false, reason: 'unknown' };
  if (count === 1) return { ok: true, link };
  if (link.usedAt) return { ok: false, reason: 'used', link };
  return { ok: false, reason: 'expired', link };
}
