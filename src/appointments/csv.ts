// Reading the CSV files agents export from their own systems: UTF-8 with or without a
// BOM, or Windows-1252 (Excel's "CSV" on a French Windows); ";" (French Excel) or ","
// between cells; header names in any case, with or without accents, spaces or
// underscores. Rows keep their line number in the file for the import report.
import { parse } from 'csv-parse/sync';

export interface CsvTable {
  /** Normalised header names, in file order. */
  headers: string[];
  rows: CsvRow[];
  encoding: 'utf-8' | 'windows-1252';
  delimiter: ';' | ',';
}

export interface CsvRow {
  /** Line number of the row in the file (the header is line 1). */
  line: number;
  /** Cells by normalised header name; empty cells are absent. */
  cells: Record<string, string>;
}

export class CsvError extends Error {}

/** Text of a file: UTF-8 when it decodes as such, Windows-1252 otherwise. */
export function decodeText(bytes: Uint8Array): { text: string; encoding: CsvTable['encoding'] } {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  const body = bytes.subarray(start);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(body), encoding: 'windows-1252' };
  }
}

/** "Date du RDV", "date_rdv", "DATE-RDV" → "date_rdv". */
export function normaliseHeader(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[’']/g, ' ')
    .replace(/\b(?:du|de|des|la|le|d|l)\b/g, ' ')
    .trim()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function delimiterOf(firstLine: string): ';' | ',' {
  // Outside quotes: the separator of the header line is the one that occurs in it.
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  const semi = (unquoted.match(/;/g) ?? []).length;
  const comma = (unquoted.match(/,/g) ?? []).length;
  return semi >= comma && semi > 0 ? ';' : ',';
}

export function readCsv(input: Uint8Array | string): CsvTable {
  const decoded =
    typeof input === 'string'
      ? { text: input.replace(/^\uFEFF/, ''), encoding: 'utf-8' as const }
      : decodeText(input);
  // One kind of line break, so that line numbers count as an editor shows them.
  const text = decoded.text.replace(/\r\n?/g, '\n');
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  if (!firstLine.trim()) throw new CsvError('the file is empty or its first line is not a header');
  const delimiter = delimiterOf(firstLine);
  let records: { record: string[]; info: { lines: number; empty_lines: number } }[];
  try {
    records = parse(text, {
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number; empty_lines: number } }[];
  } catch (error) {
    throw new CsvError(`the file is not readable as CSV: ${(error as Error).message}`);
  }
  const [head, ...body] = records;
  if (!head) throw new CsvError('the file is empty');
  const headers = head.record.map(normaliseHeader);
  const rows: CsvRow[] = [];
  // info.lines is the line a record ends on (a quoted cell may span lines): a record
  // starts after the previous one and the empty lines skipped in between.
  let previousEnd = head.info.lines;
  let previousEmpty = head.info.empty_lines;
  for (const { record, info } of body) {
    const line = previousEnd + 1 + (info.empty_lines - previousEmpty);
    previousEnd = info.lines;
    previousEmpty = info.empty_lines;
    if (record.every((c) => !c)) continue;
    const cells: Record<string, string> = {};
    record.forEach((value, i) => {
      const name = headers[i];
      if (name && value) cells[name] = value;
    });
    rows.push({ line, cells });
  }
  return { headers, rows, encoding: decoded.encoding, delimiter };
}

/** The first present cell among several accepted header names. */
export function cell(row: CsvRow, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = row.cells[n];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

/** Is any of these columns in the file? */
export function hasColumn(table: CsvTable, names: readonly string[]): boolean {
  return names.some((n) => table.headers.includes(n));
}
