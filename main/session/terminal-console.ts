import type { TerminalEventDto } from '../../core/contract/session-service';
import type { FlowControlOptions } from './flow-control';
import type { TabCompletion } from './interactive-commands';

/** The terminal's size in character cells. */
export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

/** The size a console assumes until the terminal reports its own (PowerShell's console default width). */
export const DEFAULT_TERMINAL_SIZE: TerminalSize = { columns: 120, rows: 30 };

/** What every console is given by the session service that shows it. */
export interface TerminalConsoleOptions {
  /** Everything the terminal shows, in order. */
  readonly onEvent: (event: TerminalEventDto) => void;
  /** `exit` was typed or the remote end asked to end; the session is being closed. */
  readonly onExit: () => void;
  /** The remote shell or the connection to it is gone (not by `exit` or close()); the console is unusable. */
  readonly onLost: (error: Error) => void;
  /**
   * Ack-based flow control in characters of terminal text (DESIGN.md §2.1): above the high watermark of
   * emitted and unacknowledged characters the console stops receiving; absent, it never pauses.
   */
  readonly flowControl?: FlowControlOptions;
  /** The terminal's size when the console opens; DEFAULT_TERMINAL_SIZE when absent. */
  readonly size?: TerminalSize;
}

/**
 * An interactive console on a remote host behind one terminal view (a PowerShell runspace pool, a cmd
 * shell over WinRS): it runs the lines the user submits and reports everything to show as terminal events.
 */
export interface TerminalConsole {
  /** Whether a submitted line is still running (the next prompt has not been shown). */
  readonly running: boolean;
  /** Runs one line typed at the prompt; throws UsageError while another is running. */
  submit(line: string): void;
  /** The line typed for the pending read-line event; throws UsageError when none is pending. */
  answerReadLine(text: string): void;
  /** Ctrl+C: stops what is running (a pending read is declined first). */
  interrupt(): void;
  /** Completions of `text` with the cursor at `cursor`; undefined when the shell offers none. */
  complete(text: string, cursor: number): Promise<TabCompletion | undefined>;
  /** The terminal has written `characters` more characters (as `terminalTextLength` counts them) of what it emitted. */
  acknowledge(characters: number): void;
  /** The terminal's new size; later output is formatted for it where the shell can. */
  resize(columns: number, rows: number): void;
  /** Ends the console and releases everything it holds; never rejects. */
  close(): Promise<void>;
}

/** Characters of terminal text in an event: what flow control counts, on both sides of `acknowledge`. */
export function terminalTextLength(event: TerminalEventDto): number {
  switch (event.type) {
    case 'host-write':
      return event.text.length;
    case 'stream':
    case 'error':
    case 'information':
      return event.message.length;
    default:
      return 0;
  }
}
