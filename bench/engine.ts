// Engine benchmark (issue 3): 1,000 simulated people each answer a 10-question
// consultation, and one person answers a 200-question one, through the whole durable path
// (inbound message -> dedupe -> run row lock -> pure step -> results, fires and outbox rows,
// in one transaction) on the embedded PGlite. Also the pure step alone. The figure that
// matters is the ratio of time per answer at question 200 to question 10: with one row
// per run and no replay it stays flat.
import { randomUUID } from 'node:crypto';
import { type Relais, startRelais } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { type FlowDefinition, flowSchema, type RunState, step } from '../src/engine/index.js';
import { createI18n, createLocalizer } from '../src/i18n/index.js';
import { createLogger } from '../src/logger.js';
import { ms, summary, table } from './_stats.js';

const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 1000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 5);

function questionnaire(id: string, questions: number): FlowDefinition {
  const nodes: unknown[] = [
    { id: 'intro', say: 'Répondre est libre. Cela ne change rien à vos droits.' },
  ];
  for (let i = 1; i <= questions; i++) {
    nodes.push({
      id: `q${i}`,
      ask: 'single',
      text: `Question ${i} : comment trouvez-vous ce point ?`,
      result: `q${i}`,
      choices: [
        { id: 'a', label: 'Bien' },
        { id: 'b', label: 'Moyen' },
        { id: 'c', label: 'Mal' },
      ],
    });
  }
  nodes.push({ id: 'end', end: 'Merci !' });
  return flowSchema.parse({
    id,
    version: 1,
    kind: 'avis',
    title: id,
    language: 'fr',
    nodes,
  }) as FlowDefinition;
}

async function pureStep(def: FlowDefinition, answers: number) {
  const localizer = createLocalizer(await createI18n(), 'fr');
  const now = new Date('2026-03-02T08:00:00Z');
  const times: number[] = [];
  const rounds = 200;
  for (let r = 0; r < rounds; r++) {
    let state: RunState = step(def, undefined, { type: 'start' }, now, { localizer }).state;
    for (let i = 0; i < answers; i++) {
      const t0 = performance.now();
      state = step(def, state, { type: 'answer', text: String((i % 3) + 1) }, now, {
        localizer,
      }).state;
      times.push(performance.now() - t0);
    }
  }
  return summary(times);
}

