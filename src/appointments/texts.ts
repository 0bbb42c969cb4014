// The words of appointment messages (locales/<lng>/appointments.json). Every message has
// variants from the richest to the leanest; the first that fits in one SMS segment under
// the organisation's accent policy is sent (the longer answer line goes first, then the
// address), on every channel, since a Telegram message may fall back to SMS. When even the
// leanest is too long (a "Maison Départementale des Solidarités de …" place), the place and
// the title are shortened with an ellipsis: a message never loses its where, when or
// organiser to fit. They never mention sanctions nor the programme's name; an individual
// rendez-vous names its référent.

import { prepareSms } from '../domain/sms/index.js';
import type { ChannelKind } from '../generated/prisma/client.js';
import type { i18n } from '../i18n/index.js';
import { DAY_MS, formatDay, formatShort, formatWhen, localDay } from './dates.js';

export interface SessionInfo {
  id: string;
  kind: string;
  title: string;
  startsAt: Date;
  place: string | null;
  address: string | null;
  byPhone: boolean;
  organiserName: string | null;
  /** The référent of an individual rendez-vous, as the person knows them. */
  referentName?: string | null;
}

export interface TextContext {
  lang: string;
  timeZone: string;
  /** Sender name starting the message. */
  org: string;
  channel: ChannelKind;
  smsAccents: 'keep' | 'transliterate';
  /** An email copy: the richest wording, whatever its length (address included). */
  long?: boolean;
}

export const LETTERS = ['A', 'B', 'C'] as const;

/** Names are not cut shorter than this: "Maison Dép…" still says something. */
const MIN_NAME = 8;

/**
 * Cuts a name to at most `max` characters, at a word boundary when that keeps most of it,
 * and marks the cut with an ellipsis.
 */
export function shorten(text: string, max: number, ellipsis = '…'): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  const room = Math.max(1, max - ellipsis.length);
  let cut = clean.slice(0, room);
  const space = cut.lastIndexOf(' ');
  if (space >= room * 0.6) cut = cut.slice(0, space);
  return `${cut.replace(/[\s,.;:()'’-]+$/u, '')}${ellipsis}`;
}

/** How a message is shortened when no variant fits: names cut to `max` characters. */
type Shrink = (max: number) => string;
/** A way of shrinking, and how short it may cut (a place keeps at least 20 characters). */
type Stage = Shrink | [Shrink, number];

/** A place is first cut to no less than this, before the title gives way. */
const MIN_PLACE = 20;

export class AppointmentTexts {
  constructor(private readonly i18n: i18n) {}

  t(lang: string, key: string, vars: Record<string, unknown> = {}): string {
    return this.i18n.getFixedT(lang, 'appointments')(key, vars as Record<string, string>) as string;
  }

  /** Whether a text is one SMS segment under the context's accent policy. */
  fits(ctx: TextContext, text: string): boolean {
    const policy = ctx.channel === 'sms' ? ctx.smsAccents : 'transliterate';
    return prepareSms(text, policy).segments.parts === 1;
  }

  /** The ellipsis of a cut name: "..." where "…" would turn an SMS into UCS-2. */
  ellipsis(ctx: TextContext): string {
    return ctx.channel === 'sms' && ctx.smsAccents === 'keep' ? '...' : '…';
  }

  /**
   * The first variant that fits one SMS; else the leanest with its names shortened until
   * it fits, each way of shrinking tried in turn (the places, then the title too); else
   * the shortest tried. On every channel: a Telegram message to a chat that turns out
   * blocked falls back to SMS with the same words.
   */
  pick(ctx: TextContext, variants: string[], ...stages: Stage[]): string {
    const norm = (v: string) => v.replace(/\s+/g, ' ').trim();
    const unique = [...new Set(variants.map(norm))];
    if (ctx.long) return unique[0] as string;
    for (const v of unique) {
      if (this.fits(ctx, v)) return v;
    }
    const tried = [...unique];
    for (const stage of stages) {
      const [shrink, min] = typeof stage === 'function' ? [stage, MIN_NAME] : stage;
      for (let max = 120; max >= min; max--) {
        const v = norm(shrink(max));
        if (this.fits(ctx, v)) return v;
        tried.push(v);
      }
    }
    return tried.reduce((a, b) => (b.length < a.length ? b : a));
  }

