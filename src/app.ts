// Composition root: config -> database -> services -> HTTP -> background workers.
// Everything with a lifetime is started here and stopped here, in reverse order.
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import {
  AppointmentService,
  FIRE_INVITATION,
  FIRE_PARTICIPATION,
  FIRE_RIGHTS,
} from './appointments/service.js';
import { dispatchSoon as createDispatchSoon } from './channels/dispatch-soon.js';
import { createChannels } from './channels/index.js';
import type { ChannelModule } from './channels/module.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { loadFlows } from './conversations/flow-files.js';
import { FlowRegistry } from './conversations/flow-registry.js';
import { ConversationService } from './conversations/service.js';
import { type Database, openDatabase } from './db/client.js';
import { formatProblem } from './engine/index.js';
import { createApiToken } from './http/auth.js';
import { appointmentRoutes } from './http/routes/appointments.js';
import { consultationRoutes } from './http/routes/consultations.js';
import { healthRoutes } from './http/routes/health.js';
import { openApiRoute } from './http/routes/openapi.js';
import { reportRoutes } from './http/routes/reports.js';
import { createServer } from './http/server.js';
import { createI18n, type i18n } from './i18n/index.js';
import { createLogger, type Logger } from './logger.js';
import { Dispatcher } from './messaging/dispatcher.js';
import { anonymityKey } from './participation/anonymity.js';
import { avisAfterRio } from './participation/avis-after-rio.js';
import { ConsultationService, FIRE_INVITE } from './participation/consultations.js';
import { participationNotifications } from './participation/notifications.js';
import { FireRunner } from './scheduling/fires.js';
import { schedulerWorker } from './scheduling/scheduler.js';
import { seed } from './seed/seed.js';

