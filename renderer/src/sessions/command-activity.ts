import type { TerminalEventSource, TerminalInput } from '../terminal/TerminalView';

/**
 * Which sessions are running a command, as their terminals see it: a line submitted at the prompt runs
 * until the console shows the next prompt (it does after every command, however it ended). Read-Host and
 * progress happen while it runs. Closing a tab asks first only while its command runs.
 */
export class CommandActivity {
  readonly #running = new Set<string>();

  isRunning(sessionId: string): boolean {
    return this.#running.has(sessionId);
  }

  /** The terminal's intent, on its way to the session. */
  input(sessionId: string, input: TerminalInput): void {
    if (input.type === 'submit') this.#running.add(sessionId);
  }

  /** `source` with the session's prompts noted on their way to the terminal. */
  watch(sessionId: string, source: TerminalEventSource): TerminalEventSource {
    return (listener) =>
      source((event) => {
        if (event.type === 'prompt') this.#running.delete(sessionId);
        listener(event);
      });
  }

  forget(sessionId: string): void {
    this.#running.delete(sessionId);
  }
}
