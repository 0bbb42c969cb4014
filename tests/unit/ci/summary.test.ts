import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'relais-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A vitest JSON report with one file and tests of the given statuses. */
function report(statuses: string[]): string {
  const file = join(dir, `${statuses.join('-') || 'empty'}.json`);
  const count = (s: string[]) => statuses.filter((x) => s.includes(x)).length;
  writeFileSync(
    file,
    JSON.stringify({
      numPassedTests: count(['passed']),
      numFailedTests: count(['failed']),
      numPendingTests: count(['skipped', 'pending']),
      numTodoTests: count(['todo']),
      testResults: [
        {
          name: join(root, 'tests/integration/messaging/exactly-once.test.ts'),
          assertionResults: statuses.map((status, i) => ({ fullName: `test ${i}`, status })),
        },
      ],
    }),
  );
  return file;
}

function summary(...args: string[]) {
  const run = spawnSync(process.execPath, ['.ci/summary.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('.ci/summary.mjs', () => {
  it('prints one line per run', () => {
    const out = summary(report(['passed', 'passed', 'skipped']), 'pglite');
    expect(out).toMatchObject({ status: 0, stdout: 'pglite: 2 passed, 0 failed, 1 skipped\n' });
  });

  it('fails a run that must not skip, naming the skipped tests', () => {
    const out = summary(report(['passed', 'skipped', 'todo']), 'postgresql', '--no-skips');
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('postgresql: 1 passed, 0 failed, 2 skipped\n');
    expect(out.stderr).toContain('postgresql: FAILED: 2 tests were skipped');
    expect(out.stderr).toContain('  - test 1 (tests/integration/messaging/exactly-once.test.ts)');
    expect(out.stderr).toContain('  - test 2 (');
  });

  it('passes a run that must not skip when every test ran', () => {
    expect(summary(report(['passed', 'passed']), 'postgresql', '--no-skips').status).toBe(0);
  });

  it('is what .ci/run uses, with --no-skips on the PostgreSQL run', () => {
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    expect(ci).toContain('summary() { node .ci/summary.mjs "$@"; }');
    expect(ci).toMatch(
      /^summary "\$report_dir\/postgres\.json" postgresql --no-skips \|\| status=1$/m,
    );
  });
});