async function durable(
  relais: Relais,
  people: { personId: string; identityId: string; address: string }[],
  flowId: string,
  answers: number,
) {
  const perAnswer: number[] = [];
  const byQuestion: number[][] = Array.from({ length: answers }, () => []);
  const t0 = performance.now();
  for (const p of people) {
    await relais.services.conversations.startRun({
      personId: p.personId,
      identityId: p.identityId,
      flowId,
      cause: `bench:${randomUUID()}`,
    });
    for (let i = 0; i < answers; i++) {
      const s = performance.now();
      await relais.services.conversations.handleInbound({
        channel: 'web',
        address: p.address,
        text: String((i % 3) + 1),
        providerMessageId: randomUUID(),
        receivedAt: new Date(),
      });
      const d = performance.now() - s;
      perAnswer.push(d);
      byQuestion[i]?.push(d);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, perAnswer: summary(perAnswer), byQuestion };
}

export async function run(): Promise<void> {
  const def10 = questionnaire('bench-10', 10);
  const def200 = questionnaire('bench-200', 200);

  const pure10 = await pureStep(def10, 10);
  const pure200 = await pureStep(def200, 200);
  console.log('Pure step (no I/O), per answer:');
  table([
    { flow: '10 questions', answers: pure10.n, p50: ms(pure10.p50), p99: ms(pure10.p99) },
    { flow: '200 questions', answers: pure200.n, p50: ms(pure200.p50), p99: ms(pure200.p99) },
  ]);

  const db = await openDatabase({});
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    SCHEDULER_ENABLED: 'false',
    DISPATCHER_ENABLED: 'false',
    DEMO_DATA: 'false',
    ANONYMITY_KEY: 'bench-anonymity-key-0123456789abcdef',
  });
  const relais = await startRelais(config, { db, logger: createLogger('silent') });
  try {
    await relais.services.flows.sync([def10, def200], (d) => d.id);
    const org = await db.prisma.organisation.create({ data: { slug: 'bench', name: 'Bench' } });
    const people: { personId: string; identityId: string; address: string }[] = [];
    for (let i = 0; i < PEOPLE + 1 + 2 * PAIRS; i++) {
      const person = await db.prisma.person.create({
        data: { organisationId: org.id, displayName: `P${i}`, roles: ['beneficiary'] },
      });
      const identity = await db.prisma.channelIdentity.create({
        data: {
          organisationId: org.id,
          personId: person.id,
          channel: 'web',
          address: `bench:${i}`,
          consent: 'granted',
        },
      });
      people.push({ personId: person.id, identityId: identity.id, address: identity.address });
    }
    const tenQ = await durable(relais, people.slice(0, PEOPLE), 'bench-10', 10);
    const long = await durable(relais, people.slice(PEOPLE, PEOPLE + 1), 'bench-200', 200);
    // Side by side in the same moments, so that machine noise hits both alike: a run
    // already at question 190 and a fresh run of the same flow answer in turn.
    const atStart: number[] = [];
    const atEnd: number[] = [];
    const answer = async (p: (typeof people)[number], i: number) => {
      const s = performance.now();
      await relais.services.conversations.handleInbound({
        channel: 'web',
        address: p.address,
        text: String((i % 3) + 1),
        providerMessageId: randomUUID(),
        receivedAt: new Date(),
      });
      return performance.now() - s;
    };
    for (let pair = 0; pair < PAIRS; pair++) {
      const late = people[PEOPLE + 1 + 2 * pair] as (typeof people)[number];
      const fresh = people[PEOPLE + 2 + 2 * pair] as (typeof people)[number];
      for (const p of [late, fresh]) {
        await relais.services.conversations.startRun({
          personId: p.personId,
          identityId: p.identityId,
          flowId: 'bench-200',
          cause: `bench:${randomUUID()}`,
        });
      }
      for (let i = 0; i < 190; i++) await answer(late, i);
      for (let i = 0; i < 10; i++) {
        atStart.push(await answer(fresh, i));
        atEnd.push(await answer(late, 190 + i));
      }
    }
    const q10 = summary(atStart);
    const q200 = summary(atEnd);
    console.log(`Durable path on embedded PGlite (${PEOPLE} people x 10 questions, then 1 x 200):`);
    table([
      {
        run: `${PEOPLE} x 10 questions`,
        answers: tenQ.perAnswer.n,
        'answers/s': Math.round(tenQ.perAnswer.n / tenQ.seconds),
        p50: ms(tenQ.perAnswer.p50),
        p99: ms(tenQ.perAnswer.p99),
      },
      {
        run: '1 x 200 questions',
        answers: long.perAnswer.n,
        'answers/s': Math.round(long.perAnswer.n / long.seconds),
        p50: ms(long.perAnswer.p50),
        p99: ms(long.perAnswer.p99),
      },
    ]);
    const ratio = q200.p50 / q10.p50;
    console.log(`Side by side, ${PAIRS} pairs of runs of the 200-question flow answering in turn:`);
    table([
      { at: 'questions 1-10', answers: q10.n, p50: ms(q10.p50), p99: ms(q10.p99) },
      { at: 'questions 191-200', answers: q200.n, p50: ms(q200.p50), p99: ms(q200.p99) },
    ]);
    console.log(
      `ratio (time per answer at question 200) / (at question 10) = ${ratio.toFixed(2)} (goal: under 1.2): ${ratio < 1.2 ? 'OK' : 'OVER'}`,
    );
  } finally {
    await relais.stop();
    await db.close();
  }
}
