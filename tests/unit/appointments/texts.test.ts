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

/** The starts of the sessions after `first`, `gaps` days apart. */
const weekly = (first: Date, gaps: number[]): Date[] => {
  let at = first.getTime();
  return gaps.map((g) => {
    at += g * 86_400_000;
    return new Date(at);
  });
};

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
        texts.seriesConvocation(ctx, s, weekly(s.startsAt, [7, 7, 7, 14, 14])),
        texts.seriesConvocation(ctx, s, weekly(s.startsAt, [7])),
        texts.seriesConvocation(ctx, s, weekly(s.startsAt, [7, 3, 11])),
        texts.session(ctx, 'seriesNext', s),
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

describe('appointment texts with long real names', async () => {
  const texts = new AppointmentTexts(await createI18n());
  const MDS =
    'Maison Départementale des Solidarités de Parthenay-Gâtine, 12 rue de la Citadelle, 79200 Parthenay';
  const long = (day: number, place: string, address: string | null = null): SessionInfo => ({
    id: `l${day}`,
    kind: 'rio',
    title: "Réunion d'information et d'orientation des nouveaux entrants",
    startsAt: new Date(Date.UTC(2026, 2, day, 8, 30)),
    place,
    address,
    byPhone: false,
    organiserName: null,
  });
  const ctxOf = (lang: string, smsAccents: 'keep' | 'transliterate' = 'transliterate') =>
    ({
      lang,
      timeZone: 'Europe/Paris',
      org: 'Département 79',
      channel: 'sms',
      smsAccents,
    }) satisfies TextContext;

  for (const lang of ['fr', 'en', 'fr-x-falc']) {
    it(`shortens the place and title, never drops where, when or who (${lang})`, () => {
      const ctx = ctxOf(lang);
      const s = long(17, MDS.split(', ')[0] as string, '12 rue de la Citadelle, 79200 Parthenay');
      const when = texts.when(ctx, s.startsAt);
      for (const text of [
        ...(['convocation', 'relaunch', 'reminder', 'moved', 'seriesNext'] as const).map((key) =>
          texts.session(ctx, key, s),
        ),
        texts.seriesConvocation(ctx, s, weekly(s.startsAt, [7, 7, 14])),
      ]) {
        expect(prepareSms(text, 'transliterate').segments.parts, text).toBe(1);
        expect(text).toContain('Département 79');
        expect(text).toContain(when);
        expect(text, text).toMatch(/Maison D[ée]part[^.,]*…/);
      }
      const [notice] = texts.cancelled(ctx, s, []);
      expect(prepareSms(notice as string, 'transliterate').segments.parts, notice).toBe(1);
      expect(notice).toContain(when);
    });

    it(`keeps each place of an offer in different places, shortened (${lang})`, () => {
      const ctx = ctxOf(lang);
      const options = [
        long(17, 'Maison Départementale des Solidarités de Parthenay-Gâtine'),
        long(19, 'Maison Départementale des Solidarités du Bocage Bressuirais'),
        long(24, 'Centre Socioculturel du Pays Mellois, salle polyvalente'),
      ];
      const head = { org: 'Département 79', title: texts.title(ctx, options[0] as SessionInfo) };
      for (const text of [
        texts.choice(ctx, 'choice', head, options),
        texts.choice(ctx, 'choiceRelaunch', head, options),
        texts.choice(ctx, 'ack.declinedOffers', head, options),
      ]) {
        expect(prepareSms(text, 'transliterate').segments.parts, text).toBe(1);
        // Each option says where: "A mar. 17/03 9h30 Maison…", three places, cut.
        expect(text.match(/\b[ABC] \S+ \d\d\/03 9[h:]30 \S/g), text).toHaveLength(3);
        expect(text, text).toMatch(/ Centre[^,.]*…/);
      }
    });
  }

  it('names the référent of an individual rendez-vous', () => {
    const ctx = ctxOf('fr');
    const s: SessionInfo = {
      ...long(5, 'CCAS de Niort'),
      kind: 'individual',
      title: '',
      referentName: 'Mme Garnier',
    };
    expect(texts.session(ctx, 'convocation', s)).toBe(
      'Département 79 : Rendez-vous avec Mme Garnier le jeudi 5 mars à 9h30, CCAS de Niort. Répondez 1 si vous venez, 2 sinon, 3 pour un appel.',
    );
    // A title too long for one SMS gives way to "Rendez-vous"; the name stays whole.
    const titled = {
      ...s,
      title: 'Entretien de suivi du contrat d’engagements réciproques et du parcours',
      place: MDS,
    };
    const text = texts.session(ctx, 'reminder', titled);
    expect(prepareSms(text, 'transliterate').segments.parts, text).toBe(1);
    expect(text).toBe(
      'Rappel Département 79 : Rendez-vous avec Mme Garnier le jeudi 5 mars à 9h30, Maison Départementale des Solidarités…. Si vous ne pouvez pas venir, répondez 2.',
    );
  });

  it('says in plain words that a series follows its first rendez-vous', () => {
    const ctx = ctxOf('fr');
    const s: SessionInfo = {
      ...long(5, 'CCAS de Niort'),
      kind: 'individual',
      title: '',
      referentName: 'Mme Garnier',
    };
    // Weekly for 8, then every 14 days: the rhythm, then less, down to the next date.
    const aspir = weekly(s.startsAt, [7, 7, 7, 7, 7, 7, 7, 14, 14]);
    expect(texts.seriesWords(ctx, s.startsAt, aspir)).toEqual([
      'chaque semaine, ensuite tous les 15 jours (10 rendez-vous en tout)',
      'chaque semaine, ensuite tous les 15 jours',
      'chaque semaine',
      'le jeu. 12/03 9h30',
      'le jeu. 12/03',
    ]);
    expect(texts.seriesConvocation(ctx, s, aspir)).toBe(
      'Département 79 : Rendez-vous avec Mme Garnier le jeudi 5 mars à 9h30, CCAS de Niort, puis chaque semaine. Répondez 1 si vous venez, 2 sinon, 3 pour un appel.',
    );
    // The email copy has room for all of it.
    expect(texts.seriesConvocation({ ...ctx, long: true }, s, aspir)).toContain(
      'puis chaque semaine, ensuite tous les 15 jours (10 rendez-vous en tout). Répondez 1 si vous venez, 2 si vous ne pouvez pas',
    );
    // Two sessions: the next date; no steady rhythm: the next date and the count.
    expect(texts.seriesWords(ctx, s.startsAt, weekly(s.startsAt, [14]))[0]).toBe(
      'le jeudi 19 mars à 9h30',
    );
    expect(texts.seriesWords(ctx, s.startsAt, weekly(s.startsAt, [7, 3, 11]))[0]).toBe(
      'le jeudi 12 mars à 9h30 (4 rendez-vous en tout)',
    );
    expect(texts.seriesWords(ctxOf('en'), s.startsAt, weekly(s.startsAt, [14, 14]))[1]).toBe(
      'every 2 weeks',
    );
    expect(texts.seriesWords(ctxOf('fr-x-falc'), s.startsAt, weekly(s.startsAt, [1, 1]))[0]).toBe(
      'chaque jour. En tout : 3 rendez-vous',
    );
    // No later session: a plain convocation.
    expect(texts.seriesConvocation(ctx, s, [])).toBe(texts.session(ctx, 'convocation', s));
    // A later rendez-vous says it is the next one when that fits.
    expect(texts.session({ ...ctx, org: 'CD79' }, 'seriesNext', s)).toBe(
      'CD79 : prochain rendez-vous. Rendez-vous avec Mme Garnier le jeudi 5 mars à 9h30, CCAS de Niort. Répondez 1 si vous venez, 2 sinon, 3 pour un appel.',
    );
  });

  it('shortens with "..." where an ellipsis would turn the SMS into UCS-2', () => {
    const ctx = ctxOf('fr', 'keep');
    const text = texts.session(ctx, 'convocation', long(17, MDS.split(', ')[0] as string));
    expect(text).toContain('...');
    expect(text).not.toContain('…');
    expect(prepareSms(text, 'keep').segments.parts, text).toBe(1);
  });
});
