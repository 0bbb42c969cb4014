// "L'expérience au guichet": a person recorded present at a Réunion d'Information et
// d'Orientation is asked for their avis on the welcome (flows/avis-guichet.yaml). The runs
// belong to the organisation's standing consultation of that flow, so the answers are filed
// apart from identity and read as consultation results, month by month.
import type { Appointment, Prisma } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { ConsultationService } from './consultations.js';
import { participationSettings } from './settings.js';

type Tx = Prisma.TransactionClient;

/** What the appointments side tells, in its own transaction, when somebody came. */
export type PresentHook = (
  tx: Tx,
  ctx: { appointment: Appointment; personId: string; now: Date },
) => Promise<void>;

export function avisAfterRio(consultations: ConsultationService, logger: Logger): PresentHook {
  return async (tx, { appointment, personId, now }) => {
    if (appointment.kind !== 'rio') return;
    const settings = (await participationSettings(tx, appointment.organisationId)).avisAfterRio;
    if (!settings.enabled) return;
    const def = consultations.flows.current(settings.flow);
    if (!def) {
      logger.warn({ flow: settings.flow }, 'avis after a RIO: no such flow loaded');
      return;
    }
    // In the middle of another questionnaire: this one would cut across it. Not asked.
    const busy = await tx.flowRun.count({ where: { personId, status: 'active' } });
    if (busy > 0) return;
    const person = await tx.person.findUniqueOrThrow({
      where: { id: personId },
      include: { identities: true },
    });
    const standing = await consultations.standing(tx, appointment.organisationId, def, {
      minAnswers: settings.minAnswers,
      now,
    });
    await consultations.inviteToStanding(
      tx,
      standing,
      person,
      `avis-rio:${appointment.id}:${personId}`,
      now,
    );
  };
}
