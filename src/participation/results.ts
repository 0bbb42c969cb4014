// What a facilitator reads of a consultation: counts and percentages per option, scale
// distributions and means, free texts, response rate and drop-off per question. A question
// with fewer answers than the consultation's threshold shows nothing, so that nobody in a
// small group can be recognised by their answers. Pure: data in, report out.
import type { AskNode, FlowDefinition } from '../engine/index.js';

export interface AnswerRow {
  responseId: string;
  name: string;
  nodeId: string;
  value: string;
  category: string | null;
}

export interface ResponseRow {
  id: string;
  lastNodeId: string | null;
  completed: boolean;
}

export interface QuestionReport {
  nodeId: string;
  result: string;
  kind: AskNode['ask'];
  text: string;
  /** Number of answers, or null when hidden under the threshold. */
  answers: number | null;
  suppressed: boolean;
  /** People who started, then stopped at this question. */
  dropOff: number;
  options?: { id: string; label: string; count: number; percent: number }[];
  scale?: { min: number; max: number; distribution: Record<string, number>; mean: number };
  numbers?: { mean: number; min: number; max: number };
  texts?: string[];
}

export interface ConsultationReport {
  consultation: {
    id: string;
    title: string;
    flowId: string;
    flowVersion: number;
    anonymous: boolean;
    status: string;
    launchedAt: string;
    /** Null for a standing consultation. */
    deadline: string | null;
    minAnswers: number;
    /** People are invited one by one (after a RIO), with no group and no deadline. */
    standing: boolean;
    /** The period the report covers, when one was asked for (ISO instants, `to` excluded). */
    period?: { from: string | null; to: string | null };
  };
  invited: number;
  responded: number;
  completed: number;
  /** responded / invited, 0..1. */
  responseRate: number;
  questions: QuestionReport[];
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export function buildReport(input: {
  consultation: ConsultationReport['consultation'];
  def: FlowDefinition;
  invited: number;
  responded: number;
  responses: ResponseRow[];
  answers: AnswerRow[];
}): ConsultationReport {
  const { def, consultation } = input;
  const byNode = new Map<string, AnswerRow[]>();
  for (const a of input.answers) {
    const list = byNode.get(a.nodeId) ?? [];
    list.push(a);
    byNode.set(a.nodeId, list);
  }
  const questions: QuestionReport[] = [];
  for (const node of def.nodes) {
    if (node.kind !== 'ask') continue;
    const rows = byNode.get(node.id) ?? [];
    const suppressed = rows.length < consultation.minAnswers;
    const q: QuestionReport = {
      nodeId: node.id,
      result: node.result,
      kind: node.ask,
      text: node.text,
      answers: suppressed ? null : rows.length,
      suppressed,
      dropOff: input.responses.filter((r) => !r.completed && r.lastNodeId === node.id).length,
    };
    if (!suppressed) describeAnswers(q, node, rows);
    questions.push(q);
  }
  return {
    consultation,
    invited: input.invited,
    responded: input.responded,
    completed: input.responses.filter((r) => r.completed).length,
    responseRate: input.invited ? round(input.responded / input.invited, 3) : 0,
    questions,
  };
}

function describeAnswers(q: QuestionReport, node: AskNode, rows: AnswerRow[]): void {
  const n = rows.length;
  switch (node.ask) {
    case 'single':
    case 'multiple':
    case 'yesno': {
      const choices =
        node.ask === 'yesno'
          ? [
              { id: 'yes', label: 'Oui' },
              { id: 'no', label: 'Non' },
            ]
          : (node.choices ?? []).map((c) => ({ id: c.id, label: c.label }));
      const counts = new Map(choices.map((c) => [c.id, 0]));
      for (const row of rows) {
        // A multiple answer holds several ids: each counts, percentages are of people.
        for (const id of row.value.split(/\s+/)) {
          if (counts.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
        }
      }
      q.options = choices.map((c) => ({
        ...c,
        count: counts.get(c.id) ?? 0,
        percent: round(((counts.get(c.id) ?? 0) / n) * 100),
      }));
      break;
    }
    case 'scale': {
      const min = node.min ?? 1;
      const max = node.max ?? 5;
      const distribution: Record<string, number> = {};
      for (let v = min; v <= max; v++) distribution[String(v)] = 0;
      let sum = 0;
      for (const row of rows) {
        const v = Number(row.value);
        distribution[String(v)] = (distribution[String(v)] ?? 0) + 1;
        sum += v;
      }
      q.scale = { min, max, distribution, mean: round(sum / n, 2) };
      break;
    }
    case 'number': {
      const values = rows.map((r) => Number(r.value)).filter((v) => Number.isFinite(v));
      q.numbers = {
        mean: round(values.reduce((a, b) => a + b, 0) / values.length, 2),
        min: Math.min(...values),
        max: Math.max(...values),
      };
      break;
    }
    default:
      // Free text and dates are listed, sorted so their order says nothing of who wrote them.
      q.texts = rows.map((r) => r.value).sort((a, b) => a.localeCompare(b, 'fr'));
  }
}
