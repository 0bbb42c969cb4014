// docs/architecture.md promises that engine/ imports nothing that does I/O. This follows
// every import of src/engine/*.ts through the project's own files and fails on Node's
// built-in modules (fs, net, child_process…) or the database, HTTP and channel libraries.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const ENGINE = path.join(ROOT, 'src', 'engine');
const BUILTINS = new Set(builtinModules);
const IO_PACKAGES = /^(?:@prisma\/|@electric-sql\/|pg$|fastify|grammy|@slack\/|node-cron|pino)/;
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\('([^']+)'\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2]) as string);
}

function offenders(): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const queue = readdirSync(ENGINE)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(ENGINE, f));
  while (queue.length) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of importsOf(file)) {
      const where = path.relative(ROOT, file);
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
        if (target.includes(`${path.sep}generated${path.sep}`)) found.push(`${where}: ${spec}`);
        else queue.push(target);
      } else if (spec.startsWith('node:') || BUILTINS.has(spec) || IO_PACKAGES.test(spec)) {
        found.push(`${where}: ${spec}`);
      }
    }
  }
  return found.sort();
}

describe('engine/', () => {
  it('imports nothing that does I/O, directly or through the modules it uses', () => {
    expect(offenders()).toEqual([]);
  });
});
