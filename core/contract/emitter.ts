import type { Disposable } from './transport';

/**
 * An event source for the contract's `onDid…` members: `event` subscribes, `fire` calls every listener
 * subscribed at that moment. A listener that throws does not keep the others from being called; its
 * error is rethrown to the firing code once all have run.
 */
export class Emitter<T> {
  readonly #listeners = new Set<{ readonly listener: (event: T) => void }>();

  readonly event = (listener: (event: T) => void): Disposable => {
    const entry = { listener };
    this.#listeners.add(entry);
    return { dispose: () => this.#listeners.delete(entry) };
  };

  get listenerCount(): number {
    return this.#listeners.size;
  }

  fire(event: T): void {
    const errors: unknown[] = [];
    for (const { listener } of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} event listeners failed`);
  }
}
