import type { Writable } from 'node:stream';
import type { ProgressRecordValue } from '../../core/psrp/clixml';
import type { ConsoleColor, HostCall } from '../../core/psrp/session';
import { answerPromptCall, type LinePrompter } from '../session/host-prompts';
import type { PowerShellSession } from '../session/powershell-session';

/** How the host asks the user: a line of text, or a secret without echo. */
export interface LineReader {
  question(prompt: string): Promise<string>;
  secret(prompt: string): Promise<string>;
}

const ANSI_FOREGROUND: Readonly<Record<ConsoleColor, number>> = {
  Black: 30,
  DarkBlue: 34,
  DarkGreen: 32,
  DarkCyan: 36,
  DarkRed: 31,
  DarkMagenta: 35,
  DarkYellow: 33,
  Gray: 37,
  DarkGray: 90,
  Blue: 94,
  Green: 92,
  Cyan: 96,
  Red: 91,
  Magenta: 95,
  Yellow: 93,
  White: 97,
};

/**
 * PowerShell's host UI on a terminal (PROTOCOL.md §2.7): Write-Host and formatted output (with colours on a
 * terminal), Read-Host (also as a SecureString), Get-Credential, prompts for fields and choices, progress as
 * one line. A call it does not implement is declined, so the remote command fails instead of waiting.
 */
export class TerminalHost {
  readonly #session: PowerShellSession;
  readonly #reader: LineReader;
  readonly #stdout: Writable;
  readonly #stderr: Writable;
  readonly #colours: boolean;
  #progressShown = false;
  /** Set by the server's SetShouldExit (`exit` in the remote session). */
  exitRequested = false;

  constructor(options: {
    session: PowerShellSession;
    reader: LineReader;
    stdout: Writable;
    stderr: Writable;
    colours: boolean;
  }) {
    this.#session = options.session;
    this.#reader = options.reader;
    this.#stdout = options.stdout;
    this.#stderr = options.stderr;
    this.#colours = options.colours;
  }

  /** Handles one host call; answers (or declines) those that expect an answer, once the user replied. */
  handle(call: HostCall): void {
    void this.#answer(call).catch((error: unknown) => {
      if (call.expectsAnswer) this.#session.declineHostCall(call, (error as Error).message);
    });
  }

  /** A PROGRESS_RECORD (Write-Progress) as one line on stderr, cleared when the activity completes. */
  progress(record: ProgressRecordValue): void {
    if (!this.#colours) return;
    this.#clearProgress();
    if (record.recordType === 'Completed') return;
    const percent = record.percentComplete >= 0 ? ` ${record.percentComplete}%` : '';
    this.#stderr.write(`${record.activity}: ${record.statusDescription}${percent}`.slice(0, 200));
    this.#progressShown = true;
  }

  /** Text for the terminal: the progress line is cleared first. */
  write(stream: 'stdout' | 'stderr', text: string): void {
    this.#clearProgress();
    (stream === 'stdout' ? this.#stdout : this.#stderr).write(text);
  }

  #clearProgress(): void {
    if (!this.#progressShown) return;
    this.#stderr.write('\r\x1b[K');
    this.#progressShown = false;
  }

  #coloured(text: string, foreground: ConsoleColor, background: ConsoleColor): string {
    if (!this.#colours) return text;
    return `\x1b[${ANSI_FOREGROUND[foreground]};${ANSI_FOREGROUND[background] + 10}m${text}\x1b[0m`;
  }

  async #answer(call: HostCall): Promise<void> {
    const session = this.#session;
    switch (call.method) {
      case 'Write1':
        return this.write('stdout', call.parameters.value);
      case 'Write2':
        return this.write(
          'stdout',
          this.#coloured(call.parameters.value, call.parameters.foregroundColor, call.parameters.backgroundColor),
        );
      case 'WriteLine1':
        return this.write('stdout', '\n');
      case 'WriteLine2':
        return this.write('stdout', `${call.parameters.value}\n`);
      case 'WriteLine3':
        return this.write(
          'stdout',
          `${this.#coloured(call.parameters.value, call.parameters.foregroundColor, call.parameters.backgroundColor)}\n`,
        );
      case 'WriteErrorLine':
        return this.write('stderr', `${this.#coloured(call.parameters.message, 'Red', 'Black')}\n`);
      case 'WriteWarningLine':
        return this.write('stderr', `${this.#coloured(`WARNING: ${call.parameters.message}`, 'Yellow', 'Black')}\n`);
      case 'WriteVerboseLine':
        return this.write('stderr', `${this.#coloured(`VERBOSE: ${call.parameters.message}`, 'Yellow', 'Black')}\n`);
      case 'WriteDebugLine':
        return this.write('stderr', `${this.#coloured(`DEBUG: ${call.parameters.message}`, 'Yellow', 'Black')}\n`);
      case 'WriteProgress':
        return this.progress(call.parameters.record);
      case 'SetShouldExit':
        this.exitRequested = true;
        return;
      default:
        if (!(await answerPromptCall(session, call, this.#prompter)) && call.expectsAnswer) {
          session.declineHostCall(call);
        }
    }
  }

  /** Asks on the terminal; a progress line is cleared first so the question stands alone. */
  readonly #prompter: LinePrompter = {
    showHeading: (text) => this.write('stdout', `${text}\n`),
    readLine: (prompt, secret) => {
      this.#clearProgress();
      return secret ? this.#reader.secret(prompt) : this.#reader.question(prompt);
    },
  };
}
