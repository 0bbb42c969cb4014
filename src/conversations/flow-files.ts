/**
 * Reads flow files from disk and runs the same checks as flows:check. A flow with an error is
 * refused (its problems say why); the valid ones load. Used at start-up and by the CLIs.
 * The reading lives here, outside engine/, so that the engine stays free of I/O: it checks
 * text it is given.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type CheckedFlow,
  type CheckOptions,
  checkFlowSources,
  type FlowDefinition,
  hasErrors,
  type Problem,
} from '../engine/index.js';
import type { i18n } from '../i18n/index.js';

export const FLOW_FILE = /\.ya?ml$/;

/** The flow files of a folder, sorted (flows/<name>.yaml). */
export async function flowFilesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => FLOW_FILE.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

/** Reads and checks the given files; a file that cannot be read becomes a problem. */
export async function checkFlowFiles(
  files: readonly string[],
  opts: CheckOptions,
): Promise<CheckedFlow[]> {
  const unreadable: CheckedFlow[] = [];
  const sources: { file: string; text: string }[] = [];
  for (const file of files) {
    try {
      sources.push({ file, text: await readFile(file, 'utf8') });
    } catch (err) {
      unreadable.push({
        file,
        problems: [
          {
            file,
            path: '',
            severity: 'error',
            message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          },
        ],
      });
    }
  }
  return [...unreadable, ...checkFlowSources(sources, opts)];
}

/**
 * Loads every flow of `dir`. Flows with errors are refused and reported in `problems`
 * (with the warnings of every flow); the others are returned.
 */
export async function loadFlows(
  dir: string,
  i18n: i18n,
  opts: Omit<CheckOptions, 'i18n'> = {},
): Promise<{ flows: FlowDefinition[]; problems: Problem[] }> {
  let files: string[];
  try {
    files = await flowFilesIn(dir);
  } catch (err) {
    return {
      flows: [],
      problems: [
        {
          file: dir,
          path: '',
          severity: 'error',
          message: `cannot read the flows folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        },
      ],
    };
  }
  const checked = await checkFlowFiles(files, { ...opts, i18n });
  const flows: FlowDefinition[] = [];
  const problems: Problem[] = [];
  for (const c of checked) {
    problems.push(...c.problems);
    if (c.definition && !hasErrors(c.problems)) flows.push(c.definition);
  }
  return { flows, problems };
}
