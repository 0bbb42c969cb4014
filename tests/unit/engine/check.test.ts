import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkFlowFiles } from '../../../src/conversations/flow-files.js';
import {
  checkFlowSource,
  checkFlowSources,
  formatProblem,
  type Problem,
  summaryLine,
} from '../../../src/engine/check.js';
import { FALC, type I18n } from '../../../src/i18n/index.js';
import { FIXTURES, freshI18n, realI18n } from './helpers.js';

let i18n: I18n;
beforeAll(async () => {
  i18n = await realI18n();
});

const broken = (name: string) => path.join(FIXTURES, 'broken', name);

/** Problems of one fixture, as `path: message` (translations not required unless asked). */
async function problemsOf(name: string, languages: string[] = []): Promise<string[]> {
  const [checked] = await checkFlowFiles([broken(name)], { i18n, languages });
  return (checked?.problems ?? []).map(
    (p) => `${p.severity === 'warning' ? 'warning ' : ''}${p.path}: ${p.message}`,
  );
}

describe('formatProblem', () => {
  it('prints file:path: message, and marks warnings', () => {
    const p: Problem = {
      file: 'flows/mobilite.yaml',
      path: 'nodes[3].choices[1].label',
      message: 'too long',
      severity: 'error',
    };
    expect(formatProblem(p)).toBe('flows/mobilite.yaml:nodes[3].choices[1].label: too long');
    expect(formatProblem({ ...p, path: '', severity: 'warning' })).toBe(
      'flows/mobilite.yaml: warning: too long',
    );
  });
});

describe('flows:check problems', () => {
  it('passes a correct flow', async () => {
    const [checked] = await checkFlowFiles([path.join(FIXTURES, 'valid.yaml')], {
      i18n,
      languages: [],
    });
    expect(checked?.problems).toEqual([]);
    expect(
      checked?.definition && checked.summary && summaryLine(checked.definition, checked.summary),
    ).toBe('fixture-valid v1: 3 nodes, longest SMS prompt 1 SMS (intro, fr)');
  });

  it('reports a YAML syntax error with its line and column', async () => {
    const [checked] = await checkFlowFiles([broken('yaml-syntax.txt')], { i18n, languages: [] });
    expect(checked?.problems).toEqual([
      {
        file: broken('yaml-syntax.txt'),
        path: '7:1',
        severity: 'error',
        message: 'YAML syntax error: Missing closing "quote',
      },
    ]);
    expect(checked?.definition).toBeUndefined();
  });

  it('reports schema errors with their path', async () => {
    expect(await problemsOf('schema.yaml')).toEqual([
      'id: a flow id is kebab-case: lower-case letters, digits and "-"',
      'version: a version is 1 or more',
      'nodes[0].choices: an ask "single" needs at least 2 choices',
      'nodes[1].nxt: unknown field "nxt"',
    ]);
  });

  it('reports a duplicate node id', async () => {
    expect(await problemsOf('duplicate-node.yaml')).toEqual([
      'nodes[1].id: duplicate node id "a" (already used by nodes[0])',
    ]);
  });

  it('reports unknown nodes in start, next, choice next, noResponse and branch cases', async () => {
    expect(await problemsOf('unknown-node.yaml')).toEqual([
      'start: unknown node "nowhere"',
      'nodes[0].choices[0].next: unknown node "ghost"',
      'nodes[0].noResponse: unknown node "phantom"',
      'nodes[1].cases[0].next: unknown node "spectre"',
      'nodes[2].next: unknown node "wraith"',
    ]);
  });

  it('reports an unreachable node', async () => {
    expect(await problemsOf('unreachable.yaml')).toEqual([
      'nodes[1]: node "island" is never reached',
    ]);
  });

  it('reports missing exits: a last node that is not an end, a branch without default', async () => {
    expect(await problemsOf('missing-exit.yaml')).toEqual([
      'nodes[1].default: a branch needs a default: where to go when no case matches',
      'nodes[2]: no way out of "c": it is the last node and has no next (add next, or end the flow with an end node)',
    ]);
  });

  it('reports a loop of nodes without a question', async () => {
    expect(await problemsOf('loop.yaml')).toEqual([
      'nodes[1]: loop without a question: a → b → a would never wait for an answer',
    ]);
  });

  it('reports branch cases that cannot match', async () => {
    expect(await problemsOf('bad-branch.yaml')).toEqual([
      'nodes[1].cases[0].when[0]: "peut-etre" is not a category of result "ok" (expected yes, no)',
      'nodes[1].cases[1].when: a range (gte/lte) only fits a scale or number result; "ok" is yesno',
      'nodes[2].branch: no question stores a result "nothing_here"',
    ]);
  });

  it('reports a label too long for a button', async () => {
    expect(await problemsOf('long-label.yaml')).toEqual([
      'nodes[0].choices[1].label: label "Une étiquette beaucoup trop longue pour un bouton" is 49 characters; buttons show 32 at most',
    ]);
  });

  it('counts the space the number takes on the buttons of a multiple question', () => {
    const label = 'Trente caractères, ou presque'; // 29 characters: 32 once numbered "1. "
    const text = `id: m\nversion: 1\nkind: avis\ntitle: M\nnodes:\n  - id: q\n    ask: multiple\n    text: Q\n    result: q\n    choices:\n      - { id: a, label: "${label}" }\n      - { id: b, label: B }\n  - id: e\n    end: F\n`;
    const checked = checkFlowSource('m.yaml', text, { i18n, languages: [] });
    expect(checked.problems).toEqual([]);
    const longer = checkFlowSource('m.yaml', text.replace(label, `${label}!`), {
      i18n,
      languages: [],
    });
    expect(longer.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      `nodes[0].choices[0].label: label "${label}!" is 30 characters; buttons show 32 at most (29 after the number of a multiple choice)`,
    ]);
  });

  it('reports a prompt longer than 2 SMS once rendered with its options', async () => {
    expect(await problemsOf('long-sms.yaml')).toEqual([
      'nodes[0].text: fr: this question with its options is 347 characters once rendered for SMS (3 SMS, GSM-7); keep it to 2 SMS',
    ]);
  });

  it('warns when a consultation does not first say that answering is voluntary, or names the RSA', async () => {
    expect(await problemsOf('not-voluntary.yaml')).toEqual([
      'warning nodes[0].say: a consultation first says that answering is voluntary, e.g. "Répondre est libre. Cela ne change rien à vos droits ni à votre allocation."',
      'warning nodes[0].say: the first line shows on a locked phone: do not name "RSA" or "allocataire" there',
    ]);
  });

  it('reports duplicate flow id and version across files', async () => {
    const checked = await checkFlowFiles(
      [broken('dup-version-a.yaml'), broken('dup-version-b.yaml')],
      { i18n, languages: [] },
    );
    expect(checked[0]?.problems).toEqual([]);
    expect(checked[1]?.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      `version: flow fixture-twice v3 is already defined in ${broken('dup-version-a.yaml')}; give this one a new version`,
    ]);
  });
});

