// Locks for the converge loop: a lock per key (a namespace name), so that two writers never interleave their
// batches in one namespace while different namespaces proceed in parallel; and one queue for whole applies.
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => {};
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      // Forget the key once nobody queued behind us, so the map does not grow with every namespace ever seen.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/** One task at a time, in the order asked: each apply plans against the host state the previous one left. */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => {});
    return result;
  }
}
