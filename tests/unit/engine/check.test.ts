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
      'nodes[0].text: fr: this question with its options is 347 characters once rendered for SMS: 6 SMS with accents kept (UCS-2); 3 transliterated; keep it to 2 SMS (a character outside GSM-7, such as ê, â, ç, À or ’, makes a kept-accents SMS hold 70 characters)',
    ]);
  });

  const oneQuestion = (kind: string, intro: string, question: string, extra = '') =>
    `id: q\nversion: 1\nkind: ${kind}\ntitle: Q\n${extra}nodes:\n  - id: intro\n    say: "${intro}"\n  - id: q\n    ask: text\n    text: "${question}"\n    result: q\n  - id: e\n    end: Merci.\n`;
  const statement = 'Répondre est libre. Cela ne change rien à vos droits ni à votre allocation.';
  const problems = (text: string) =>
    checkFlowSource('q.yaml', text, { i18n, languages: [] }).problems.map(
      (p) => `${p.severity} ${p.path}: ${p.message}`,
    );

  it('counts a prompt with accents kept too: one "ê" makes it UCS-2, 70 characters an SMS', () => {
    const gsm =
      'Pouvez-vous nous dire en quelques mots ce qui vous manque le plus pour trouver un emploi pres de chez vous ?';
    expect(problems(oneQuestion('avis', 'Bonjour.', gsm))).toEqual([]);
    const withAccent = gsm.replace('pres', 'près, même loin de la gare et du bourg,');
    expect(problems(oneQuestion('avis', 'Bonjour.', withAccent))).toEqual([
      `error nodes[1].text: fr: this question with its options is ${withAccent.length} characters once rendered for SMS: 3 SMS with accents kept (UCS-2); 1 transliterated; keep it to 2 SMS (a character outside GSM-7, such as ê, â, ç, À or ’, makes a kept-accents SMS hold 70 characters)`,
    ]);
  });

  it('counts the "Rappel : …" a consultation reminder puts before a question', () => {
    // Two SMS alone, three once the reminder's line comes before it.
    const long = `${'Dites-nous ce qui compte pour vous dans la vie de tous les jours, '.repeat(4)}merci.`;
    expect(problems(oneQuestion('avis', statement, long))).toEqual([]);
    const reminded = `Rappel : votre avis compte. Vous pouvez encore répondre.\n\n${long}`;
    expect(problems(oneQuestion('consultation', statement, long))).toEqual([
      `error nodes[1].text: fr: this reminder of this question with its options is ${reminded.length} characters once rendered for SMS: 3 SMS transliterated (GSM-7); 3 with accents kept; keep it to 2 SMS (a character outside GSM-7, such as ê, â, ç, À or ’, makes a kept-accents SMS hold 70 characters)`,
    ]);
  });

  it('requires every flow sent unasked to say both halves of the voluntary statement', () => {
    expect(problems(oneQuestion('consultation', statement, 'Une idée ?'))).toEqual([]);
    const half = oneQuestion('consultation', 'Bonjour. Répondre est libre.', 'Une idée ?');
    expect(problems(half)).toEqual([
      `error nodes[0].say: fr: a consultation first says that answering is voluntary and changes nothing to the person's rights or allowance; it does not say that it changes nothing, to the person's rights, or allowance (e.g. "${statement}")`,
    ]);
    const noVoluntary = oneQuestion(
      'forum-poll',
      'Cela ne change rien à vos droits ni à votre allocation.',
      'Une date ?',
    );
    expect(problems(noVoluntary)).toEqual([
      `error nodes[0].say: fr: a forum-poll first says that answering is voluntary and changes nothing to the person's rights or allowance; it does not say that answering is voluntary (e.g. "${statement}")`,
    ]);
    // An avis the person asked for needs no statement; one sent after a RIO does.
    expect(problems(oneQuestion('avis', 'Bonjour.', 'Une idée ?'))).toEqual([]);
    expect(problems(oneQuestion('avis', 'Bonjour.', 'Une idée ?', 'invited: true\n'))).toEqual([
      `error nodes[0].say: fr: a flow sent to people who did not ask for it first says that answering is voluntary and changes nothing to the person's rights or allowance; it does not say that answering is voluntary, that it changes nothing, to the person's rights, or allowance (e.g. "${statement}")`,
    ]);
  });

  it('checks the statement in every language the flow is translated into', async () => {
    const fresh = await freshI18n();
    const en = (say: string) => ({
      q: { intro: { say }, q: { text: 'An idea?' }, e: { end: 'Thanks.' } },
    });
    fresh.addResourceBundle('en', 'flows', en('Hello. Answering is up to you.'), true, true);
    const text = oneQuestion('consultation', statement, 'Une idée ?');
    const checked = checkFlowSource('q.yaml', text, { i18n: fresh, languages: ['en'] });
    expect(checked.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      `nodes[0].say: en: a consultation first says that answering is voluntary and changes nothing to the person's rights or allowance (locales/en/flows.json: q.intro); it does not say that it changes nothing, to the person's rights, or allowance (e.g. "${statement}")`,
    ]);
    const complete =
      'Hello. Answering is up to you. It changes nothing to your rights or your allowance.';
    fresh.addResourceBundle('en', 'flows', en(complete), true, true);
    expect(checkFlowSource('q.yaml', text, { i18n: fresh, languages: ['en'] }).problems).toEqual(
      [],
    );
  });

  it('refuses a consultation that does not first say that answering is voluntary, and warns when it names the RSA', async () => {
    expect(await problemsOf('not-voluntary.yaml')).toEqual([
      `nodes[0].say: fr: a consultation first says that answering is voluntary and changes nothing to the person's rights or allowance; it does not say that answering is voluntary, that it changes nothing, to the person's rights, or allowance (e.g. "${statement}")`,
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
