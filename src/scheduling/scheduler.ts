// The node-cron tick. It holds no state: every tick asks the database for due fires, so a
// missed tick (restart, slow turn) is caught up by the next one.
import cron from 'node-cron';
import type { Worker } from '../app.js';
import type { Logger } from '../logger.js';
import type { FireRunner } from './fires.js';

export const SCHEDULER_TIME_ZONE = 'Europe/Paris';

export function schedulerWorker(expression: string, fires: FireRunner, logger: Logger): Worker {
  if (!cron.validate(expression)) {
    throw new Error(`SCHEDULER_CRON: "${expression}" is not a valid cron expression`);
  }
  let running: Promise<unknown> | undefined;
  let task: ReturnType<typeof cron.schedule> | undefined;
  return {
    name: 'scheduler',
    start() {
      task = cron.schedule(
        expression,
        async () => {
          if (running) return; // the previous tick is still working
          running = fires
            .runDue()
            .then((r) => {
              if (r.done || r.failed) logger.info(r, 'scheduled fires run');
            })
            .catch((error) => logger.error({ err: error }, 'scheduler tick failed'))
            .finally(() => {
              running = undefined;
            });
          await running;
        },
        { timezone: SCHEDULER_TIME_ZONE, name: 'relais-fires', noOverlap: true },
      );
    },
    async stop() {
      await task?.stop();
      await task?.destroy();
      await running;
    },
  };
}