/** A loop or timer that runs beside the HTTP server; stop() waits for its current turn. */
export interface Worker {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

export interface Services {
  clock: Clock;
  i18n: i18n;
  flows: FlowRegistry;
  conversations: ConversationService;
  consultations: ConsultationService;
  appointments: AppointmentService;
  channels: ChannelModule[];
  dispatcher: Dispatcher;
  fires: FireRunner;
}

export interface Relais {
  config: Config;
  logger: Logger;
  db: Database;
  server: FastifyInstance;
  services: Services;
  workers: Worker[];
  /** Where the HTTP server listens, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Bearer token of the demo département, when this start loaded the demo data. */
  demoToken?: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** An already open database (tests). It is not closed by stop(). */
  db?: Database;
  /** A controlled clock (tests). */
  clock?: Clock;
  flowsDir?: string;
}

export const defaultFlowsDir = fileURLToPath(new URL('../flows/', import.meta.url));

export async function startRelais(config: Config, options: StartOptions = {}): Promise<Relais> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const clock = options.clock ?? systemClock;
  const db =
    options.db ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      poolSize: config.DATABASE_POOL_SIZE,
      preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    }));
  const { prisma } = db;
  const workers: Worker[] = [];
  const channels: ChannelModule[] = [];
  try {
    if (config.MIGRATE_ON_START) {
      const applied = await db.migrate();
      logger.info({ applied }, applied.length ? 'migrations applied' : 'database up to date');
    }
    let demoToken: string | undefined;
    if (config.DEMO_DATA) {
      // Under the start-up lock: two instances starting together would both find the
      // database empty, and both load the demo.
      demoToken = await db.exclusive(async () => {
        if ((await prisma.organisation.count()) > 0) return undefined;
        await seed(prisma);
        logger.info('demo data loaded into the empty database');
        // A token to try the API at once; shown once, by main.ts, never logged.
        const demo = await prisma.organisation.findUnique({ where: { slug: 'deux-sevres' } });
        return demo ? createApiToken(prisma, demo.id, 'demo') : undefined;
      });
    }

    // Flows: an invalid one is refused with its problems; the valid ones still load.
    const i18n = await createI18n();
    const flows = new FlowRegistry(prisma);
    const loaded = await loadFlows(options.flowsDir ?? defaultFlowsDir, i18n);
    const problems = [
      ...loaded.problems,
      ...(await flows.sync(loaded.flows, (def) => `flows/${def.id} v${def.version}`)),
    ];
    for (const p of problems) {
      const line = formatProblem(p);
      if (p.severity === 'error') logger.error({ problem: line }, 'flow refused');
      else logger.warn({ problem: line }, 'flow warning');
    }
    logger.info(
      { flows: flows.list().map((f) => `${f.id} v${f.version}`) },
      `${flows.list().length} flows loaded`,
    );

    const conversations = new ConversationService({
      prisma,
      sql: db.sql,
      flows,
      i18n,
      clock,
      logger,
    });
    const consultations = new ConsultationService({
      prisma,
      conversations,
      clock,
      logger,
      anonymityKey: anonymityKey(config.ANONYMITY_KEY, config.DATA_DIR),
    });
    conversations.registerContext('consultation', consultations.hooks());
    conversations.onNotify(participationNotifications(i18n));
    // Anyone can send an avis at any time by writing AVIS.
    conversations.startWord('avis', 'avis-libre');
    // Replies to appointment messages (1, 2, 3, A, B, C, free text), before an active run
    // only when the appointment message is the latest the person got.
    const appointments = new AppointmentService({
      prisma,
      i18n,
      clock,
      logger,
      // People recorded present at a RIO are asked for their avis on the welcome.
      onPresent: avisAfterRio(consultations, logger),
    });
    conversations.onInbound(appointments.inboundHandler(), { beforeRun: true });

    // Replies to someone who just wrote go out at once, not at the dispatcher's next poll.
    let kick: (() => void) | undefined;
    const dispatchSoon = () => kick?.();
    channels.push(
      ...createChannels({
        config,
        prisma,
        sql: db.sql,
        conversations,
        clock,
        logger,
        i18n,
        dispatchSoon,
      }),
    );
    const dispatcher = new Dispatcher({
      prisma,
      sql: db.sql,
      clock,
      logger,
      senders: Object.fromEntries(channels.map((c) => [c.id, c.sender])),
      batchSize: config.DISPATCH_BATCH_SIZE,
      concurrency: config.DISPATCH_CONCURRENCY,
      quietHours: config.QUIET_HOURS,
      contactLimit: config.CONTACT_PRESSURE_LIMIT,
    });
    const fires = new FireRunner({ prisma, clock, logger });
    fires
      .on('flow.timeout', (fire) => conversations.handleRunFire(fire))
      .on('flow.expire', (fire) => conversations.handleRunFire(fire))
      .on('consultation.reminder', (fire, now) => consultations.remind(fire, now))
      .on('consultation.close', (fire, now) => consultations.close(fire, now))
      .on(FIRE_INVITE, (fire, now) => consultations.resumeInvites(fire, now))
      .on(FIRE_PARTICIPATION, (fire, now) => appointments.onParticipationFire(fire, now))
      .on(FIRE_INVITATION, (fire, now) => appointments.onInvitationFire(fire, now))
      .on(FIRE_RIGHTS, (fire, now) => appointments.onRightsFire(fire, now));

    // Back-to-back turns while there is work, a pause of DISPATCH_INTERVAL_MS when idle.
    if (config.DISPATCHER_ENABLED) {
      workers.push(dispatcher.worker(config.DISPATCH_INTERVAL_MS));
      const soon = createDispatchSoon(() => dispatcher.runOnce({ recordLater: true }), logger);
      kick = soon.kick;
      conversations.sendRepliesWith({
        claimAs: dispatcher.instanceId,
        send: (rows) => dispatcher.sendClaimed(rows),
        dispatchSoon: soon.kick,
      });
      workers.push(soon);
    }
    if (config.SCHEDULER_ENABLED)
      workers.push(schedulerWorker(config.SCHEDULER_CRON, fires, logger));

    const server = createServer(logger, { trustProxy: config.TRUST_PROXY });
    healthRoutes(server, prisma);
    openApiRoute(server);
    consultationRoutes(server, prisma, consultations);
    appointmentRoutes(server, appointments);
    reportRoutes(server, appointments);
    for (const channel of channels) channel.routes?.(server);

    await server.listen({ port: config.PORT, host: config.HOST });
    const address = server.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    for (const channel of channels) await channel.start?.();
    for (const worker of workers) worker.start();

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        // Stop taking requests and let in-flight ones finish, then let each worker and
        // channel finish its current turn, and only then close the database they use.
        await server.close();
        await Promise.all(workers.map((w) => w.stop()));
        await Promise.all(channels.map((c) => c.stop?.()));
        // Answers the channels' last updates handed to the dispatcher go, and are recorded.
        await dispatcher.settle();
        if (!options.db) await db.close();
        logger.info('stopped');
      })();
      return stopping;
    };
    const services: Services = {
      clock,
      i18n,
      flows,
      conversations,
      consultations,
      appointments,
      channels,
      dispatcher,
      fires,
    };
    return { config, logger, db, server, services, workers, url, demoToken, stop };
  } catch (error) {
    await Promise.all(workers.map((w) => w.stop().catch(() => {})));
    if (!options.db) await db.close().catch(() => {});
    throw error;
  }
}
