// Joining without a link: the onboarding flow (flows/onboarding.yaml) asks consent in
// plain words and the language; its results are applied here as they are given, and once
// it ends with a yes, the territory is asked among the organisation's own (a list that
// lives in the database, so it is asked in code rather than in the flow).
import type {
  ConversationService,
  InboundHandler,
  RunContextHooks,
} from '../../conversations/service.js';
import type { Db } from '../../db/types.js';
import { parseChoice } from '../../domain/answers/index.js';
import type { ChannelIdentity, Person } from '../../generated/prisma/client.js';
import { type i18n, languageOf, languagesOf } from '../../i18n/index.js';
import { enqueue, type OutboxPayload } from '../../messaging/outbox.js';

export const ONBOARDING_FLOW = 'onboarding';
export const ONBOARDING_CONTEXT = 'onboarding';

/** Callback data of the buttons this channel draws itself (flow buttons start with f:). */
export const TERRITORY_DATA = 't:';
export const LANGUAGE_DATA = 'l:';
export const ORGANISATION_DATA = 'o:';

const MAX_LABEL = 32;

export type TelegramTexts = (key: string, vars?: Record<string, unknown>) => string;

export function telegramTexts(instance: i18n, lang: string | null | undefined): TelegramTexts {
  const t = instance.getFixedT(languageOf(lang, languagesOf(instance)), 'telegram');
  return (key, vars) => t(key, vars as Record<string, string>) as string;
}

function cut(label: string): string {
  const chars = [...label];
  return chars.length <= MAX_LABEL ? label : `${chars.slice(0, MAX_LABEL - 1).join('')}…`;
}

/**
 * Asks the person's territory, or sets it when the organisation has only one. The
 * question goes a millisecond after `now` so that it follows whatever the same step sent.
 */
export async function askTerritory(
  tx: Db,
  instance: i18n,
  person: Person,
  identity: ChannelIdentity,
  idempotencyKey: string,
  now: Date,
  inReplyTo?: string,
): Promise<void> {
  const territories = await tx.territory.findMany({
    where: { organisationId: person.organisationId },
    orderBy: { name: 'asc' },
    select: { id: true, name: true },
  });
  if (territories.length === 0) return;
  if (territories.length === 1) {
    await tx.person.update({
      where: { id: person.id },
      data: { territoryId: territories[0]?.id ?? null },
    });
    return;
  }
  const t = telegramTexts(instance, person.language);
  await enqueue(
    tx,
    {
      organisationId: person.organisationId,
      personId: person.id,
      identityId: identity.id,
      channel: identity.channel,
      text: t('territory.ask'),
      buttons: territories.map((ter, i) => ({
        label: cut(`${i + 1}. ${ter.name}`),
        data: `${TERRITORY_DATA}${ter.id}`,
      })),
      purpose: 'system',
      idempotencyKey,
      inReplyTo,
      notBefore: new Date(now.getTime() + 1),
    },
    now,
  );
}

/** Records the territory a person chose, and thanks them. False when it is not theirs. */
export async function setTerritory(
  tx: Db,
  instance: i18n,
  person: Person,
  identity: ChannelIdentity,
  territoryId: string,
  idempotencyKey: string,
  now: Date,
  inReplyTo?: string,
): Promise<boolean> {
  const territory = await tx.territory.findFirst({
    where: { id: territoryId, organisationId: person.organisationId },
  });
  if (!territory) return false;
  await tx.person.update({ where: { id: person.id }, data: { territoryId: territory.id } });
  await enqueue(
    tx,
    {
      organisationId: person.organisationId,
      personId: person.id,
      identityId: identity.id,
      channel: identity.channel,
      text: telegramTexts(instance, person.language)('territory.done', { name: territory.name }),
      purpose: 'system',
      inReplyTo,
      idempotencyKey,
    },
    now,
  );
  return true;
}

/** What the onboarding flow's results do: consent on the identity, language on the person. */
export function onboardingHooks(instance: i18n): RunContextHooks {
  return {
    purpose: 'system',
    async onSave(tx, run, effect, now) {
      if (effect.name === 'consent' && run.identityId) {
        const granted = effect.value === 'yes';
        const identity = await tx.channelIdentity.findUniqueOrThrow({
          where: { id: run.identityId },
        });
        const source = `${identity.channel}:onboarding`;
        await tx.channelIdentity.update({
          where: { id: identity.id },
          data: {
            consent: granted ? 'granted' : 'withdrawn',
            consentAt: now,
            consentSource: source,
            consentEvents: {
              create: { action: granted ? 'granted' : 'withdrawn', source, at: now },
            },
          },
        });
      }
      if (effect.name === 'language') {
        await tx.person.update({
          where: { id: run.personId },
          data: { language: languageOf(effect.value, languagesOf(instance)) },
        });
      }
      // The results are also kept as the run's own (FlowResult): they are not anonymous.
      return false;
    },
    async onStep(tx, run, state, _event, now) {
      if (state.status !== 'completed' || state.results.consent?.value !== 'yes') return;
      if (!run.identityId) return;
      const person = await tx.person.findUniqueOrThrow({ where: { id: run.personId } });
      if (person.territoryId) return;
      const identity = await tx.channelIdentity.findUniqueOrThrow({
        where: { id: run.identityId },
      });
      // It follows their last answer: like that answer's reply, it does not wait.
      const answer = await tx.message.findFirst({
        where: { identityId: identity.id, direction: 'inbound' },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        select: { id: true },
      });
      await askTerritory(
        tx,
        instance,
        person,
        identity,
        `onboarding:${run.id}:territory`,
        now,
        answer?.id,
      );
    },
  };
}

/**
 * A typed answer to the territory question ("2", "Thiers"): only right after that
 * question was sent, so a "2" meant for something else is never taken for a territory.
 */
export function territoryAnswers(instance: i18n): InboundHandler {
  return async (tx, { event, person, identity, now, cause }) => {
    if (identity.channel !== 'telegram' || person.territoryId || !event.text?.trim()) return false;
    const last = await tx.message.findFirst({
      where: { identityId: identity.id, direction: 'outbound' },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { payload: true },
    });
    const buttons = (last?.payload as OutboxPayload | null)?.buttons ?? [];
    if (!buttons.length || !buttons.every((b) => b.data.startsWith(TERRITORY_DATA))) return false;
    const options = buttons.map((b) => ({
      id: b.data.slice(TERRITORY_DATA.length),
      label: b.label.replace(/^\d+\.\s*/, ''),
    }));
    const chosen = parseChoice(event.text, options, { lang: person.language });
    if (!chosen) return false;
    const inbound = /^reply:([0-9a-f-]{36})$/.exec(cause)?.[1];
    return setTerritory(tx, instance, person, identity, chosen, `${cause}:territory`, now, inbound);
  };
}

/** Installs the onboarding hooks and the typed territory answers. */
export function installOnboarding(conversations: ConversationService, instance: i18n): void {
  conversations.registerContext(ONBOARDING_CONTEXT, onboardingHooks(instance));
  conversations.onInbound(territoryAnswers(instance));
}
