import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { PSVersion, type ProgressRecordValue } from '../../core/psrp/clixml';
import {
  Credential,
  SecureText,
  type ConsoleColor,
  type FieldDescription,
  type HostCall,
  type OutgoingValue,
} from '../../core/psrp/session';
import { choiceMenu, fieldKind, fieldPrompt, promptHeading } from '../session/host-prompts';
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
      case 'ReadLine':
        return session.answerHostCall(call, { result: await this.#ask('') });
      case 'ReadLineAsSecureString':
        return session.answerHostCall(call, { result: new SecureText(await this.#askSecret('')) });
      case 'PromptForCredential1':
      case 'PromptForCredential2': {
        const { caption, message, userName } = call.parameters;
        this.#heading(caption, message);
        return session.answerHostCall(call, { result: await this.#credential(userName) });
      }
      case 'Prompt': {
        const { caption, message, descriptions } = call.parameters;
        this.#heading(caption, message);
        const answers = new Map<string, OutgoingValue>();
        for (const field of descriptions) answers.set(field.name, await this.#field(field));
        return session.answerHostCall(call, { result: answers });
      }
      case 'PromptForChoice': {
        const { caption, message, choices, defaultChoice } = call.parameters;
        this.#heading(caption, message);
        return session.answerHostCall(call, { result: await this.#choice(choices, defaultChoice) });
      }
      case 'GetName':
        return session.answerHostCall(call, { result: 'WinRM Desk' });
      case 'GetVersion':
        return session.answerHostCall(call, { result: new PSVersion(0, 1) });
      case 'GetInstanceId':
        return session.answerHostCall(call, { result: randomUUID() });
      default:
        if (call.expectsAnswer) session.declineHostCall(call);
    }
  }

  #heading(caption: string, message: string): void {
    const text = promptHeading(caption, message);
    if (text !== '') this.write('stdout', `${text}\n`);
  }

  #ask(prompt: string): Promise<string> {
    this.#clearProgress();
    return this.#reader.question(prompt);
  }

  #askSecret(prompt: string): Promise<string> {
    this.#clearProgress();
    return this.#reader.secret(prompt);
  }

  async #credential(userName: string): Promise<Credential> {
    const typed = userName !== '' ? userName : await this.#ask('User: ');
    return new Credential(typed, new SecureText(await this.#askSecret(`Password for user ${typed}: `)));
  }

  async #field(field: FieldDescription): Promise<OutgoingValue> {
    switch (fieldKind(field)) {
      case 'secret':
        return new SecureText(await this.#askSecret(fieldPrompt(field)));
      case 'credential':
        return this.#credential('');
      default:
        return this.#ask(fieldPrompt(field));
    }
  }

  async #choice(choices: readonly { label: string }[], defaultChoice: number): Promise<number> {
    const menu = choiceMenu(choices, defaultChoice);
    for (;;) {
      const chosen = menu.choose(await this.#ask(menu.prompt));
      if (chosen !== undefined) return chosen;
    }
  }
}
