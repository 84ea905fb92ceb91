import { UsageError } from '../../core/errors';

/**
 * Ack-based flow control of one output (DESIGN.md §2.1): the consumer acknowledges what it has written
 * (xterm, a terminal, a file); above the high watermark of unacknowledged output the session stops issuing
 * Receive requests, so the server holds the rest, and it resumes once acknowledgements bring the backlog
 * down to the low watermark. Units are the session's: characters of text for WinRS output, objects and
 * records for a PowerShell pipeline.
 */
export interface FlowControlOptions {
  readonly highWatermark: number;
  /** Default: half the high watermark. */
  readonly lowWatermark?: number;
}

export class OutputBacklog {
  readonly #high: number;
  readonly #low: number;
  #unacknowledged = 0;
  #paused = false;

  constructor(options: FlowControlOptions) {
    this.#high = options.highWatermark;
    this.#low = options.lowWatermark ?? Math.floor(options.highWatermark / 2);
    if (!(this.#high > 0 && this.#low >= 0 && this.#low < this.#high)) {
      throw new UsageError('flow control needs 0 ≤ lowWatermark < highWatermark');
    }
  }

  get unacknowledged(): number {
    return this.#unacknowledged;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Output handed to the consumer; returns true when this crossed the high watermark (pause now). */
  delivered(amount: number): boolean {
    this.#unacknowledged += amount;
    if (this.#paused || this.#unacknowledged <= this.#high) return false;
    this.#paused = true;
    return true;
  }

  /** Output the consumer has written; returns true when this brought the backlog to the low watermark (resume). */
  acknowledged(amount: number): boolean {
    if (!(amount >= 0) || amount > this.#unacknowledged) {
      throw new UsageError(`acknowledged ${amount} of ${this.#unacknowledged} unacknowledged`);
    }
    this.#unacknowledged -= amount;
    if (!this.#paused || this.#unacknowledged > this.#low) return false;
    this.#paused = false;
    return true;
  }
}
