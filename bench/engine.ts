// Engine benchmark (issue 3): 1,000 simulated people each answer a 10-question
// consultation, and one person answers a 200-question one, through the whole durable path
// on the embedded PGlite: a real launch (ConsultationService: invitations, fires, anonymous
// answers under an HMAC key), then each answer as an inbound message -> dedupe -> run row
// lock -> pure step -> the anonymous answer row, the response's drop-off, the outbox, and
// the inbound text blanked, in one transaction. The questionnaires have a branch (on the
// first answer) and a notify node (a call from the référent), the shapes that make a run
// row keep results. The figure that matters is the ratio of time per answer at question 200
// to question 10: with one row per run, holding only what the branches need, it stays flat.
// Also the pure step alone. Sizes: BENCH_PEOPLE (1000), BENCH_PAIRS (5).
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

/**
 * A consultation of `questions` questions: single choices, a branch on the first answer
 * (a "Mal" gets a word of thanks), and last a yes/no "shall your référent call you?" whose
 * yes enters a node that notifies the référent.
 */
function questionnaire(id: string, questions: number): FlowDefinition {
  const nodes: unknown[] = [
    {
      id: 'intro',
      say: 'Répondre est libre. Cela ne change rien à vos droits ni à votre allocation.',
    },
  ];
  for (let i = 1; i < questions; i++) {
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
    if (i === 1) {
      nodes.push(
        { id: 'check_q1', branch: 'q1', cases: [{ when: ['c'], next: 'sorry' }], default: 'q2' },
        { id: 'sorry', say: 'Merci de nous le dire.' },
      );
    }
  }
  nodes.push(
    {
      id: 'call',
      ask: 'yesno',
      text: 'Voulez-vous que votre référent vous appelle ?',
      result: 'callback',
    },
    {
      id: 'check_call',
      branch: 'callback',
      cases: [{ when: ['yes'], next: 'call_yes' }],
      default: 'end',
    },
    { id: 'call_yes', say: "C'est noté, votre référent va vous appeler.", notify: 'referent' },
    { id: 'end', end: 'Merci !' },
  );
  return flowSchema.parse({
    id,
    version: 1,
    kind: 'consultation',
    title: id,
    language: 'fr',
    nodes,
  }) as FlowDefinition;
}

/** What a person types at question `i` (0-based) of `n`: 1, 2 or 3, then "1" (yes) at the call. */
function answerAt(i: number, n: number, person: number): string {
  if (i === n - 1) return '1';
  return String(((i + person) % 3) + 1);
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
      state = step(def, state, { type: 'answer', text: answerAt(i, answers, r) }, now, {
        localizer,
      }).state;
      times.push(performance.now() - t0);
    }
  }
  return summary(times);
}

type Member = { personId: string; identityId: string; address: string };

async function answer(relais: Relais, p: Member, text: string): Promise<number> {
  const s = performance.now();
  const outcome = await relais.services.conversations.handleInbound({
    channel: 'web',
    address: p.address,
    text,
    providerMessageId: randomUUID(),
    receivedAt: new Date(),
  });
  if (outcome !== 'answered') throw new Error(`answer "${text}" was ${outcome}`);
  return performance.now() - s;
}

/** Launches the flow to the group for real, then every member answers every question. */
async function durable(
  relais: Relais,
  organisationId: string,
  group: string,
  people: Member[],
  flowId: string,
  answers: number,
) {
  const launchStart = performance.now();
  const { invited } = await relais.services.consultations.launch({
    organisationId,
    group,
    flowId,
    deadline: new Date(Date.now() + 10 * 86_400_000),
    // Answers filed under an HMAC of (consultation, person), as in production.
    anonymous: true,
  });
  const launchSeconds = (performance.now() - launchStart) / 1000;
  if (invited !== people.length) throw new Error(`${invited} invited of ${people.length}`);
  const perAnswer: number[] = [];
  const t0 = performance.now();
  for (const [n, p] of people.entries()) {
    for (let i = 0; i < answers; i++)
      perAnswer.push(await answer(relais, p, answerAt(i, answers, n)));
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, launchSeconds, invited, perAnswer: summary(perAnswer) };
}

