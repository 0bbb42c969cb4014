// SMS test helpers: an organisation on a given provider with people reachable by SMS,
// messages queued straight into the outbox, and the webhook base URL of a running Relais.
import type { Relais } from '../../src/app.js';
import type { MessagePurpose, PrismaClient } from '../../src/generated/prisma/client.js';
import { enqueue } from '../../src/messaging/outbox.js';

export const WEBHOOK_SECRET = 'sms-webhook-secret-for-tests-0123456789';
/** Tuesday 10 March 2026, 10:00 in Paris: inside the sending window. */
export const WEEKDAY_MORNING = '2026-03-10T09:00:00.000Z';

export interface SmsFixture {
  organisationId: string;
  people: { personId: string; identityId: string; address: string }[];
}

/** Mobiles +33 6 12 34 5x xx: valid French mobile numbers (never dialled: fakes only). */
export function mobile(i: number): string {
  return `+3361234${String(5000 + i).padStart(4, '0')}`;
}

export async function smsOrganisation(
  prisma: PrismaClient,
  opts: { provider: string; people?: number; slug?: string; accents?: 'keep' | 'transliterate' },
): Promise<SmsFixture> {
  const org = await prisma.organisation.create({
    data: {
      slug: opts.slug ?? `sms-${opts.provider.replace(/\W/g, '-')}`,
      name: 'Département test',
      smsProvider: opts.provider,
      smsAccents: opts.accents ?? 'transliterate',
    },
  });
  const territory = await prisma.territory.create({
    data: {
      organisationId: org.id,
      code: 'niortais',
      name: 'Niortais',
      helpName: 'Accueil insertion',
      helpPhone: '0199007904',
    },
  });
  const people = [];
  for (let i = 0; i < (opts.people ?? 1); i++) {
    const person = await prisma.person.create({
      data: {
        organisationId: org.id,
        territoryId: territory.id,
        displayName: `Personne ${i + 1}`,
        roles: ['beneficiary'],
      },
    });
    const identity = await prisma.channelIdentity.create({
      data: {
        organisationId: org.id,
        personId: person.id,
        channel: 'sms',
        address: mobile(i),
        consent: 'granted',
        preferred: true,
      },
    });
    people.push({ personId: person.id, identityId: identity.id, address: identity.address });
  }
  return { organisationId: org.id, people };
}

export async function queueSms(
  prisma: PrismaClient,
  fixture: SmsFixture,
  opts: {
    key: string;
    text?: string;
    person?: number;
    purpose?: MessagePurpose;
    urgent?: boolean;
    notAfter?: Date;
    now: Date;
    contextId?: string;
  },
): Promise<string> {
  const p = fixture.people[opts.person ?? 0];
  if (!p) throw new Error('no such person in the fixture');
  const { id } = await enqueue(
    prisma,
    {
      organisationId: fixture.organisationId,
      personId: p.personId,
      identityId: p.identityId,
      channel: 'sms',
      text: opts.text ?? 'Rappel : rendez-vous jeudi à 14h à la Maison des solidarités.',
      purpose: opts.purpose ?? 'appointment',
      urgent: opts.urgent,
      notAfter: opts.notAfter,
      idempotencyKey: opts.key,
      ...(opts.contextId ? { contextType: 'test', contextId: opts.contextId } : {}),
    },
    opts.now,
  );
  return id;
}

export function hookUrl(relais: Relais, account: string, hook: string, secret = WEBHOOK_SECRET) {
  return `${relais.url}/sms/${encodeURIComponent(account)}/${secret}/${hook}`;
}

/** Polls until check() is true (receipts over SMPP arrive asynchronously). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
