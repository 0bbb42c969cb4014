import { describe, expect, it } from 'vitest';
import {
  type PastContact,
  pressureDecision,
  underPressureLimit,
  WEEK_MS,
} from '../../../src/domain/contact-pressure.js';

const now = new Date('2026-03-13T10:00:00Z'); // Friday
const daysAgo = (d: number, hour = 0) =>
  new Date(now.getTime() - d * 86_400_000 + hour * 3_600_000);
const contact = (
  purpose: PastContact['purpose'],
  at: Date,
  contextKey = `c-${at.getTime()}`,
): PastContact => ({ purpose, at, contextKey });

describe('underPressureLimit', () => {
  it('counts unsolicited programme messages only', () => {
    expect(underPressureLimit({ purpose: 'newsletter', urgent: false, reply: false })).toBe(true);
    expect(underPressureLimit({ purpose: 'appointment', urgent: true, reply: false })).toBe(false);
    expect(underPressureLimit({ purpose: 'consultation', urgent: false, reply: true })).toBe(false);
    expect(underPressureLimit({ purpose: 'conversation', urgent: false, reply: false })).toBe(
      false,
    );
    expect(underPressureLimit({ purpose: 'system', urgent: false, reply: false })).toBe(false);
  });
});

describe('pressureDecision', () => {
  it('allows up to three contacts a week', () => {
    const history = [contact('consultation', daysAgo(5)), contact('forum', daysAgo(2))];
    expect(pressureDecision({ purpose: 'newsletter', contextKey: 'n1' }, history, now)).toEqual({
      allowed: true,
      counted: 2,
    });
  });

  it('holds the fourth, until the oldest contact leaves the rolling week', () => {
    const oldest = daysAgo(6);
    const history = [
      contact('consultation', oldest),
      contact('forum', daysAgo(3)),
      contact('newsletter', daysAgo(1)),
    ];
    const d = pressureDecision({ purpose: 'newsletter', contextKey: 'n2' }, history, now);
    expect(d).toEqual({
      allowed: false,
      counted: 3,
      retryAt: new Date(oldest.getTime() + WEEK_MS + 1),
    });
  });

  it('forgets contacts older than a week', () => {
    const history = [
      contact('newsletter', daysAgo(8)),
      contact('newsletter', daysAgo(7, -1)),
      contact('newsletter', daysAgo(2)),
    ];
    expect(pressureDecision({ purpose: 'newsletter', contextKey: 'x' }, history, now)).toEqual({
      allowed: true,
      counted: 1,
    });
  });

  it('never lets lower priorities crowd out a rendez-vous', () => {
    const history = [
      contact('newsletter', daysAgo(1)),
      contact('consultation', daysAgo(2)),
      contact('forum', daysAgo(3)),
    ];
    expect(
      pressureDecision({ purpose: 'appointment', contextKey: 'rdv' }, history, now).allowed,
    ).toBe(true);
    // The forum counts for a consultation (higher), the newsletter does not.
    expect(pressureDecision({ purpose: 'consultation', contextKey: 'k' }, history, now)).toEqual({
      allowed: true,
      counted: 2,
    });
    const reminders = [1, 2, 3].map((d) => contact('appointment', daysAgo(d)));
    expect(
      pressureDecision({ purpose: 'newsletter', contextKey: 'n' }, reminders, now).allowed,
    ).toBe(false);
    expect(
      pressureDecision({ purpose: 'appointment', contextKey: 'rdv' }, reminders, now).allowed,
    ).toBe(false);
  });

  it('counts the messages of one run on one day as one contact, and lets it go on', () => {
    const run = 'run:1';
    const history = [
      contact('consultation', daysAgo(0, -1), run), // the introduction, an hour ago
      contact('consultation', daysAgo(0, -1), run), // its first question
      contact('newsletter', daysAgo(2)),
      contact('newsletter', daysAgo(3)),
    ];
    // Same run, same day: not a new contact even at the limit.
    expect(pressureDecision({ purpose: 'newsletter', contextKey: run }, history, now)).toEqual({
      allowed: true,
      counted: 3,
    });
    // A reminder of that run another day is a new contact.
    const later = new Date(now.getTime() + 86_400_000);
    expect(
      pressureDecision({ purpose: 'newsletter', contextKey: run }, history, later).allowed,
    ).toBe(false);
  });

  it('takes the limit from the policy', () => {
    const history = [contact('newsletter', daysAgo(1))];
    expect(
      pressureDecision({ purpose: 'newsletter', contextKey: 'n' }, history, now, { limit: 1 })
        .allowed,
    ).toBe(false);
  });
});
