// "Something was just queued for a person who is waiting": run a dispatcher turn now
// instead of at its next poll. Calls that come while a turn runs make one more turn after
// it, never a pile of them. Only used when the dispatcher runs in this process.
import type { Worker } from '../app.js';
import type { Logger } from '../logger.js';

export interface DispatchSoon extends Worker {
  kick(): void;
}

export function dispatchSoon(turn: () => Promise<unknown>, logger: Logger): DispatchSoon {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  const loop = async () => {
    do {
      again = false;
      try {
        await turn();
      } catch (error) {
        logger.error({ err: error, worker: 'dispatch-soon' }, 'dispatcher turn failed');
      }
    } while (again && !stopped);
    running = undefined;
  };
  return {
    name: 'dispatch-soon',
    kick() {
      if (stopped) return;
      if (running) again = true;
      else running = loop();
    },
    start() {
      stopped = false;
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}