  org(ctx: TextContext, s: SessionInfo): string {
    return s.organiserName?.trim() || ctx.org;
  }

  /**
   * What the session is; an individual rendez-vous says with whom ("Rendez-vous avec Mme
   * Garnier"). With `max`, the title is cut to that length, never the référent's name.
   */
  title(ctx: TextContext, s: SessionInfo, max?: number, plain = false): string {
    const kind = this.t(ctx.lang, `kind.${s.kind}`);
    const base = (!plain && s.title?.trim()) || kind;
    const name = s.kind === 'individual' ? s.referentName?.trim() : undefined;
    if (name && base.includes(name)) return base;
    const cut = max === undefined ? base : shorten(base, max, this.ellipsis(ctx));
    return name ? `${cut} ${this.t(ctx.lang, 'withReferent', { name })}` : cut;
  }

  /** Where, from the fullest to the shortest (then shortened, see session()). */
  wheres(ctx: TextContext, s: SessionInfo): string[] {
    if (s.byPhone) return [this.t(ctx.lang, 'byPhone')];
    const place = s.place?.trim();
    const address = s.address?.trim();
    const out: string[] = [];
    if (place && address) out.push(`${place}, ${address}`);
    // The place's name says more than its street: the address alone only when unnamed.
    if (place) out.push(place);
    else if (address) out.push(address);
    return out.length ? out : [''];
  }

  /** The place (else the address), its name cut to `max` characters. */
  shortWhere(ctx: TextContext, s: SessionInfo, max: number): string {
    if (s.byPhone) return this.t(ctx.lang, 'byPhone');
    const name = s.place?.trim() || s.address?.trim() || '';
    return shorten(name, max, this.ellipsis(ctx));
  }

  when(ctx: TextContext, at: Date): string {
    return formatWhen(at, ctx.timeZone, ctx.lang);
  }

  /**
   * "A mar. 17/03 9h30, B jeu. 19/03 14h", with " à <place>" when they share a place and
   * the place of each when they differ; with `max`, places are cut to that length.
   */
  optionList(
    ctx: TextContext,
    options: SessionInfo[],
    max?: number,
  ): { options: string; letters: string; at: string } {
    const cut = (place: string) =>
      max === undefined ? place : shorten(place, max, this.ellipsis(ctx));
    // An email has room for the address too.
    const placeOf = (o: SessionInfo) =>
      o.byPhone
        ? this.t(ctx.lang, 'byPhone')
        : ctx.long
          ? (this.wheres(ctx, o)[0] ?? '')
          : (o.place ?? '');
    const places = new Set(options.map(placeOf));
    const samePlace = places.size === 1 ? [...places][0] : undefined;
    const letters = LETTERS.slice(0, options.length);
    const lettersText =
      letters.length > 1
        ? `${letters.slice(0, -1).join(', ')} ${this.t(ctx.lang, 'or')} ${letters.at(-1)}`
        : (letters[0] ?? '');
    const list = options
      .map((o, i) => {
        const date = formatShort(o.startsAt, ctx.timeZone, ctx.lang);
        const place = samePlace === undefined ? placeOf(o) : '';
        return place ? `${letters[i]} ${date} ${cut(place)}` : `${letters[i]} ${date}`;
      })
      .join(', ');
    return {
      options: list,
      letters: lettersText,
      at: samePlace ? this.t(ctx.lang, 'at', { place: cut(samePlace) }) : '',
    };
  }

  /** A message about one session asking 1, 2 or 3 (convocation, relaunch, moved). */
  session(
    ctx: TextContext,
    key:
      | 'convocation'
      | 'relaunch'
      | 'reminder'
      | 'moved'
      | 'seriesNext'
      | 'ack.confirmed'
      | 'ack.booked',
    s: SessionInfo,
  ): string {
    // A later rendez-vous of a series says it is the next one, unless that costs the place.
    const forms = key === 'seriesNext' ? [{ key }, { key: 'convocation' }] : [{ key }];
    return this.sessionMessage(ctx, s, forms);
  }

