/**
 * npm run flows:check [-- <file.yaml>… ] [--locales <dir>]
 *
 * Checks every flow in flows/ (or the files given) the way the service does at start-up and
 * prints one line per problem: `file:path-inside-it: message`. Exits 1 when there is an error;
 * warnings are printed but do not fail.
 */
import { parseArgs } from 'node:util';
import { checkFlowFiles, flowFilesIn } from '../conversations/flow-files.js';
import { formatProblem, hasErrors, summaryLine } from '../engine/index.js';
import { createI18n, DEFAULT_LOCALES_DIR } from '../i18n/index.js';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      locales: { type: 'string', default: DEFAULT_LOCALES_DIR },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: npm run flows:check [-- flows/<file>.yaml ...] [--locales <dir>]');
    return 0;
  }
  const i18n = await createI18n(values.locales);
  const files = positionals.length > 0 ? positionals : await flowFilesIn('flows');
  if (files.length === 0) {
    console.log('no flow files found');
    return 0;
  }
  const checked = await checkFlowFiles(files, { i18n });
  let errors = 0;
  let warnings = 0;
  for (const c of checked) {
    for (const p of c.problems) {
      if (p.severity === 'error') errors++;
      else warnings++;
      console.log(formatProblem(p));
    }
  }
  for (const c of checked) {
    if (c.definition && c.summary && !hasErrors(c.problems)) {
      console.log(summaryLine(c.definition, c.summary));
    }
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  console.log(
    `${plural(checked.length, 'flow')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
  );
  return errors > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 2;
  },
);
