// CSV that opens correctly in French Excel: UTF-8 with a BOM, ";" between cells, CRLF,
// and cells that a spreadsheet would run as a formula (= + - @, tab, CR) neutralised.
import type { ConsultationReport } from './results.js';

export function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (typeof value === 'number') text = text.replace('.', ',');
  else if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[";\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(rows: (string | number | null | undefined)[][]): string {
  return `\uFEFF${rows.map((r) => r.map(csvCell).join(';')).join('\r\n')}\r\n`;
}

export function reportToCsv(report: ConsultationReport): string {
  const rows: (string | number | null)[][] = [
    ['question', 'intitulé', 'réponse', 'nombre', 'pourcentage'],
  ];
  for (const q of report.questions) {
    if (q.suppressed) {
      rows.push([
        q.result,
        q.text,
        `moins de ${report.consultation.minAnswers} réponses : non affiché`,
        null,
        null,
      ]);
      continue;
    }
    for (const o of q.options ?? []) rows.push([q.result, q.text, o.label, o.count, o.percent]);
    if (q.scale) {
      for (const [value, count] of Object.entries(q.scale.distribution)) {
        rows.push([
          q.result,
          q.text,
          value,
          count,
          q.answers ? Math.round((count / q.answers) * 1000) / 10 : 0,
        ]);
      }
      rows.push([q.result, q.text, 'moyenne', q.scale.mean, null]);
    }
    if (q.numbers) rows.push([q.result, q.text, 'moyenne', q.numbers.mean, null]);
    for (const t of q.texts ?? []) rows.push([q.result, q.text, t, null, null]);
  }
  rows.push([]);
  rows.push(['invités', null, null, report.invited, null]);
  rows.push([
    'ont répondu',
    null,
    null,
    report.responded,
    Math.round(report.responseRate * 1000) / 10,
  ]);
  rows.push(['ont terminé', null, null, report.completed, null]);
  return toCsv(rows);
}
