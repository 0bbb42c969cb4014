// Planning benchmark (issue 6): import 100,000 participations (a CSV of 100,000 people,
// each convoked to one of 1,000 RIO sessions) through the same path as the HTTP import,
// and plan their reminders (invitation at once, J+3 relaunch, J-2 reminder: ~300,000
// fires). Reports the time to read and check the file, to write and plan, and the memory
// used (peak RSS and heap, sampled), on the embedded PGlite and, when BENCH_DATABASE_URL
// or TEST_DATABASE_URL is set, on PostgreSQL (a throwaway database).
//   npm run bench -- planning
//   BENCH_PARTICIPATIONS=20000 npm run bench -- planning
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { readCsv } from '../src/appointments/csv.js';
import { checksumOf, Importer } from '../src/appointments/import.js';
import { AppointmentService } from '../src/appointments/service.js';
import { type Database, openDatabase } from '../src/db/client.js';
import { createI18n } from '../src/i18n/index.js';
import { createLogger } from '../src/logger.js';
import { table } from './_stats.js';

const N = Number(process.env.BENCH_PARTICIPATIONS ?? 100_000);
const SESSIONS = Math.max(1, Math.ceil(N / 100));
const MB = 1024 * 1024;

function sessionsCsv(): string {
  const lines = ['Référence;Type;Date;Fin;Lieu;Adresse;Places;Territoire'];
  for (let s = 0; s < SESSIONS; s++) {
    // Weekdays from 16 March 2026 on, four sessions a day.
    const day = new Date(Date.UTC(2026, 2, 16 + Math.floor(s / 4) + 2 * Math.floor(s / 20)));
    const dd = String(day.getUTCDate()).padStart(2, '0');
    const mm = String(day.getUTCMonth() + 1).padStart(2, '0');
    const hour = [9, 10, 14, 15][s % 4];
    lines.push(
      `S${s};RIO;${dd}/${mm}/${day.getUTCFullYear()} ${hour}:00;${(hour as number) + 1}:30;MDS ${s % 12};1 rue de la Paix;120;t${s % 12}`,
    );
  }
  return lines.join('\n');
}

function peopleCsv(): string {
  const lines = ['Référence;Prénom;Téléphone;Année de naissance;Territoire;Mode;Réf séance'];
  for (let i = 0; i < N; i++) {
    const phone = `06${String(10_000_000 + i * 37).padStart(8, '0')}`;
    lines.push(`P${i};Camille;${phone};${1970 + (i % 40)};t${i % 12};convocation;S${i % SESSIONS}`);
  }
  return lines.join('\n');
}

interface Sample {
  rss: number;
  heap: number;
}

function sampler() {
  const peak: Sample = { rss: 0, heap: 0 };
  const take = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
  };
  take();
  const timer = setInterval(take, 50);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

async function once(label: string, db: Database) {
  await db.migrate();
  const i18n = await createI18n();
  const logger = createLogger('silent');
  // The Monday before the sessions, 09:00 in Paris.
  const clock = () => new Date('2026-03-09T08:00:00Z');
  const service = new AppointmentService({ prisma: db.prisma, i18n, clock, logger });
  const importer = new Importer(service);
  const org = await db.prisma.organisation.create({
    data: { slug: `bench-${label}`, name: 'Bench', departementCode: '79' },
  });
  await db.prisma.territory.createMany({
    data: Array.from({ length: 12 }, (_, t) => ({
      organisationId: org.id,
      code: `t${t}`,
      name: `T${t}`,
    })),
  });
  const sessions = sessionsCsv();
  const s = await importer.importSessions(org.id, readCsv(sessions), checksumOf(sessions));
  if (s.invalid.length) throw new Error(`sessions: ${JSON.stringify(s.invalid.slice(0, 3))}`);

  global.gc?.();
  const before = process.memoryUsage();
  const mem = sampler();
  const t0 = performance.now();
  const text = peopleCsv();
  const csv = readCsv(text);
  const t1 = performance.now();
  const report = await importer.importPeople(org.id, csv, checksumOf(text));
  const t2 = performance.now();
  const peak = mem.stop();
  if (report.invalid.length)
    throw new Error(`people: ${JSON.stringify(report.invalid.slice(0, 3))}`);
  const fires = await db.prisma.scheduledFire.count({ where: { organisationId: org.id } });
  const participations = await db.prisma.participation.count();
  // The same file again: answered from the first import's record.
  const t3 = performance.now();
  const again = await importer.importPeople(org.id, csv, checksumOf(text));
  const t4 = performance.now();
  return {
    database: label,
    participations,
    'fires planned': fires,
    'read CSV': `${((t1 - t0) / 1000).toFixed(1)} s`,
    'check+import+plan (1 tx)': `${((t2 - t1) / 1000).toFixed(1)} s`,
    'rows/s': Math.round(N / ((t2 - t0) / 1000)),
    'peak RSS': `${Math.round(peak.rss / MB)} MB`,
    'peak heap': `${Math.round(peak.heap / MB)} MB`,
    'RSS before': `${Math.round(before.rss / MB)} MB`,
    'RSS growth': `${Math.round((peak.rss - before.rss) / MB)} MB`,
    'same file again': `${((t4 - t3) / 1000).toFixed(2)} s${again.duplicate ? ' (duplicate)' : ''}`,
  };
}

export async function run(): Promise<void> {
  console.log(
    `Import ${N.toLocaleString('en')} participations (${SESSIONS} sessions) and plan their reminders:`,
  );
  const rows: Record<string, string | number>[] = [];
  const lite = await openDatabase({});
  try {
    rows.push(await once('PGlite (in memory)', lite));
  } finally {
    await lite.close();
  }
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (url) {
    const name = `relais_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    const db = await openDatabase({ databaseUrl: u.toString(), poolSize: 4 });
    try {
      rows.push(await once('PostgreSQL', db));
    } finally {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  } else {
    console.log('(set BENCH_DATABASE_URL or TEST_DATABASE_URL to run it on PostgreSQL too)');
  }
  table(rows);
  console.log(
    'Peak RSS is of the whole process: the embedded PGlite lives in it (a PostgreSQL server does not), and the PostgreSQL run starts with what the PGlite run left; "RSS growth" is the import\'s own.',
  );
}