  /**
   * The convocation to the first session of a series: its date, place and organiser, and
   * in plain words what follows ("puis chaque semaine", "puis le jeudi 12 mars…"), the
   * later sessions being each asked about before their day. `later`: the starts of the
   * sessions after this one.
   */
  seriesConvocation(ctx: TextContext, s: SessionInfo, later: Date[]): string {
    if (!later.length) return this.session(ctx, 'convocation', s);
    const forms = this.seriesWords(ctx, s.startsAt, later).map((series) => ({
      key: 'seriesConvocation',
      vars: { series },
    }));
    return this.sessionMessage(ctx, s, forms);
  }

  /**
   * What follows the first session of a series, from the richest to the leanest: the
   * rhythm and the count ("chaque semaine, ensuite tous les 15 jours (10 rendez-vous en
   * tout)"), the rhythm, the first rhythm only, the next date (then without its time). A
   * series with no steady rhythm (more than two) names its next date.
   */
  seriesWords(ctx: TextContext, first: Date, later: Date[]): string[] {
    const t = (key: string, vars: Record<string, unknown> = {}) =>
      this.t(ctx.lang, `series.${key}`, vars);
    const next = (at: Date) => [
      t('next', { when: this.when(ctx, at) }),
      t('next', { when: formatShort(at, ctx.timeZone, ctx.lang) }),
      t('next', { when: formatDay(at, ctx.timeZone, ctx.lang) }),
    ];
    const count = later.length + 1;
    const [soon] = later as [Date];
    if (later.length === 1) return next(soon);
    const days = [first, ...later].map((d) => Date.parse(localDay(d, ctx.timeZone)));
    const gaps = days.slice(1).map((d, i) => Math.round((d - (days[i] as number)) / DAY_MS));
    const phases = gaps.filter((g, i) => i === 0 || g !== gaps[i - 1]);
    const every = (gap: number) =>
      gap === 1
        ? t('day')
        : gap === 7
          ? t('week')
          : gap === 14
            ? t('fortnight')
            : gap % 7 === 0
              ? t('weeks', { count: gap / 7 })
              : t('days', { count: gap });
    if (phases.length > 2 || phases.some((g) => g < 1)) {
      const dates = next(soon);
      return [t('total', { cadence: dates[0], count }), ...dates];
    }
    const [one, two] = phases as [number, number | undefined];
    const cadence =
      two === undefined ? every(one) : t('then', { first: every(one), second: every(two) });
    const out = [t('total', { cadence, count }), cadence];
    if (two !== undefined) out.push(every(one));
    out.push(...next(soon).slice(1));
    return out;
  }

  /**
   * Renders a message about one session in the first form that fits, each form tried with
   * the address, then without, then with the shorter answer line; else the last form with
   * the place, then the title, shortened.
   */
  private sessionMessage(
    ctx: TextContext,
    s: SessionInfo,
    forms: { key: string; vars?: Record<string, string> }[],
  ): string {
    const vars = (where: string, answers: string, title = this.title(ctx, s)) => ({
      org: this.org(ctx, s),
      title,
      when: this.when(ctx, s.startsAt),
      where,
      answers,
    });
    const full = this.t(ctx.lang, 'answers');
    const short = this.t(ctx.lang, 'answersShort');
    const variants: string[] = [];
    // The place and address matter more than the wording of the answers.
    for (const form of forms) {
      for (const where of this.wheres(ctx, s)) {
        for (const answers of [full, short])
          variants.push(this.t(ctx.lang, form.key, { ...vars(where, answers), ...form.vars }));
      }
    }
    const lean = forms.at(-1) as { key: string; vars?: Record<string, string> };
    const render = (v: ReturnType<typeof vars>) =>
      this.t(ctx.lang, lean.key, { ...v, ...lean.vars });
    const where = (max: number) => this.shortWhere(ctx, s, max);
    // The place gives way first, then a long title becomes the kind's name, then both.
    return this.pick(
      ctx,
      variants,
      [(max) => render(vars(where(max), short)), MIN_PLACE],
      [(max) => render(vars(where(max), short, this.title(ctx, s, max, true))), 12],
      (max) => render(vars(where(max), short, this.title(ctx, s, max))),
    );
  }

