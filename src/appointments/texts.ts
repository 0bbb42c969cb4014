// The words of appointment messages (locales/<lng>/appointments.json). Every message has
// variants from the richest to the leanest; the first that fits in one SMS segment under
// the organisation's accent policy is sent (the longer answer line goes first, then the
// address), on every channel, since a Telegram message may fall back to SMS. They say what, when, where and who
// organises; they never mention sanctions nor the programme's name.

import { prepareSms } from '../domain/sms/index.js';
import type { ChannelKind } from '../generated/prisma/client.js';
import type { i18n } from '../i18n/index.js';
import { formatShort, formatWhen } from './dates.js';

export interface SessionInfo {
  id: string;
  kind: string;
  title: string;
  startsAt: Date;
  place: string | null;
  address: string | null;
  byPhone: boolean;
  organiserName: string | null;
}

export interface TextContext {
  lang: string;
  timeZone: string;
  /** Sender name starting the message. */
  org: string;
  channel: ChannelKind;
  smsAccents: 'keep' | 'transliterate';
}

export const LETTERS = ['A', 'B', 'C'] as const;

export class AppointmentTexts {
  constructor(private readonly i18n: i18n) {}

  t(lang: string, key: string, vars: Record<string, unknown> = {}): string {
    return this.i18n.getFixedT(lang, 'appointments')(key, vars as Record<string, string>) as string;
  }

  /**
   * The first variant that fits one SMS, else the leanest. On every channel: a Telegram
   * message to a chat that turns out blocked falls back to SMS with the same words.
   */
  pick(ctx: TextContext, variants: string[]): string {
    const unique = [...new Set(variants.map((v) => v.replace(/\s+/g, ' ').trim()))];
    const policy = ctx.channel === 'sms' ? ctx.smsAccents : 'transliterate';
    for (const v of unique) {
      if (prepareSms(v, policy).segments.parts === 1) return v;
    }
    return unique.at(-1) as string;
  }

  org(ctx: TextContext, s: SessionInfo): string {
    return s.organiserName?.trim() || ctx.org;
  }

  title(ctx: TextContext, s: SessionInfo): string {
    return s.title?.trim() || this.t(ctx.lang, `kind.${s.kind}`);
  }

  /** Where, from the fullest to the shortest. */
  wheres(ctx: TextContext, s: SessionInfo): string[] {
    if (s.byPhone) return [this.t(ctx.lang, 'byPhone')];
    const place = s.place?.trim();
    const address = s.address?.trim();
    const out: string[] = [];
    if (place && address) out.push(`${place}, ${address}`);
    if (place) out.push(place);
    if (address) out.push(address);
    return out.length ? out : [''];
  }

  when(ctx: TextContext, at: Date): string {
    return formatWhen(at, ctx.timeZone, ctx.lang);
  }

  /** "A mar. 17/03 9h30, B jeu. 19/03 14h" (places named when they differ). */
  optionList(
    ctx: TextContext,
    options: SessionInfo[],
  ): { options: string; letters: string; at: string }[] {
    const places = new Set(options.map((o) => (o.byPhone ? '' : (o.place ?? ''))));
    const samePlace = places.size === 1 ? [...places][0] : undefined;
    const letters = LETTERS.slice(0, options.length);
    const lettersText =
      letters.length > 1
        ? `${letters.slice(0, -1).join(', ')} ${this.t(ctx.lang, 'or')} ${letters.at(-1)}`
        : (letters[0] ?? '');
    const line = (withPlace: boolean) =>
      options
        .map((o, i) => {
          const date = formatShort(o.startsAt, ctx.timeZone, ctx.lang);
          return withPlace && o.place
            ? `${letters[i]} ${date} ${o.place}`
            : `${letters[i]} ${date}`;
        })
        .join(', ');
    if (samePlace) {
      return [
        {
          options: line(false),
          letters: lettersText,
          at: this.t(ctx.lang, 'at', { place: samePlace }),
        },
        { options: line(false), letters: lettersText, at: '' },
      ];
    }
    return [
      { options: line(true), letters: lettersText, at: '' },
      { options: line(false), letters: lettersText, at: '' },
    ];
  }

  /** A message about one session asking 1, 2 or 3 (convocation, relaunch, moved). */
  session(
    ctx: TextContext,
    key: 'convocation' | 'relaunch' | 'reminder' | 'moved' | 'ack.confirmed' | 'ack.booked',
    s: SessionInfo,
  ): string {
    const variants: string[] = [];
    // The place and address matter more than the wording of the answers.
    for (const where of this.wheres(ctx, s)) {
      for (const answers of [this.t(ctx.lang, 'answers'), this.t(ctx.lang, 'answersShort')]) {
        variants.push(
          this.t(ctx.lang, key, {
            org: this.org(ctx, s),
            title: this.title(ctx, s),
            when: this.when(ctx, s.startsAt),
            where,
            answers,
          }),
        );
      }
    }
    return this.pick(ctx, variants);
  }

  /** Choose among sessions: an invitation, its relaunch, another offer. */
  choice(
    ctx: TextContext,
    key: 'choice' | 'choiceRelaunch' | 'ack.declinedOffers' | 'ack.full',
    kindTitle: { org: string; title: string },
    options: SessionInfo[],
    extra: Record<string, string> = {},
  ): string {
    const keys = key === 'choice' ? ['choice', 'choiceShort'] : [key];
    const variants: string[] = [];
    for (const list of this.optionList(ctx, options)) {
      for (const k of keys) {
        variants.push(this.t(ctx.lang, k, { ...kindTitle, ...list, ...extra }));
      }
    }
    return this.pick(ctx, variants);
  }

  /**
   * A cancellation, and when other sessions are offered, the offer as a second message
   * (both would not fit one SMS).
   */
  cancelled(ctx: TextContext, s: SessionInfo, options: SessionInfo[]): string[] {
    const base = {
      org: this.org(ctx, s),
      title: this.title(ctx, s),
      when: this.when(ctx, s.startsAt),
    };
    const next = options.length ? '' : this.t(ctx.lang, 'later');
    const notice = this.pick(ctx, [this.t(ctx.lang, 'cancelled', { ...base, next })]);
    if (!options.length) return [notice];
    const offer = this.pick(
      ctx,
      this.optionList(ctx, options).map((list) => this.t(ctx.lang, 'cancelledOffers', list)),
    );
    return [notice, offer];
  }

  who(lang: string, referentName: string | null | undefined): string {
    return referentName
      ? this.t(lang, 'who.referent', { name: referentName })
      : this.t(lang, 'who.team');
  }
}
