// A loop that runs one task at a time every interval; stop() waits for the current turn,
// so a shutdown never cuts a send or a fire in the middle.
import type { Worker } from '../app.js';
import type { Logger } from '../logger.js';

export function pollingWorker(
  name: string,
  intervalMs: number,
  task: () => Promise<unknown>,
  logger: Logger,
): Worker {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  const turn = () => {
    running = task()
      .then(() => undefined)
      .catch((error) => logger.error({ err: error, worker: name }, 'worker turn failed'))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(turn, intervalMs);
      });
  };
  return {
    name,
    start() {
      if (!stopped) return;
      stopped = false;
      timer = setTimeout(turn, 0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
