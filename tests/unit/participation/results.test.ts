import { describe, expect, it } from 'vitest';
import { type FlowDefinition, flowSchema } from '../../../src/engine/index.js';
import { csvCell, reportToCsv, toCsv } from '../../../src/participation/csv.js';
import { type AnswerRow, buildReport } from '../../../src/participation/results.js';

const def = flowSchema.parse({
  id: 'petit-sondage',
  version: 1,
  kind: 'consultation',
  title: 'Petit sondage',
  language: 'fr',
  nodes: [
    { id: 'intro', say: 'Répondre est libre.' },
    {
      id: 'q1',
      ask: 'single',
      text: 'Couleur ?',
      result: 'color',
      choices: [
        { id: 'red', label: 'Rouge' },
        { id: 'blue', label: 'Bleu' },
      ],
    },
    {
      id: 'q2',
      ask: 'multiple',
      text: 'Jours ?',
      result: 'days',
      choices: [
        { id: 'mon', label: 'Lundi' },
        { id: 'tue', label: 'Mardi' },
      ],
    },
    { id: 'q3', ask: 'scale', text: 'Note ?', result: 'note', min: 1, max: 3 },
    { id: 'q4', ask: 'number', text: 'Combien ?', result: 'count' },
    { id: 'q5', ask: 'text', text: 'Une idée ?', result: 'idea' },
    { id: 'end', end: 'Merci' },
  ],
}) as FlowDefinition;

const consultation = {
  id: 'c1',
  title: 'Petit sondage',
  flowId: 'petit-sondage',
  flowVersion: 1,
  anonymous: true,
  status: 'open',
  launchedAt: '2026-03-02T08:00:00.000Z',
  deadline: '2026-03-09T17:00:00.000Z',
  standing: false,
  minAnswers: 3,
};

function answers(node: string, name: string, values: string[]): AnswerRow[] {
  return values.map((value, i) => ({
    responseId: `r${i}`,
    name,
    nodeId: node,
    value,
    category: null,
  }));
}

describe('consultation results', () => {
  const report = buildReport({
    consultation,
    def,
    invited: 10,
    responded: 4,
    responses: [
      { id: 'r0', lastNodeId: null, completed: true },
      { id: 'r1', lastNodeId: null, completed: true },
      { id: 'r2', lastNodeId: null, completed: true },
      { id: 'r3', lastNodeId: 'q2', completed: false },
    ],
    answers: [
      ...answers('q1', 'color', ['red', 'red', 'blue', 'red']),
      ...answers('q2', 'days', ['mon tue', 'mon', 'tue']),
      ...answers('q3', 'note', ['1', '3', '3']),
      ...answers('q4', 'count', ['2', '4', '9']),
      ...answers('q5', 'idea', ['Zut', 'bus le soir']),
    ],
  });

  it('counts options, percentages of the people who answered, and multiple answers per option', () => {
    const [q1, q2] = report.questions;
    expect(q1?.options).toEqual([
      { id: 'red', label: 'Rouge', count: 3, percent: 75 },
      { id: 'blue', label: 'Bleu', count: 1, percent: 25 },
    ]);
    expect(q2?.options).toEqual([
      { id: 'mon', label: 'Lundi', count: 2, percent: 66.7 },
      { id: 'tue', label: 'Mardi', count: 2, percent: 66.7 },
    ]);
    expect(q2?.dropOff).toBe(1);
  });

  it('gives the scale distribution and mean, and number statistics', () => {
    expect(report.questions[2]?.scale).toEqual({
      min: 1,
      max: 3,
      distribution: { '1': 1, '2': 0, '3': 2 },
      mean: 2.33,
    });
    expect(report.questions[3]?.numbers).toEqual({ mean: 5, min: 2, max: 9 });
  });

  it('hides a question with fewer answers than the threshold', () => {
    expect(report.questions[4]).toMatchObject({ result: 'idea', answers: null, suppressed: true });
    expect(report.questions[4]?.texts).toBeUndefined();
    expect(report).toMatchObject({ invited: 10, responded: 4, completed: 3, responseRate: 0.4 });
  });

  it('writes CSV for French Excel', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('-5 €')).toBe("'-5 €");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('+33 6')).toBe("'+33 6");
    expect(csvCell('a;b')).toBe('"a;b"');
    expect(csvCell('il a dit "oui"')).toBe('"il a dit ""oui"""');
    expect(csvCell(66.7)).toBe('66,7');
    expect(csvCell(-2)).toBe('-2');
    expect(toCsv([['a', 1]])).toBe('\uFEFFa;1\r\n');
    const csv = reportToCsv(report);
    expect(csv.startsWith('\uFEFFquestion;intitulé;réponse;nombre;pourcentage\r\n')).toBe(true);
    expect(csv).toContain('color;Couleur ?;Rouge;3;75\r\n');
    expect(csv).toContain('note;Note ?;moyenne;2,33;\r\n');
    expect(csv).toContain('idea;Une idée ?;moins de 3 réponses : non affiché;;\r\n');
  });
});