describe('translations', () => {
  const source = () => ({
    file: 'pets.yaml',
    text: readFileSync(broken('missing-translation.yaml'), 'utf8'),
  });

  it('requires every text, label and keyword list in en and fr-x-falc', async () => {
    const fresh = await freshI18n();
    fresh.addResourceBundle(
      'en',
      'flows',
      {
        'fixture-translation': {
          a: { text: 'Pick', choices: { x: { label: 'Cat' }, y: { label: 'Dog' } } },
          b: { end: 'End' },
          gone: { say: 'Left over' },
        },
      },
      true,
      true,
    );
    const [checked] = checkFlowSources([source()], { i18n: fresh });
    const lines = checked?.problems.map((p) => `${p.severity} ${p.path}: ${p.message}`) ?? [];
    expect(lines).toContain(
      'error nodes[0].choices[0].keywords: missing en keywords (locales/en/flows.json: fixture-translation.a.choices.x.keywords, a list of words)',
    );
    expect(lines).toContain(
      'warning : locales/en/flows.json: fixture-translation.gone translates a node this flow does not have',
    );
    const falc = lines.filter((l) => l.includes(`missing ${FALC} translation`));
    expect(falc).toEqual([
      `error nodes[0].text: missing ${FALC} translation (locales/${FALC}/flows.json: fixture-translation.a.text)`,
      `error nodes[0].choices[0].label: missing ${FALC} translation (locales/${FALC}/flows.json: fixture-translation.a.choices.x.label)`,
      `error nodes[0].choices[1].label: missing ${FALC} translation (locales/${FALC}/flows.json: fixture-translation.a.choices.y.label)`,
      `error nodes[1].end: missing ${FALC} translation (locales/${FALC}/flows.json: fixture-translation.b.end)`,
    ]);
    expect(lines.filter((l) => l.includes('missing en translation'))).toEqual([]);
  });

  it('passes once both languages are complete, and checks translated labels and SMS too', async () => {
    const fresh = await freshI18n();
    const full = (catLabel: string) => ({
      'fixture-translation': {
        a: {
          text: 'Pick',
          choices: { x: { label: catLabel, keywords: ['cat'] }, y: { label: 'Dog' } },
        },
        b: { end: 'End' },
      },
    });
    fresh.addResourceBundle('en', 'flows', full('Cat'), true, true);
    fresh.addResourceBundle(FALC, 'flows', full('Un chat, un petit animal qui miaule'), true, true);
    const [checked] = checkFlowSources([source()], { i18n: fresh });
    expect(checked?.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      `nodes[0].choices[0].label: ${FALC} label "Un chat, un petit animal qui miaule" is 35 characters; buttons show 32 at most`,
    ]);
  });
});
