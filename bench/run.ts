// npm run bench [-- name ...]: runs every bench/<name>.ts that exports run(), or the ones
// named. Benchmarks measure side by side in one process and print their own tables;
// machines are shared and noisy, so compare ratios from the same run, not absolute times.
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => basename(f, '.ts'))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : available) {
  const mod = (await import(`./${name}.ts`)) as { run?: () => Promise<void> };
  if (typeof mod.run !== 'function') continue;
  console.log(`\n=== bench: ${name} (node ${process.version}, ${new Date().toISOString()})`);
  const started = performance.now();
  await mod.run();
  console.log(`=== ${name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
