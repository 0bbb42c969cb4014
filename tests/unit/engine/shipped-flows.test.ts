import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkFlowFiles, flowFilesIn, loadFlows } from '../../../src/conversations/flow-files.js';
import { formatProblem } from '../../../src/engine/check.js';
import { promptOf } from '../../../src/engine/prompt.js';
import type { FlowDefinition } from '../../../src/engine/schema.js';
import type { NotifyEffect } from '../../../src/engine/types.js';
import { createLocalizer, FALC, type I18n } from '../../../src/i18n/index.js';
import { ROOT, Runner, realI18n, sends } from './helpers.js';

const FLOWS = path.join(ROOT, 'flows');
const VOLUNTARY = 'Répondre est libre. Cela ne change rien à vos droits ni à votre allocation.';

let i18n: I18n;
let flows: FlowDefinition[];
const byId = (id: string): FlowDefinition => {
  const f = flows.find((x) => x.id === id);
  if (!f) throw new Error(`flow ${id} not shipped`);
  return f;
};

beforeAll(async () => {
  i18n = await realI18n();
  flows = (await loadFlows(FLOWS, i18n)).flows;
});

describe('shipped flows', () => {
  it('pass flows:check with no error and no warning', async () => {
    const checked = await checkFlowFiles(await flowFilesIn(FLOWS), { i18n });
    expect(checked.flatMap((c) => c.problems).map(formatProblem)).toEqual([]);
    expect(checked.map((c) => c.definition?.id).sort()).toEqual([
      'avis-guichet',
      'avis-libre',
      'mobilite-forum',
      'onboarding',
      'satisfaction-accompagnement',
    ]);
  });

  it('start every consultation by saying that answering is voluntary', () => {
    const loc = createLocalizer(i18n, 'fr');
    for (const f of flows.filter((x) => x.kind === 'consultation')) {
      const first = f.nodes[0];
      expect(first && promptOf(f, first, loc)?.text, f.id).toContain(VOLUNTARY);
    }
  });

  it('never speak of RSA, allocataires, sanctions or obligations, in any language', () => {
    const words =
      /\b(rsa|allocataires?|sanctions?|suspen\w*|radi\w*|obligatoires?|obligations?|mandatory|penalt\w*)\b/i;
    for (const lang of ['fr', 'en', FALC]) {
      const loc = createLocalizer(i18n, lang);
      for (const f of flows) {
        for (const n of f.nodes) {
          const send = promptOf(f, n, loc);
          const texts = [
            send?.text,
            send?.hint,
            ...(send?.ask?.choices?.map((c) => c.label) ?? []),
          ];
          for (const t of texts) if (t) expect(t, `${f.id}/${n.id} (${lang})`).not.toMatch(words);
        }
      }
    }
  });

  it('offer the themes of the seed documents in avis-libre', () => {
    const theme = byId('avis-libre').nodes[0];
    expect(theme?.kind === 'ask' && theme.result).toBe('theme');
    expect(theme?.kind === 'ask' && theme.choices?.map((c) => c.id)).toEqual([
      'mobilite',
      'sante',
      'logement',
      'garde_enfants',
      'numerique',
      'formation',
      'emploi',
      'acces_droits',
      'autre',
    ]);
  });
});

describe('walking through the shipped flows', () => {
  it('mobilite-forum by SMS in French, with the forum branch', () => {
    const r = new Runner(byId('mobilite-forum'), i18n);
    r.start();
    r.answer('3');
    r.answer('permis, essence');
    expect(sends(r.answer('4')).map((s) => s.nodeId)).toEqual(['hard_ack', 'forum']);
    expect(sends(r.answer('oui')).map((s) => s.nodeId)).toEqual(['when']);
    r.answer("l'après-midi");
    const end = r.answer('Un minibus le mardi');
    expect(sends(end).at(-1)?.role).toBe('end');
    expect(r.state?.status).toBe('completed');
    expect(
      Object.fromEntries(Object.entries(r.state?.results ?? {}).map(([k, v]) => [k, v.value])),
    ).toEqual({
      mode: 'transit',
      barriers: 'licence fuel',
      difficulty: '4',
      forum: 'yes',
      time_of_day: 'afternoon',
      idea: 'Un minibus le mardi',
    });
  });

  it('mobilite-forum in English and easy-read French match translated keywords', () => {
    const en = new Runner(byId('mobilite-forum'), i18n, 'en');
    en.start();
    en.answer('by car');
    en.answer('fuel and far');
    en.answer('1');
    expect(sends(en.answer('no')).map((s) => s.nodeId)).toEqual(['idea']);
    expect(en.state?.results.barriers?.value).toBe('fuel distance');

    const falc = new Runner(byId('mobilite-forum'), i18n, FALC);
    const opening = sends(falc.start());
    expect(opening[0]?.text).toMatch(/^Bonjour ! Nous préparons une rencontre/);
    falc.answer('velo');
    expect(falc.state?.results.mode?.value).toBe('walk');
  });

  it('avis-libre notifies the facilitators with the avis at the end', () => {
    const r = new Runner(byId('avis-libre'), i18n);
    r.start();
    r.answer('santé');
    const effects = r.answer('Pas de dentiste près de chez moi');
    const notify = effects.find((e): e is NotifyEffect => e.type === 'notify');
    expect(notify).toMatchObject({
      target: 'facilitators',
      reason: 'node',
      nodeId: 'thanks',
      results: { theme: { value: 'sante' }, avis: { value: 'Pas de dentiste près de chez moi' } },
    });
  });

  it('satisfaction-accompagnement tells the referent only when the person wants a call', () => {
    const answers = ['2', '1', 'oui', '5', 'Plus de rendez-vous'];
    const yes = new Runner(byId('satisfaction-accompagnement'), i18n);
    yes.start();
    for (const a of answers) yes.answer(a);
    const notified = yes.answer('oui').filter((e) => e.type === 'notify');
    expect(notified).toMatchObject([{ target: 'referent', nodeId: 'call_yes' }]);

    const no = new Runner(byId('satisfaction-accompagnement'), i18n);
    no.start();
    for (const a of answers) no.answer(a);
    expect(no.answer('non').some((e) => e.type === 'notify')).toBe(false);
    expect(no.state?.status).toBe('completed');
  });

  it('onboarding records consent and language, or ends politely without consent', () => {
    const r = new Runner(byId('onboarding'), i18n);
    r.start();
    r.answer('oui');
    r.answer('Français facile');
    expect(r.state?.results.consent?.value).toBe('yes');
    expect(r.state?.results.language?.value).toBe(FALC);
    expect(r.state?.status).toBe('completed');

    const no = new Runner(byId('onboarding'), i18n);
    no.start();
    expect(sends(no.answer('non')).map((s) => s.nodeId)).toEqual(['no_consent']);
    expect(no.state?.results.language).toBeUndefined();
  });

  it('avis-guichet asks what went wrong after a low score', () => {
    const r = new Runner(byId('avis-guichet'), i18n);
    r.start();
    for (const a of ['mal', 'non', '3']) r.answer(a);
    expect(sends(r.answer('1')).map((s) => s.nodeId)).toEqual(['improve']);
  });
});
