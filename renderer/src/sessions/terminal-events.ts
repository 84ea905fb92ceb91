import type { AppClient } from '../../../core/contract/app-contract';
import type { SessionTerminalEvent, TerminalEventDto } from '../../../core/contract/session-service';
import type { CompletionResult } from '../terminal/completion';
import {
  consoleColor,
  formatError,
  formatHostWrite,
  formatInformation,
  formatStreamMessage,
} from '../terminal/streams';
import type { TerminalEvent, TerminalEventSource, TerminalInput } from '../terminal/TerminalView';

/**
 * The bridge between a session's contract events and a TerminalView: the session's structured events
 * styled for xterm (streams.ts is the one place that formats PowerShell's streams), and the terminal's
 * intents as calls on the session.
 */

/** What xterm shows for one session event; text events keep their sequence for the acknowledgement. */
export function terminalEventOf(event: TerminalEventDto, sequence: number): TerminalEvent {
  switch (event.type) {
    case 'host-write': {
      const foreground = consoleColor(event.foreground);
      const background = consoleColor(event.background);
      const data = formatHostWrite({
        text: event.text,
        noNewline: event.noNewline,
        ...(foreground === undefined ? {} : { foreground }),
        ...(background === undefined ? {} : { background }),
      });
      return { type: 'output', data, sequence };
    }
    case 'stream':
      return { type: 'output', data: formatStreamMessage(event.stream, event.message), sequence };
    case 'error':
      return { type: 'output', data: formatError(event.message, event.commandName), sequence };
    case 'information':
      return { type: 'output', data: formatInformation(event.message), sequence };
    default:
      return event;
  }
}

/** One session's events on their way to its terminal. */
interface SessionStream {
  /** Events no mounted terminal has kept yet, oldest first. */
  readonly kept: TerminalEvent[];
  listener: ((event: TerminalEvent) => void) | undefined;
  /** Main was told that this page's terminal shows the session (`attachTerminal`). */
  attached: boolean;
}

/**
 * Keeps each session's terminal events from the moment main sends them: the first prompt arrives before
 * a terminal is mounted for the session, so events wait here until one listens. A terminal that is
 * unmounted within the same task it mounted in (React's StrictMode mounts twice) has not kept anything,
 * so the events are held until a listener survives to the next microtask, then flow straight to it.
 */
export class SessionTerminalEvents {
  readonly #streams = new Map<string, SessionStream>();
  readonly #subscription: { dispose(): void };

  constructor(private readonly sessions: Pick<AppClient['sessions'], 'onDidTerminalEvent' | 'attachTerminal'>) {
    this.#subscription = sessions.onDidTerminalEvent((message) => this.#deliver(message));
  }

  /**
   * The event source of one session's terminal (one listener at a time). The first listener attaches the
   * terminal in main: output a page before this one (a reload) was sent and never acknowledged is let go,
   * so the session's flow control does not wait for it forever.
   */
  source(sessionId: string): TerminalEventSource {
    return (listener) => {
      const stream = this.#stream(sessionId);
      if (!stream.attached) {
        stream.attached = true;
        // A session already gone has no output to let go of.
        this.sessions.attachTerminal({ sessionId }).catch(() => undefined);
      }
      stream.listener = listener;
      for (const event of stream.kept) listener(event);
      queueMicrotask(() => {
        if (stream.listener === listener) stream.kept.length = 0;
      });
      return () => {
        if (stream.listener === listener) stream.listener = undefined;
      };
    };
  }

  /** The session is gone: its events go too. */
  forget(sessionId: string): void {
    this.#streams.delete(sessionId);
  }

  dispose(): void {
    this.#subscription.dispose();
  }

  #stream(sessionId: string): SessionStream {
    let stream = this.#streams.get(sessionId);
    if (stream === undefined) {
      stream = { kept: [], listener: undefined, attached: false };
      this.#streams.set(sessionId, stream);
    }
    return stream;
  }

  #deliver({ sessionId, sequence, event }: SessionTerminalEvent): void {
    const stream = this.#stream(sessionId);
    const shown = terminalEventOf(event, sequence);
    stream.listener?.(shown);
    if (stream.listener === undefined || stream.kept.length > 0) stream.kept.push(shown);
  }
}

type SessionCalls = Pick<
  AppClient['sessions'],
  'submit' | 'answerReadLine' | 'interrupt' | 'complete' | 'acknowledgeOutput' | 'resize'
>;

/** The terminal's intents as calls on session `sessionId`; a failed call goes to `onError`. */
export function sessionTerminalCallbacks(sessions: SessionCalls, sessionId: string, onError: (error: unknown) => void) {
  /** The newest sequence written and not yet acknowledged; undefined when nothing waits. */
  let acknowledged: number | undefined;
  return {
    onInput(input: TerminalInput): void {
      const call =
        input.type === 'submit'
          ? sessions.submit({ sessionId, text: input.text })
          : input.type === 'read-line'
            ? sessions.answerReadLine({ sessionId, text: input.text })
            : sessions.interrupt({ sessionId });
      call.catch(onError);
    },
    /**
     * Acknowledgements are cumulative: the events xterm wrote in one task (a batch) are acknowledged by one
     * call with the newest sequence, sent when the task ends.
     */
    onWritten(event: { readonly sequence?: number }): void {
      if (event.sequence === undefined) return;
      const waiting = acknowledged !== undefined;
      acknowledged = Math.max(acknowledged ?? 0, event.sequence);
      if (waiting) return;
      queueMicrotask(() => {
        const sequence = acknowledged;
        acknowledged = undefined;
        if (sequence !== undefined) sessions.acknowledgeOutput({ sessionId, sequence }).catch(onError);
      });
    },
    /** The terminal engine reports its size once mounted and then at most once per animation frame. */
    onResize({ columns, rows }: { readonly columns: number; readonly rows: number }): void {
      sessions.resize({ sessionId, columns, rows }).catch(onError);
    },
    async complete(text: string, cursor: number): Promise<CompletionResult | undefined> {
      return (await sessions.complete({ sessionId, text, cursor })) ?? undefined;
    },
  };
}
