// The one serial queue: tasks run one after another, in the order they were queued, each after the
// one before it has settled. A task's result or error goes to the caller who queued it; a failed task
// does not stop the ones after it. Pure: no Node imports, so any process may use it.

export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  /** Runs `task` once every task queued before it has settled. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.#waiting += 1;
    const result = this.#tail.then(task).finally(() => {
      this.#waiting -= 1;
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Tasks queued or running now. */
  get size(): number {
    return this.#waiting;
  }
}

/**
 * One serial queue per key (an upload, a file): tasks with one key run one at a time, tasks with
 * different keys run side by side. A key's queue is dropped once it is empty, so the map holds only
 * the keys in use.
 */
export class KeyedSerialQueues<K> {
  readonly #queues = new Map<K, SerialQueue>();

  run<T>(key: K, task: () => T | Promise<T>): Promise<T> {
    let queue = this.#queues.get(key);
    if (queue === undefined) {
      queue = new SerialQueue();
      this.#queues.set(key, queue);
    }
    const result = queue.run(task);
    const drop = (): void => {
      if (queue.size === 0 && this.#queues.get(key) === queue) this.#queues.delete(key);
    };
    result.then(drop, drop);
    return result;
  }

  /** Keys with a task queued or running. */
  get activeKeys(): number {
    return this.#queues.size;
  }
}
