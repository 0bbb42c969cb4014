// Reminder points relative to the invitation and the session (pure).
import { describe, expect, it } from 'vitest';
import { planPoints } from '../../../src/appointments/planning.js';
import {
  DEFAULT_POINTS,
  parseSettings,
  pointsFor,
  settingsFrom,
} from '../../../src/appointments/settings.js';

const plan = (
  invitedAt: string,
  startsAt: string | undefined,
  anchors: 'all' | 'invitation' | 'appointment' = 'all',
) =>
  planPoints({
    points: DEFAULT_POINTS,
    invitedAt: new Date(invitedAt),
    startsAt: startsAt ? new Date(startsAt) : undefined,
    now: new Date(invitedAt),
    timeZone: 'Europe/Paris',
    anchors,
  }).map((p) => `${p.point.name} ${p.dueAt.toISOString()}`);

describe('reminder planning', () => {
  it('invitation at once, J+3 at 11:00, J-2 at 10:00 (local time)', () => {
    expect(plan('2026-03-02T08:00:00Z', '2026-03-12T13:00:00Z')).toEqual([
      'invitation 2026-03-02T08:00:00.000Z',
      'relaunch 2026-03-05T10:00:00.000Z',
      'reminder 2026-03-10T09:00:00.000Z',
    ]);
  });

  it('no relaunch when the session is 2 days away or less by then, nothing after the start', () => {
    // Session on Friday 6th: the relaunch (Thursday 5th) would be less than 2 days before.
    expect(plan('2026-03-02T08:00:00Z', '2026-03-06T08:30:00Z')).toEqual([
      'invitation 2026-03-02T08:00:00.000Z',
      'reminder 2026-03-04T09:00:00.000Z',
    ]);
    // Invited the day before: the J-2 point is past, and one message a day.
    expect(plan('2026-03-05T15:00:00Z', '2026-03-06T08:30:00Z')).toEqual([
      'invitation 2026-03-05T15:00:00.000Z',
    ]);
    // Invited on the J-2 morning: the invitation covers the day.
    expect(plan('2026-03-04T08:00:00Z', '2026-03-06T08:30:00Z')).toEqual([
      'invitation 2026-03-04T08:00:00.000Z',
    ]);
  });

  it('a choice has no session yet: only the points anchored on the invitation', () => {
    expect(plan('2026-03-02T08:00:00Z', undefined, 'invitation')).toEqual([
      'invitation 2026-03-02T08:00:00.000Z',
      'relaunch 2026-03-05T10:00:00.000Z',
    ]);
  });

  it('keeps summer time: 10:00 in Paris is 08:00 UTC in April', () => {
    expect(plan('2026-03-25T09:00:00Z', '2026-04-02T07:30:00Z', 'appointment')).toEqual([
      'reminder 2026-03-31T08:00:00.000Z',
    ]);
  });
});

describe('settings', () => {
  it('defaults to the rdv-insertion cadence and the Puy-de-Dôme targets', () => {
    const s = settingsFrom({});
    expect(pointsFor(s, 'rio')).toEqual(DEFAULT_POINTS);
    expect(s.targets.map((t) => t.rate)).toEqual([0.6, 0.8]);
    expect(s.offer).toEqual({ count: 3, minLeadHours: 24, horizonDays: 60 });
    expect(s.rights.deadlineDays).toBe(90);
  });

  it('takes a policy per kind and refuses nonsense', () => {
    const s = settingsFrom({
      appointments: {
        policies: { workshop: [{ name: 'veille', anchor: 'appointment', days: -1, at: '18:00' }] },
      },
    });
    expect(pointsFor(s, 'workshop').map((p) => p.name)).toEqual(['veille']);
    expect(pointsFor(s, 'rio')).toEqual(DEFAULT_POINTS);
    expect(() =>
      parseSettings({
        policies: { rio: [{ name: 'x', anchor: 'appointment', days: -1, at: '25:00' }] },
      }),
    ).toThrow();
    // Invalid stored settings fall back to the defaults rather than stopping reminders.
    expect(pointsFor(settingsFrom({ appointments: { targets: 'lots' } }), 'rio')).toEqual(
      DEFAULT_POINTS,
    );
  });
});
