// Group commit: messages arriving together share a batch; one person's messages never
// share one, never run side by side and keep their order; one failure fails only its item.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../src/conversations/batcher.js';

interface Item {
  key: string;
  n: number;
  fail?: boolean;
}

function recorder(options: { maxInFlight?: number; maxSize?: number; gatherFirst?: boolean } = {}) {
  const batches: number[][] = [];
  let running = 0;
  let maxRunning = 0;
  const batcher = new Batcher<Item, string>(
    async (items) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      batches.push(items.map((i) => i.n));
      await sleep(10);
      running--;
      return items.map((i) => (i.fail ? new Error(`item ${i.n} failed`) : `done ${i.n}`));
    },
    {
      keyOf: (i) => i.key,
      maxSize: options.maxSize ?? 50,
      maxInFlight: options.maxInFlight ?? 1,
      gatherFirst: options.gatherFirst,
    },
  );
  return { batcher, batches, maxRunning: () => maxRunning };
}

describe('Batcher', () => {
  it('starts a lone item at once and puts what arrives meanwhile in the next batch', async () => {
    const { batcher, batches } = recorder();
    const first = batcher.submit({ key: 'a', n: 1 });
    const rest = [2, 3, 4].map((n) => batcher.submit({ key: `k${n}`, n }));
    expect(await first).toBe('done 1');
    expect(await Promise.all(rest)).toEqual(['done 2', 'done 3', 'done 4']);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('with gatherFirst, lets what arrives before the next turn of the event loop join', async () => {
    for (const gatherFirst of [false, true]) {
      const { batcher, batches } = recorder({ gatherFirst });
      // A request read in this turn of the event loop, after the first item came.
      const read = new Promise<string>((resolve) => {
        setImmediate(() => resolve(batcher.submit({ key: 'b', n: 2 })));
      });
      const first = batcher.submit({ key: 'a', n: 1 });
      expect(await Promise.all([first, read])).toEqual(['done 1', 'done 2']);
      expect(batches).toEqual(gatherFirst ? [[1, 2]] : [[1], [2]]);
    }
  });

  it("keeps one key's items apart and in order", async () => {
    const { batcher, batches } = recorder();
    const results = await Promise.all([
      batcher.submit({ key: 'x', n: 1 }),
      batcher.submit({ key: 'x', n: 2 }),
      batcher.submit({ key: 'y', n: 3 }),
      batcher.submit({ key: 'x', n: 4 }),
      batcher.submit({ key: 'y', n: 5 }),
    ]);
    expect(results).toEqual(['done 1', 'done 2', 'done 3', 'done 4', 'done 5']);
    // 1 starts alone; then one item per key, oldest first, never 4 before 2.
    expect(batches).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('never runs two batches holding the same key side by side', async () => {
    const { batcher, batches, maxRunning } = recorder({ maxInFlight: 3 });
    await Promise.all([
      batcher.submit({ key: 'x', n: 1 }),
      batcher.submit({ key: 'x', n: 2 }),
      batcher.submit({ key: 'y', n: 3 }),
    ]);
    expect(maxRunning()).toBe(2);
    expect(batches).toEqual([[1], [3], [2]]);
  });

  it('fails only the item that failed', async () => {
    const { batcher } = recorder();
    const first = batcher.submit({ key: 'a', n: 1 });
    const bad = batcher.submit({ key: 'b', n: 2, fail: true });
    const good = batcher.submit({ key: 'c', n: 3 });
    await first;
    await expect(bad).rejects.toThrow('item 2 failed');
    expect(await good).toBe('done 3');
  });

  it('rejects every item of a batch that throws as a whole', async () => {
    const batcher = new Batcher<Item, string>(
      async () => {
        throw new Error('database down');
      },
      { keyOf: (i) => i.key, maxSize: 10, maxInFlight: 1 },
    );
    await expect(batcher.submit({ key: 'a', n: 1 })).rejects.toThrow('database down');
  });

  it('caps a batch at maxSize', async () => {
    const { batcher, batches } = recorder({ maxSize: 2 });
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit({ key: `k${n}`, n })));
    expect(batches).toEqual([[1], [2, 3], [4, 5]]);
  });
});
