// Group commit for inbound messages. Each message waits for the batch in flight to end,
// then goes with every other message that arrived meanwhile into one transaction: when
// many people answer at once, a batch costs a few statements instead of a few per answer,
// and an idle service adds no delay (a lone message starts its batch at once).
//
// Two messages with the same key (one person's address) never share a batch or run side
// by side: the later one waits for the next batch, so a person's messages apply in the
// order they came.

export interface BatcherOptions<T> {
  /** Messages with the same key are handled one after the other, in arrival order. */
  keyOf(item: T): string;
  /** Most items in one batch. */
  maxSize: number;
  /** Batches running side by side (1 on the embedded database: it has one connection). */
  maxInFlight: number;
  /**
   * Start a batch only after the event loop's next turn, not at once. For a database that
   * runs in this thread: a batch then keeps the thread until it ends, so the requests that
   * arrived meanwhile are read only after it, each in a batch of its own. One turn lets
   * them in first (in the Telegram bench on PGlite: half the statements per answer, 30%
   * more answers a second). On a server it only costs: the thread is free while a batch
   * waits for the database, and what arrives meanwhile joins the next batch anyway.
   */
  gatherFirst?: boolean;
}

interface Waiting<T, R> {
  item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export class Batcher<T, R> {
  private queue: Waiting<T, R>[] = [];
  private readonly busyKeys = new Set<string>();
  private inFlight = 0;
  private gathering = false;

  /**
   * `run` handles one batch and gives one outcome per item, in order: a value, or the
   * Error of that item alone.
   */
  constructor(
    private readonly run: (items: T[]) => Promise<(R | Error)[]>,
    private readonly options: BatcherOptions<T>,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.options.gatherFirst && this.inFlight === 0) this.gather();
      else this.pump();
    });
  }

  /** A pump at the event loop's next turn (once, however many items come meanwhile). */
  private gather(): void {
    if (this.gathering) return;
    this.gathering = true;
    setImmediate(() => {
      this.gathering = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length) {
      const batch = this.take();
      if (!batch.length) return;
      this.inFlight++;
      void this.execute(batch).finally(() => {
        this.inFlight--;
        for (const w of batch) this.busyKeys.delete(this.options.keyOf(w.item));
        this.pump();
      });
    }
  }

  /** The oldest waiting items, at most one per key and none whose key is in flight. */
  private take(): Waiting<T, R>[] {
    const batch: Waiting<T, R>[] = [];
    const rest: Waiting<T, R>[] = [];
    const seen = new Set<string>();
    for (const w of this.queue) {
      const key = this.options.keyOf(w.item);
      if (batch.length < this.options.maxSize && !this.busyKeys.has(key) && !seen.has(key)) {
        batch.push(w);
      } else {
        rest.push(w);
      }
      // A key passed over once stays passed over in this round: a later item of it must
      // not overtake the earlier one.
      seen.add(key);
    }
    this.queue = rest;
    for (const w of batch) this.busyKeys.add(this.options.keyOf(w.item));
    return batch;
  }

  private async execute(batch: Waiting<T, R>[]): Promise<void> {
    let outcomes: (R | Error)[];
    try {
      outcomes = await this.run(batch.map((w) => w.item));
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof Error) w.reject(outcome);
      else w.resolve(outcome as R);
    });
  }
}
