import { describe, expect, it } from 'vitest';
import { parseFlowSource } from '../../../src/engine/check.js';
import {
  expiryOf,
  flowSchema,
  formatPath,
  parseDuration,
  scaleBounds,
} from '../../../src/engine/schema.js';

const base = { id: 'ok-flow', version: 1, kind: 'avis', title: 'Titre' };

function issues(input: unknown): string[] {
  const r = flowSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

describe('flow schema', () => {
  it('accepts every node kind and fills the kind discriminator and defaults', () => {
    const def = flowSchema.parse({
      ...base,
      expiresAfter: '48h',
      nodes: [
        { id: 'hello', say: 'Bonjour', notify: 'facilitators' },
        {
          id: 'pick',
          ask: 'single',
          text: 'Choisir',
          result: 'pick',
          choices: [
            { id: 'a', label: 'A', keywords: ['aa'], next: 'bye' },
            { id: 'b', label: 'B' },
          ],
          timeout: '1d',
          noResponse: 'bye',
          hint: 'Un indice',
        },
        {
          id: 'rate',
          ask: 'scale',
          text: 'Note',
          result: 'rate',
          labels: { min: 'Bas', max: 'Haut' },
        },
        { id: 'n', ask: 'number', text: 'Combien', result: 'n', min: 0, max: 10 },
        {
          id: 'go',
          branch: 'rate',
          cases: [
            { when: { gte: 4 }, next: 'bye' },
            { when: ['1', 2], next: 'bye' },
          ],
          default: 'bye',
        },
        { id: 'bye', end: 'Merci' },
      ],
    });
    expect(def.language).toBe('fr');
    expect(def.nodes.map((n) => n.kind)).toEqual(['say', 'ask', 'ask', 'ask', 'branch', 'end']);
    const branch = def.nodes[4];
    expect(branch?.kind === 'branch' && branch.cases[1]?.when).toEqual(['1', '2']);
  });

  it('accepts an end without text (null in YAML) and yes/true in branch cases', () => {
    const r = parseFlowSource(
      'x.yaml',
      `id: t\nversion: 2\nkind: onboarding\ntitle: T\nnodes:\n  - id: q\n    ask: yesno\n    text: Q\n    result: q\n  - id: b\n    branch: q\n    cases:\n      - when: [true]\n        next: e\n    default: e\n  - id: e\n    end:\n`,
    );
    expect(r.problems).toEqual([]);
    const end = r.definition?.nodes[2];
    expect(end?.kind).toBe('end');
    expect(end?.kind === 'end' && end.end).toBeUndefined();
    const b = r.definition?.nodes[1];
    expect(b?.kind === 'branch' && b.cases[0]?.when).toEqual(['yes']);
  });

  it('rejects bad ids, versions, kinds and durations with paths', () => {
    expect(
      issues({
        ...base,
        id: 'Not_Kebab',
        version: 0,
        kind: 'survey',
        expiresAfter: '3 days',
        nodes: [{ id: 'a', end: 'x' }],
      }),
    ).toEqual([
      'id: a flow id is kebab-case: lower-case letters, digits and "-"',
      'version: a version is 1 or more',
      'kind: expected one of consultation, avis, forum-poll, reminder-dialog, onboarding',
      'expiresAfter: expected a duration like "3d", "48h" or "90m"',
    ]);
  });

  it('rejects node ids that would not fit a Telegram callback', () => {
    const long = 'a'.repeat(25);
    expect(issues({ ...base, nodes: [{ id: long, end: 'x' }] })).toEqual([
      'nodes[0].id: must be 1 to 24 characters among a-z, 0-9, "_" and "-"',
    ]);
    expect(issues({ ...base, nodes: [{ id: 'Avec Espace', end: 'x' }] })).toHaveLength(1);
  });

  it('needs exactly one of say, ask, branch, end', () => {
    expect(issues({ ...base, nodes: [{ id: 'a', text: 'x' }] })).toEqual([
      'nodes[0].kind: a node needs one of: say, ask, branch, end',
    ]);
    expect(issues({ ...base, nodes: [{ id: 'a', say: 'x', end: 'y' }] })).toEqual([
      'nodes[0].kind: a node has exactly one of say, ask, branch, end (this one has say, end)',
    ]);
  });

  it('checks the fields of each ask kind', () => {
    const ask = { id: 'a', text: 'Q', result: 'r' };
    expect(
      issues({ ...base, nodes: [{ ...ask, ask: 'single', choices: [{ id: 'x', label: 'X' }] }] }),
    ).toEqual(['nodes[0].choices: an ask "single" needs at least 2 choices']);
    expect(
      issues({
        ...base,
        nodes: [
          {
            ...ask,
            ask: 'yesno',
            choices: [
              { id: 'x', label: 'X' },
              { id: 'y', label: 'Y' },
            ],
          },
        ],
      }),
    ).toEqual(['nodes[0].choices: choices are only for ask "single" or "multiple", not "yesno"']);
    expect(
      issues({
        ...base,
        nodes: [
          {
            ...ask,
            ask: 'multiple',
            choices: [
              { id: 'x', label: 'X' },
              { id: 'x', label: 'Y' },
            ],
          },
        ],
      }),
    ).toEqual(['nodes[0].choices[1].id: duplicate choice id "x"']);
    expect(issues({ ...base, nodes: [{ ...ask, ask: 'scale', min: 0, max: 20 }] })).toEqual([
      'nodes[0].max: a scale has 2 to 11 points (it has 21)',
    ]);
    expect(issues({ ...base, nodes: [{ ...ask, ask: 'number', min: 5, max: 1 }] })).toEqual([
      'nodes[0].max: max must not be below min',
    ]);
    expect(issues({ ...base, nodes: [{ ...ask, ask: 'text', min: 1 }] })).toEqual([
      'nodes[0].min: min and max are only for ask "scale" or "number", not "text"',
    ]);
    expect(issues({ ...base, nodes: [{ ...ask, ask: 'free' }] })).toEqual([
      'nodes[0].ask: expected one of single, multiple, scale, yesno, text, number, date',
    ]);
    expect(issues({ ...base, nodes: [{ ...ask, ask: 'text', result: 'Bad Name' }] })).toHaveLength(
      1,
    );
  });

  it('rejects unknown fields and empty branch ranges', () => {
    const r = parseFlowSource(
      'f.yaml',
      `id: t\nversion: 1\nkind: avis\ntitle: T\nnodes:\n  - id: a\n    say: x\n    nxt: b\n  - id: b\n    branch: r\n    cases:\n      - when: {}\n        next: a\n`,
    );
    expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'nodes[0].nxt: unknown field "nxt"',
      'nodes[1].cases[0].when: a range needs gte, lte or both',
    ]);
  });

  it('reports missing required fields as missing', () => {
    const r = parseFlowSource(
      'f.yaml',
      'id: t\nversion: 1\nkind: avis\nnodes:\n  - id: a\n    ask: text\n    result: r\n',
    );
    expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'title: is missing',
      'nodes[0].text: is missing',
    ]);
  });

  it('reports duplicate node ids', () => {
    expect(
      issues({
        ...base,
        nodes: [
          { id: 'a', say: 'x' },
          { id: 'a', end: 'y' },
        ],
      }),
    ).toEqual(['nodes[1].id: duplicate node id "a" (already used by nodes[0])']);
  });
});

describe('durations and defaults', () => {
  it('parses durations', () => {
    expect(parseDuration('3d')).toBe(3 * 24 * 3600_000);
    expect(parseDuration('48h')).toBe(48 * 3600_000);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('1d12h')).toBe(36 * 3600_000);
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('0m')).toBeUndefined();
    expect(parseDuration('3 jours')).toBeUndefined();
  });

  it('gives consultations 3 days and other kinds no expiry by default', () => {
    expect(expiryOf({ kind: 'consultation' })).toBe(3 * 24 * 3600_000);
    expect(expiryOf({ kind: 'avis' })).toBeUndefined();
    expect(expiryOf({ kind: 'avis', expiresAfter: '90m' })).toBe(90 * 60_000);
    expect(expiryOf({ kind: 'consultation', expiresAfter: '1d' })).toBe(24 * 3600_000);
  });

  it('defaults a scale to 1..5', () => {
    expect(scaleBounds({})).toEqual({ min: 1, max: 5 });
    expect(scaleBounds({ min: 0, max: 10 })).toEqual({ min: 0, max: 10 });
  });
});
