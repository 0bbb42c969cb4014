// Reading what agents and people send: CSV exports, dates, replies to appointment messages.
import { describe, expect, it } from 'vitest';
import {
  couldBeAppointmentAnswer,
  parseAppointmentAnswer,
} from '../../../src/appointments/answers.js';
import { CsvError, normaliseHeader, readCsv } from '../../../src/appointments/csv.js';
import { formatShort, formatWhen, parseLocalDate } from '../../../src/appointments/dates.js';

const PARIS = 'Europe/Paris';

describe('CSV exports', () => {
  it('reads ";" with a UTF-8 BOM, quoted cells and line numbers', () => {
    const t = readCsv(
      Buffer.from(
        '\uFEFFRéférence;Lieu\r\nC1;"MDS; Niort"\r\n\r\nC2;"Salle ""B"""\r\nC3;"Rez-de-\r\nchaussée"\r\nC4;x\r\n',
      ),
    );
    expect(t).toMatchObject({ encoding: 'utf-8', delimiter: ';', headers: ['reference', 'lieu'] });
    expect(t.rows.map((r) => [r.line, r.cells.lieu])).toEqual([
      [2, 'MDS; Niort'],
      [4, 'Salle "B"'],
      [5, 'Rez-de-\nchaussée'],
      [7, 'x'],
    ]);
  });

  it('reads Windows-1252 and ","', () => {
    const t = readCsv(Buffer.from('Prénom,Téléphone\nHélène,06 12 34 56 78\n', 'latin1'));
    expect(t).toMatchObject({ encoding: 'windows-1252', delimiter: ',' });
    expect(t.rows[0]?.cells).toEqual({ prenom: 'Hélène', telephone: '06 12 34 56 78' });
  });

  it('names columns whatever their case, accents and words', () => {
    expect(normaliseHeader('Date du RDV')).toBe('date_rdv');
    expect(normaliseHeader("Date d'orientation")).toBe('date_orientation');
    expect(normaliseHeader('ANNÉE DE NAISSANCE')).toBe('annee_naissance');
    expect(() => readCsv('')).toThrow(CsvError);
  });
});

describe('dates', () => {
  it('reads French dates as local time of the organisation', () => {
    expect(parseLocalDate('14/03/2026 09:30', PARIS)).toEqual({
      ok: true,
      at: new Date('2026-03-14T08:30:00Z'),
      hasTime: true,
    });
    expect(parseLocalDate('14/07/2026 9h30', PARIS)).toMatchObject({
      at: new Date('2026-07-14T07:30:00Z'),
    });
    expect(parseLocalDate('14/03/2026 9h', 'Indian/Reunion')).toMatchObject({
      at: new Date('2026-03-14T05:00:00Z'),
    });
    expect(parseLocalDate('2026-03-14T09:30:00+01:00', PARIS)).toMatchObject({
      at: new Date('2026-03-14T08:30:00Z'),
    });
    expect(parseLocalDate('14/03/2026', PARIS)).toMatchObject({ ok: true, hasTime: false });
    expect(parseLocalDate('31/02/2026 09:30', PARIS)).toEqual({
      ok: false,
      reason: 'no such date: "31/02/2026 09:30"',
    });
    expect(parseLocalDate('', PARIS)).toEqual({ ok: false, reason: 'missing date' });
    expect(parseLocalDate('mardi prochain', PARIS).ok).toBe(false);
  });

  it('writes dates as people read them', () => {
    const at = new Date('2026-03-17T08:30:00Z');
    expect(formatWhen(at, PARIS, 'fr')).toBe('mardi 17 mars à 9h30');
    expect(formatWhen(at, PARIS, 'en')).toBe('Tuesday 17 March at 9:30');
    expect(formatShort(new Date('2026-03-19T13:00:00Z'), PARIS, 'fr')).toBe('jeu. 19/03 14h');
  });
});

describe('replies to appointment messages', () => {
  const confirm = (t: string) => parseAppointmentAnswer(t, 'confirm', 0)?.kind;
  const choice = (t: string) => parseAppointmentAnswer(t, 'choice', 3);

  it('tells an appointment answer from a questionnaire answer before any lookup', () => {
    for (const t of ['1', '2', '3', 'oui', 'Non merci', 'B', 'a', '👍']) {
      expect(couldBeAppointmentAnswer(t), t).toBe(true);
    }
    for (const t of ['Ça me convient', 'Moyen', 'Je ne sais pas', '4', 'D', '']) {
      expect(couldBeAppointmentAnswer(t), t).toBe(false);
    }
    expect(couldBeAppointmentAnswer('yes', 'en')).toBe(true);
  });

  it('1/OUI confirms, 2/NON cannot come, 3 asks for a call', () => {
    expect(['1', '1.', 'Oui', 'ok merci', "d'accord", '👍'].map(confirm)).toEqual(
      Array(6).fill('confirm'),
    );
    expect(['2', 'non', '2 merci', 'Non merci'].map(confirm)).toEqual(Array(4).fill('decline'));
    expect(confirm('3')).toBe('call');
    expect(confirm('je serai en retard')).toBeUndefined();
    expect(confirm('peut-être')).toBeUndefined();
    expect(confirm('1 2')).toBeUndefined();
  });

  it('a letter chooses a session; 2 and 3 keep their meaning; 1 is not A', () => {
    expect(choice('A')).toEqual({ kind: 'choose', index: 0 });
    expect(choice('la b')).toEqual({ kind: 'choose', index: 1 });
    expect(choice('je prends la C !')).toEqual({ kind: 'choose', index: 2 });
    expect(choice('2')).toEqual({ kind: 'decline' });
    expect(choice('non')).toEqual({ kind: 'decline' });
    expect(choice('3')).toEqual({ kind: 'call' });
    expect(choice('1')).toBeUndefined();
    expect(choice('D')).toBeUndefined();
    expect(parseAppointmentAnswer('C', 'choice', 2)).toBeUndefined();
  });
});
