// Every appointment message fits one SMS with realistic values, in every language, and
// says what, when, where and who; none names the programme or mentions sanctions.
import { describe, expect, it } from 'vitest';
import {
  AppointmentTexts,
  type SessionInfo,
  type TextContext,
} from '../../../src/appointments/texts.js';
import { prepareSms } from '../../../src/domain/sms/index.js';
import { createI18n } from '../../../src/i18n/index.js';

const session = (day: number, place = 'MDS Niort'): SessionInfo => ({
  id: `s${day}`,
  kind: 'rio',
  title: '',
  startsAt: new Date(Date.UTC(2026, 2, day, 8, 30)),
  place,
  address: '12 rue Pérochon',
  byPhone: false,
  organiserName: null,
});

describe('appointment texts', async () => {
  const texts = new AppointmentTexts(await createI18n());
  for (const lang of ['fr', 'en', 'fr-x-falc']) {
    it(`fit one SMS in ${lang}`, () => {
      const ctx: TextContext = {
        lang,
        timeZone: 'Europe/Paris',
        org: 'Département 79',
        channel: 'sms',
        smsAccents: 'transliterate',
      };
      const s = session(17);
      const others = [session(19), session(24), session(26)];
      const head = { org: 'Département 79', title: texts.title(ctx, s) };
      const all = [
        texts.session(ctx, 'convocation', s),
        texts.session(ctx, 'relaunch', s),
        texts.session(ctx, 'reminder', s),
        texts.session(ctx, 'moved', s),
        texts.session(ctx, 'ack.confirmed', s),
        texts.session(ctx, 'ack.booked', s),
        texts.choice(ctx, 'choice', head, others),
        texts.choice(ctx, 'choice', head, [session(19, 'MDS Niort'), session(24, 'Parthenay')]),
        texts.choice(ctx, 'choiceRelaunch', head, others),
        texts.choice(ctx, 'ack.declinedOffers', head, others),
        texts.choice(ctx, 'ack.full', head, others, { when: texts.when(ctx, s.startsAt) }),
        ...texts.cancelled(ctx, s, others),
        ...texts.cancelled(ctx, s, []),
        texts.t(lang, 'rights.rights', { org: 'Département 79' }),
        texts.t(lang, 'rights.duties', { org: 'Département 79' }),
        texts.t(lang, 'ack.callBack', { who: texts.who(lang, null) }),
        texts.t(lang, 'ack.message', { who: texts.who(lang, null) }),
      ];
      for (const text of all) {
        expect(prepareSms(text, 'transliterate').segments.parts, text).toBe(1);
        expect(text.split('\n')[0]).not.toMatch(/\bRSA\b|allocataire/i);
        expect(text).not.toMatch(/sanction|suspen|radiation|équipe pluridisciplinaire/i);
      }
      // What, when, where and who.
      expect(all[0]).toContain('Département 79');
      expect(all[0]).toMatch(/17/);
      expect(all[0]).toContain('MDS Niort');
    });
  }
});
