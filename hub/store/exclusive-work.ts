// Work one process runs at a time per key (a round's aggregation): a second caller in the same process
// waits for the first to finish instead of repeating it, and is told the work was not its own. The
// engines add what spans processes (PostgreSQL: a session advisory lock), see SqlEngine.exclusively.
export class ExclusiveWork {
  readonly #running = new Map<string, Promise<unknown>>();

  /** fn's result, or undefined when the same key's work was already running here (after it ended). */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> {
    const running = this.#running.get(key);
    if (running !== undefined) {
      await running.catch(() => undefined);
      return undefined;
    }
    const work = fn();
    this.#running.set(key, work);
    try {
      return await work;
    } finally {
      this.#running.delete(key);
    }
  }
}