/** Bytes of a run's row state: what an answer reads and writes back. */
async function stateBytes(relais: Relais, personId: string, flowId: string): Promise<number> {
  const rows = await relais.db.prisma.$queryRaw<{ bytes: number }[]>`
    SELECT octet_length(state::text)::int AS bytes FROM "FlowRun"
     WHERE "personId" = ${personId}::uuid AND "flowId" = ${flowId}`;
  return rows[0]?.bytes ?? 0;
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
    // The référent the notify node tells (they are told by the web chat).
    const referent = await db.prisma.person.create({
      data: { organisationId: org.id, displayName: 'Référente', roles: ['referent'] },
    });
    await db.prisma.channelIdentity.create({
      data: {
        organisationId: org.id,
        personId: referent.id,
        channel: 'web',
        address: 'bench:referent',
        consent: 'granted',
      },
    });
    const groupOf = (code: string) =>
      db.prisma.group.create({ data: { organisationId: org.id, code, name: code } });
    const g10 = await groupOf('bench-10');
    const g200 = await groupOf('bench-200');
    const people: Member[] = [];
    for (let i = 0; i < PEOPLE + 1 + 2 * PAIRS; i++) {
      const person = await db.prisma.person.create({
        data: {
          organisationId: org.id,
          displayName: `P${i}`,
          roles: ['beneficiary'],
          referentId: referent.id,
        },
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
      await db.prisma.membership.create({
        data: { groupId: i < PEOPLE ? g10.id : g200.id, personId: person.id, role: 'member' },
      });
      people.push({ personId: person.id, identityId: identity.id, address: identity.address });
    }
    const tenQ = await durable(relais, org.id, 'bench-10', people.slice(0, PEOPLE), 'bench-10', 10);
    // The 200-question consultation goes to its whole group at once: the long run, and the
    // pairs below (who answer later).
    const longPerson = people[PEOPLE] as Member;
    const launchStart = performance.now();
    await relais.services.consultations.launch({
      organisationId: org.id,
      group: 'bench-200',
      flowId: 'bench-200',
      deadline: new Date(Date.now() + 10 * 86_400_000),
      anonymous: true,
    });
    const launch200 = (performance.now() - launchStart) / 1000;
    const longTimes: number[] = [];
    const l0 = performance.now();
    let bytesAt10 = 0;
    for (let i = 0; i < 200; i++) {
      longTimes.push(await answer(relais, longPerson, answerAt(i, 200, 0)));
      if (i === 9) bytesAt10 = await stateBytes(relais, longPerson.personId, 'bench-200');
      if (i === 198) {
        const bytesAt199 = await stateBytes(relais, longPerson.personId, 'bench-200');
        console.log(
          `Run row state of the 200-question run: ${bytesAt10} bytes after 10 answers, ${bytesAt199} after 199`,
        );
      }
    }
    const long = { seconds: (performance.now() - l0) / 1000, perAnswer: summary(longTimes) };
    // Side by side in the same moments, so that machine noise hits both alike: a run
    // already at question 190 and a fresh run of the same flow answer in turn.
    const atStart: number[] = [];
    const atEnd: number[] = [];
    for (let pair = 0; pair < PAIRS; pair++) {
      const late = people[PEOPLE + 1 + 2 * pair] as Member;
      const fresh = people[PEOPLE + 2 + 2 * pair] as Member;
      for (let i = 0; i < 190; i++) await answer(relais, late, answerAt(i, 200, 2 * pair));
      for (let i = 0; i < 10; i++) {
        atStart.push(await answer(relais, fresh, answerAt(i, 200, 2 * pair + 1)));
        atEnd.push(await answer(relais, late, answerAt(190 + i, 200, 2 * pair)));
      }
    }
    console.log(
      `Launches: ${tenQ.invited} invited in ${tenQ.launchSeconds.toFixed(1)} s (${Math.round(tenQ.invited / tenQ.launchSeconds)}/s); the 200-question one, ${1 + 2 * PAIRS} invited in ${launch200.toFixed(1)} s`,
    );
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
