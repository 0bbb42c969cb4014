// One plain closing line per test run, read from vitest's JSON report:
//   node .ci/summary.mjs <report.json> <label> [--no-skips]
// With --no-skips a run that skipped any test fails (exit 1) and names them: on the
// PostgreSQL run, the PostgreSQL-only tests must really run, not skip silently.
import { readFileSync } from 'node:fs';

const [file, label, ...flags] = process.argv.slice(2);
if (!file || !label) {
  console.error('usage: node .ci/summary.mjs <report.json> <label> [--no-skips]');
  process.exit(2);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const skippedCount = report.numPendingTests + report.numTodoTests;
console.log(
  `${label}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skippedCount} skipped`,
);
if (flags.includes('--no-skips') && skippedCount > 0) {
  const skipped = report.testResults.flatMap((f) =>
    f.assertionResults
      .filter((a) => ['skipped', 'pending', 'todo'].includes(a.status))
      .map((a) => `  - ${a.fullName} (${f.name.replace(`${process.cwd()}/`, '')})`),
  );
  console.error(
    `${label}: FAILED: ${skippedCount} test${skippedCount > 1 ? 's were' : ' was'} skipped, and this run must run every test:\n${skipped.join('\n')}`,
  );
  process.exit(1);
}
