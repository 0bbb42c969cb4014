// Who hears about what a person said: an avis goes to the facilitators of the person's
// group (stored without the person's name); a request to be called goes to their référent,
// without any of their answers.
import type { NotifyHandler } from '../conversations/service.js';
import { textsFor } from '../conversations/texts.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { i18n } from '../i18n/index.js';
import { enqueue } from '../messaging/outbox.js';
import { reachableIdentity } from './consultations.js';

type Tx = Prisma.TransactionClient;

async function tell(
  tx: Tx,
  i18n: i18n,
  personIds: string[],
  message: (t: (key: string, vars?: Record<string, unknown>) => string) => string,
  key: string,
  now: Date,
): Promise<number> {
  let told = 0;
  for (const personId of personIds) {
    const person = await tx.person.findUnique({
      where: { id: personId },
      include: { identities: true },
    });
    const identity = person && reachableIdentity(person.identities);
    if (!person || !identity) continue;
    const texts = textsFor(i18n, person.language);
    await enqueue(
      tx,
      {
        organisationId: person.organisationId,
        personId: person.id,
        identityId: identity.id,
        channel: identity.channel,
        text: message(texts.t),
        purpose: 'system',
        idempotencyKey: `${key}:${person.id}`,
      },
      now,
    );
    told++;
  }
  return told;
}

export function participationNotifications(i18n: i18n): NotifyHandler {
  return async (tx, { run, person, def, effect, now, cause }) => {
    if (effect.target === 'facilitators') {
      const memberships = await tx.membership.findMany({
        where: { personId: person.id, role: 'member', leftAt: null },
        include: { group: true },
        orderBy: { joinedAt: 'asc' },
      });
      // An avis belongs to the person's group of users; the first one if several.
      const group =
        memberships.find((m) => m.group.kind === 'user_group')?.group ?? memberships[0]?.group;
      if (def.kind === 'avis') {
        const results = effect.results;
        const themeResult = results.theme;
        const theme = themeResult?.category ?? themeResult?.value ?? 'autre';
        const textResult = Object.entries(results).find(([name]) => name !== 'theme')?.[1];
        // Only a real voice note has the 'voice' category: a typed "[voice:x]" stays text.
        const voice =
          textResult?.category === 'voice'
            ? textResult.value.match(/^\[voice:(.+)\]$/)?.[1]
            : undefined;
        await tx.avis.create({
          data: {
            organisationId: run.organisationId,
            groupId: group?.id ?? null,
            territoryId: person.territoryId,
            theme,
            text: voice ? '' : (textResult?.value ?? ''),
            voiceRef: voice ?? null,
            // The day only (and a random id, schema.prisma): an exact time would match the
            // person's last message.
            createdAt: new Date(
              Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()),
            ),
          },
        });
        const label =
          def.nodes
            .flatMap((n) => (n.kind === 'ask' ? (n.choices ?? []) : []))
            .find((c) => c.id === theme)?.label ?? theme;
        if (group) {
          const facilitators = await tx.membership.findMany({
            where: { groupId: group.id, role: 'facilitator', leftAt: null },
            select: { personId: true },
          });
          await tell(
            tx,
            i18n,
            facilitators.map((f) => f.personId),
            (t) => t('notify.avis', { theme: label, group: group.name }),
            cause,
            now,
          );
        }
      }
      return;
    }
    if (effect.target === 'referent') {
      // The flow decides when to ask for a call; only that wish travels, never the
      // answers that came before.
      const to = person.referentId ? [person.referentId] : [];
      await tell(
        tx,
        i18n,
        to,
        (t) => t('notify.referent', { name: person.displayName, flow: def.title }),
        cause,
        now,
      );
    }
  };
}
