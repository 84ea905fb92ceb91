/** The part of xterm's Terminal the writer uses. */
export interface WritableTerminal {
  write(data: string, callback?: () => void): void;
}

type Step =
  | { readonly kind: 'plain'; readonly data: string; readonly onWritten?: () => void }
  | { readonly kind: 'composed'; readonly build: () => string; readonly onWritten?: () => void };

/**
 * Orders writes to xterm so that text built from the terminal's state is built only once everything
 * written before has been parsed: xterm parses asynchronously, and a cursor column read while writes
 * are still queued would be stale. Plain writes go straight through when nothing waits; a composed
 * step waits for the callbacks of all writes before it. `onWritten` runs once xterm has parsed the
 * step's text (flow-control acknowledgements hang on it).
 */
export class SerialWriter {
  readonly #terminal: WritableTerminal;
  readonly #onError: (error: unknown) => void;
  readonly #queue: Step[] = [];
  /** Writes handed to xterm whose callback has not run yet. */
  #pending = 0;
  /** Set while steps are being taken, so a step that queues more (through a callback it calls) waits its turn. */
  #pumping = false;
  #disposed = false;

  constructor(terminal: WritableTerminal, onError: (error: unknown) => void) {
    this.#terminal = terminal;
    this.#onError = onError;
  }

  write(data: string, onWritten?: () => void): void {
    this.#queue.push(onWritten ? { kind: 'plain', data, onWritten } : { kind: 'plain', data });
    this.#pump();
  }

  compose(build: () => string, onWritten?: () => void): void {
    this.#queue.push(onWritten ? { kind: 'composed', build, onWritten } : { kind: 'composed', build });
    this.#pump();
  }

  /** Drops what is queued; callbacks of writes already handed over are ignored. */
  dispose(): void {
    this.#disposed = true;
    this.#queue.length = 0;
  }

  #pump(): void {
    if (this.#pumping || this.#disposed) return;
    this.#pumping = true;
    try {
      for (let step = this.#queue[0]; step !== undefined; step = this.#queue[0]) {
        if (step.kind === 'composed' && this.#pending > 0) return;
        this.#queue.shift();
        let data = '';
        try {
          data = step.kind === 'plain' ? step.data : step.build();
        } catch (error) {
          this.#onError(error);
          continue;
        }
        if (data === '') {
          step.onWritten?.();
          continue;
        }
        this.#pending += 1;
        this.#terminal.write(data, () => this.#written(step));
      }
    } finally {
      this.#pumping = false;
    }
  }

  #written(step: Step): void {
    if (this.#disposed) return;
    this.#pending -= 1;
    step.onWritten?.();
    this.#pump();
  }
}
