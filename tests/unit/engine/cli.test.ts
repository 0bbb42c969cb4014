import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from './helpers.js';

/** Runs a CLI of src/cli with tsx, as `npm run` would, feeding `input` on stdin. */
function cli(script: string, args: string[], input = '') {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join('src/cli', script), ...args],
    {
      cwd: ROOT,
      input,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('flows:simulate', () => {
  it('runs a flow from piped answers, rendering SMS with the number of SMS, then prints the results', () => {
    const { code, out } = cli('flows-simulate.ts', ['flows/avis-guichet.yaml'], '1\noui\n');
    expect(code).toBe(0);
    expect(out).toContain('── avis-guichet v2 · sms · fr ──');
    expect(out).toContain(
      "bot> Comment s'est passé l'accueil ?\n     1. Bien\n     2. Moyen\n     3. Mal\n     Répondez 1, 2 ou 3.\n     (1 SMS)",
    );
    expect(out).toContain('you> 1\n  · saved welcome = "good"');
    expect(out).toContain(
      'bot> Les informations étaient-elles claires ?\n     Répondez OUI (1) ou NON (2).',
    );
    expect(out).toContain('(stopped while waiting at "waiting")');
    const json = out.slice(out.indexOf('results:\n') + 'results:\n'.length);
    expect(JSON.parse(json)).toEqual({
      welcome: { value: 'good', category: 'good', input: '1', nodeId: 'welcome' },
      clear: { value: 'yes', category: 'yes', input: 'oui', nodeId: 'clear' },
    });
  });

  it('shows buttons on telegram, takes a button number as a tap, and handles /timeout and retries', () => {
    const input = ['2', 'peut-être', 'oui', '/timeout', '1', 'Rien à ajouter', ''].join('\n');
    const { code, out } = cli(
      'flows-simulate.ts',
      ['flows/avis-guichet.yaml', '--channel', 'telegram', '--lang', 'en'],
      input,
    );
    expect(code).toBe(0);
    expect(out).toContain(
      'bot> How was the welcome?\n     [1] Good\n     [2] Average\n     [3] Bad',
    );
    expect(out).toContain('  · saved welcome = "fair"');
    expect(out).toContain(
      'bot> Sorry, I did not understand. Tap an answer.\n     [1] Yes\n     [2] No',
    );
    expect(out).toContain('you> /timeout\n  (no timeout is waiting)');
    expect(out).not.toContain('SMS)');
    expect(out).toContain('status: active');
  });

  it('fires the no-response timeout and ends the run', () => {
    const input = ['1', '1', '5', 'oui', '1', '/timeout', ''].join('\n');
    const { code, out } = cli('flows-simulate.ts', ['flows/mobilite-forum.yaml'], input);
    expect(code).toBe(0);
    expect(out).toContain('  · no-response timeout for "idea" in 2d');
    expect(out).toContain('you> /timeout\nbot> Merci pour vos réponses !');
    expect(out).toContain('  · run ended: completed');
    expect(out).toContain('status: completed');
  });

  it('expires on /expire', () => {
    const { out } = cli('flows-simulate.ts', ['flows/avis-libre.yaml'], '/expire\n');
    expect(out).toContain('  · run ended: expired');
    expect(out).toContain('status: expired');
  });

  it('prints the problems of a broken flow and exits 1', () => {
    const { code, out } = cli('flows-simulate.ts', [
      path.join(FIXTURES, 'broken', 'yaml-syntax.txt'),
    ]);
    expect(code).toBe(1);
    expect(out).toContain('YAML syntax error');
  });
});

describe('flows:check', () => {
  it('passes the shipped flows with a summary per flow', () => {
    const { code, out } = cli('flows-check.ts', []);
    expect(code).toBe(0);
    expect(out).toMatch(/^mobilite-forum v2: 11 nodes, longest SMS prompt 2 SMS/m);
    expect(out).toContain('5 flows checked: 0 errors, 0 warnings');
  });

  it('lists the problems of the given files and exits 1', () => {
    const file = path.relative(ROOT, path.join(FIXTURES, 'broken', 'long-label.yaml'));
    const { code, out } = cli('flows-check.ts', [file]);
    expect(code).toBe(1);
    expect(out).toContain(
      `${file}:nodes[0].choices[1].label: label "Une étiquette beaucoup trop longue pour un bouton" is 49 characters; buttons show 32 at most`,
    );
    expect(out).toContain(`${file}:nodes[0].text: missing en translation`);
  });

  it('prints warnings without failing', () => {
    const file = path.relative(ROOT, path.join(FIXTURES, 'warning.yaml'));
    const { code, out } = cli('flows-check.ts', [
      file,
      '--locales',
      path.join(FIXTURES, 'locales'),
    ]);
    expect(out).toBe(
      [
        `${file}:nodes[0].text: warning: the first line shows on a locked phone: do not name "RSA" or "allocataire" there`,
        'fixture-warning v1: 2 nodes, longest SMS prompt 1 SMS (q, fr)',
        '1 flow checked: 0 errors, 1 warning',
        '',
      ].join('\n'),
    );
    expect(code).toBe(0);
  });
});
