/** Items that arrive from a stream, taken one at a time by a test that may wait for the next. */
export class WaitingQueue<T> {
  readonly #items: T[] = [];
  readonly #waiting: ((item: T) => void)[] = [];

  constructor(readonly what: string) {}

  push(item: T): void {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(item);
    else this.#items.push(item);
  }

  /** The next item, or a rejection after timeoutMs. */
  next(timeoutMs: number): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift() as T);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${this.what} within ${timeoutMs} ms`)), timeoutMs);
      this.#waiting.push((item) => {
        clearTimeout(timer);
        resolve(item);
      });
    });
  }
}
