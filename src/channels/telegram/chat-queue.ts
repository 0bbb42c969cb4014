// Work per chat, one at a time and in arrival order; different chats run side by side.
// Telegram sends one chat's updates in order; acknowledging them at once must not let a
// later answer overtake an earlier one.

export class ChatQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();

  /** Runs `task` after the tasks already queued for `key`. Never rejects. */
  push(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task).catch(() => {});
    this.tails.set(key, next);
    this.running.add(next);
    void next.finally(() => {
      this.running.delete(next);
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    return next;
  }

  /** Chats with work queued or running. */
  get size(): number {
    return this.tails.size;
  }

  /** Resolves once everything queued so far, and what it queued meanwhile, is done. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