  /** Choose among sessions: an invitation, its relaunch, another offer. */
  choice(
    ctx: TextContext,
    key: 'choice' | 'choiceRelaunch' | 'choiceMoved' | 'ack.declinedOffers' | 'ack.full',
    kindTitle: { org: string; title: string },
    options: SessionInfo[],
    extra: Record<string, string> = {},
  ): string {
    const keys = key === 'choice' ? ['choice', 'choiceShort'] : [key];
    const lean = keys.at(-1) as string;
    const list = this.optionList(ctx, options);
    const variants = keys.map((k) => this.t(ctx.lang, k, { ...kindTitle, ...list, ...extra }));
    const render = (max: number, title: string) =>
      this.t(ctx.lang, lean, {
        ...kindTitle,
        title,
        ...this.optionList(ctx, options, max),
        ...extra,
      });
    const kind = options[0] ? this.t(ctx.lang, `kind.${options[0].kind}`) : kindTitle.title;
    // The places give way first, then a long title becomes the kind's name, then both.
    return this.pick(
      ctx,
      variants,
      [(max) => render(max, kindTitle.title), MIN_PLACE],
      [(max) => render(max, kind), 12],
      (max) => render(max, shorten(kind, max, this.ellipsis(ctx))),
    );
  }

  /**
   * A cancellation, and when other sessions are offered, the offer as a second message
   * (both would not fit one SMS). `later` overrides "we will offer another date" (an
   * individual rendez-vous: the référent will).
   */
  cancelled(ctx: TextContext, s: SessionInfo, options: SessionInfo[], later?: string): string[] {
    const vars = (title: string) => ({
      org: this.org(ctx, s),
      title,
      when: this.when(ctx, s.startsAt),
      next: options.length ? '' : (later ?? this.t(ctx.lang, 'later')),
    });
    const notice = this.pick(
      ctx,
      [this.t(ctx.lang, 'cancelled', vars(this.title(ctx, s)))],
      (max) => this.t(ctx.lang, 'cancelled', vars(this.title(ctx, s, max))),
    );
    if (!options.length) return [notice];
    const offer = this.pick(
      ctx,
      [this.t(ctx.lang, 'cancelledOffers', this.optionList(ctx, options))],
      (max) => this.t(ctx.lang, 'cancelledOffers', this.optionList(ctx, options, max)),
    );
    return [notice, offer];
  }

  /** A session of an offer moved away, and nothing else to offer for now. */
  movedNoOffer(ctx: TextContext, s: SessionInfo): string {
    const vars = (title: string) => ({
      org: this.org(ctx, s),
      title,
      later: this.t(ctx.lang, 'later'),
    });
    return this.pick(ctx, [this.t(ctx.lang, 'movedNoOffer', vars(this.title(ctx, s)))], (max) =>
      this.t(ctx.lang, 'movedNoOffer', vars(this.title(ctx, s, max))),
    );
  }

  /** The subject of an email copy (locales/<lng>/email.json). */
  subject(ctx: TextContext, key: string, s: SessionInfo): string {
    return this.i18n.getFixedT(ctx.lang, 'email')(`subject.${key}`, {
      title: this.title(ctx, s),
      when: this.when(ctx, s.startsAt),
    }) as string;
  }

  /** The closing line of an email copy: where to answer (email replies are not read). */
  replyVia(lang: string, channel: ChannelKind): string {
    return this.i18n.getFixedT(lang, 'email')(`replyVia.${channel}`) as string;
  }

  who(lang: string, referentName: string | null | undefined): string {
    return referentName
      ? this.t(lang, 'who.referent', { name: referentName })
      : this.t(lang, 'who.team');
  }
}
