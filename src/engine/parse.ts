/**
 * Reading one flow file: YAML syntax, then the zod schema. Problems are data with a path
 * inside the file, printed as `file:path: message`.
 */
import { parseDocument } from 'yaml';
import type { ZodError } from 'zod';
import { type FlowDefinition, flowSchema, formatPath } from './schema.js';

export interface Problem {
  file: string;
  /** Where inside the file: `nodes[3].choices[1].label`, or `line:column` for YAML syntax. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

/** `flows/mobilite.yaml:nodes[3].choices[1].label: label "…" is 41 characters; …` */
export function formatProblem(p: Problem): string {
  const where = p.path === '' ? p.file : `${p.file}:${p.path}`;
  return `${where}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
}

/** YAML and schema only. */
export function parseFlowSource(
  file: string,
  text: string,
): { definition?: FlowDefinition; problems: Problem[] } {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({
        file,
        path: e.linePos ? `${e.linePos[0].line}:${e.linePos[0].col}` : '',
        severity: 'error' as const,
        message: `YAML syntax error: ${(e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    };
  }
  const data: unknown = doc.toJS();
  const result = flowSchema.safeParse(data, { reportInput: true });
  if (!result.success) return { problems: zodProblems(file, result.error) };
  return { definition: result.data, problems: [] };
}

function zodProblems(file: string, error: ZodError): Problem[] {
  const out: Problem[] = [];
  for (const issue of error.issues) {
    let path = [...issue.path];
    if (issue.code === 'invalid_union' && path[path.length - 1] === 'kind')
      path = path.slice(0, -1);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          file,
          path: formatPath([...path, key]),
          severity: 'error',
          message: `unknown field "${key}"`,
        });
      }
      continue;
    }
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    out.push({
      file,
      path: formatPath(path),
      severity: 'error',
      message: missing ? 'is missing' : issue.message,
    });
  }
  return out;
}
