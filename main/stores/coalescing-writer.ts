/**
 * Runs one write at a time. A value submitted while a write is in flight waits; values submitted while one
 * already waits replace it, so a burst of changes costs at most two writes and the last value always lands.
 * Each caller's promise settles when a write that includes its value has finished.
 */
export class CoalescingWriter<T> {
  /** The write that has not started yet; later values replace its value. */
  #waiting: { value: T; done: Promise<void> } | undefined;
  /** Settles after every write submitted so far, successful or not. */
  #tail: Promise<void> = Promise.resolve();

  constructor(private readonly writeValue: (value: T) => Promise<void>) {}

  write(value: T): Promise<void> {
    if (this.#waiting !== undefined) {
      this.#waiting.value = value;
      return this.#waiting.done;
    }
    const waiting = { value, done: Promise.resolve() };
    waiting.done = this.#tail.then(() => {
      this.#waiting = undefined;
      return this.writeValue(waiting.value);
    });
    this.#waiting = waiting;
    this.#tail = waiting.done.catch(() => undefined); // a failed write is reported to its callers and does not block the next
    return waiting.done;
  }

  /** Settles once every write submitted so far has finished (failures are reported to their writers, not here). */
  idle(): Promise<void> {
    return this.#tail;
  }
}
