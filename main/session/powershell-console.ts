import { UsageError } from '../../core/errors';
import type { HostCall } from '../../core/psrp/session';
import type { TerminalEventDto } from '../../core/contract/session-service';
import { ConsoleRawUI } from './console-raw-ui';
import { OutputBacklog } from './flow-control';
import { answerPromptCall, type LinePrompter } from './host-prompts';
import { remotePrompt, tabExpansion, withOutDefault, type TabCompletion } from './interactive-commands';
import { PowerShellSession, type PowerShellSessionOptions, type RemotePipeline } from './powershell-session';
import { pipelineForScript } from './script-pipeline';
import {
  DEFAULT_TERMINAL_SIZE,
  terminalTextLength,
  type TerminalConsole,
  type TerminalConsoleOptions,
} from './terminal-console';

export interface PowerShellConsoleOptions extends Omit<PowerShellSessionOptions, 'host'>, TerminalConsoleOptions {
  /** The `[label]: ` before the server's prompt. */
  readonly hostLabel: string;
}

/** A host call waiting for the user's line (Read-Host, or one part of Get-Credential). */
interface PendingRead {
  readonly resolve: (text: string) => void;
  readonly reject: (error: Error) => void;
}

class ReadInterruptedError extends Error {
  override readonly name = 'ReadInterruptedError';
}

/**
 * An interactive PowerShell console on a remote host, for a terminal that shows structured events: each
 * submitted line runs with Out-Default (the server formats for the terminal's width, and writes through
 * this host UI), the server's prompt follows, Ctrl+C stops the running pipeline, Read-Host and
 * Get-Credential read lines from the terminal, Tab asks TabExpansion2, `$Host.UI.RawUI` reports the
 * terminal (see ConsoleRawUI). Host calls it does not implement are declined, so the command fails instead
 * of waiting.
 *
 * Flow control: the characters of every event emitted count until the terminal acknowledges them; above
 * the high watermark the running line's pipeline is no longer received (the server holds its output and
 * host calls), and a line started then starts paused; it resumes at the low watermark.
 */
export class PowerShellConsole implements TerminalConsole {
  readonly #session: PowerShellSession;
  readonly #options: PowerShellConsoleOptions;
  readonly #rawUI: ConsoleRawUI;
  readonly #backlog: OutputBacklog | undefined;
  #running: RemotePipeline | undefined;
  #pendingRead: PendingRead | undefined;
  #closed = false;
  /** open() has not returned the console yet; a loss meanwhile is kept in #lostWhileOpening. */
  #opening = true;
  #lostWhileOpening: Error | undefined;

  private constructor(session: PowerShellSession, options: PowerShellConsoleOptions, rawUI: ConsoleRawUI) {
    this.#session = session;
    this.#options = options;
    this.#rawUI = rawUI;
    this.#backlog = options.flowControl && new OutputBacklog(options.flowControl);
  }

  /** Opens the session (its pool's host sized as the terminal is now) and shows the first prompt. */
  static async open(options: PowerShellConsoleOptions): Promise<PowerShellConsole> {
    const rawUI = new ConsoleRawUI(options.size ?? DEFAULT_TERMINAL_SIZE);
    // A failure after the session opened reaches the console built from it.
    const opened: { lost?: (error: Error) => void } = {};
    const session = await PowerShellSession.open({
      ...options,
      host: rawUI.hostInfo(),
      onFailed: (error) => opened.lost?.(error),
    });
    const console = new PowerShellConsole(session, options, rawUI);
    opened.lost = (error) => console.#lost(error);
    await console.#prompt();
    // Lost while showing the first prompt: the caller never had the console, so open() fails instead.
    const lostWhileOpening = console.#lostWhileOpening;
    console.#lostWhileOpening = undefined;
    console.#opening = false;
    if (lostWhileOpening !== undefined) {
      await console.close();
      throw lostWhileOpening;
    }
    return console;
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Runs one command line, then shows the next prompt. */
  submit(line: string): void {
    if (this.#running !== undefined) throw new UsageError('a command is already running in this session');
    if (line.trim() === 'exit') return this.#options.onExit();
    // A prompt that cannot be had means the session failed, which onLost reports.
    if (line.trim() === '') return void this.#prompt().catch(() => undefined);
    const spec = { ...withOutDefault(pipelineForScript(line)), host: this.#rawUI.hostInfo() };
    const pipeline = this.#session.invoke(spec, {
      onHostCall: (call) => this.#hostCall(call),
      onError: (record) => this.#emit({ type: 'error', message: record.message }),
      // Warning, verbose and debug records also reach the host UI as WriteWarningLine etc. (shown from there),
      // as does Write-Host; other information is shown like Write-Information's. Progress records likewise
      // arrive twice, as PROGRESS_RECORD and as the WriteProgress host call: only the host call is shown.
      onInformation: (record) =>
        record.tags.includes('PSHOST') || this.#emit({ type: 'information', message: record.text }),
    });
    this.#running = pipeline;
    if (this.#backlog?.paused === true) pipeline.pauseReceiving();
    void pipeline.finished
      .then(
        (result) => {
          if (result.state === 'Failed' && result.error !== undefined) {
            this.#emit({ type: 'error', message: result.error.message });
          }
        },
        (error: unknown) => this.#emit({ type: 'error', message: (error as Error).message }),
      )
      .finally(() => {
        this.#running = undefined;
        this.#pendingRead?.reject(new ReadInterruptedError('the command ended'));
        this.#pendingRead = undefined;
        if (!this.#closed) return this.#prompt();
      })
      // The session failed under the command: its reason is shown above, and no prompt can follow.
      .catch(() => undefined);
  }

  /** The line typed for the pending Read-Host. */
  answerReadLine(text: string): void {
    const pending = this.#pendingRead;
    if (pending === undefined) throw new UsageError('no Read-Host is waiting for an answer');
    this.#pendingRead = undefined;
    pending.resolve(text);
  }

  /** Ctrl+C: stops the running pipeline (a pending Read-Host is declined first). */
  interrupt(): void {
    this.#pendingRead?.reject(new ReadInterruptedError('interrupted'));
    this.#pendingRead = undefined;
    this.#running?.stop();
  }

  complete(text: string, cursor: number): Promise<TabCompletion | undefined> {
    return tabExpansion(this.#session, text, cursor);
  }

  acknowledge(characters: number): void {
    if (this.#backlog?.acknowledged(characters) === true) this.#running?.resumeReceiving();
  }

  /** Lines run from now on are formatted for this size; the running one keeps the size it started with. */
  resize(columns: number, rows: number): void {
    this.#rawUI.resize({ columns, rows });
  }

  close(): Promise<void> {
    this.#closed = true;
    this.interrupt();
    return this.#session.close();
  }

  /** The session failed after it opened (PowerShellSessionOptions.onFailed). */
  #lost(error: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#opening) this.#lostWhileOpening = error;
    else this.#options.onLost(error);
  }

  #emit(event: TerminalEventDto): void {
    if (this.#backlog?.delivered(terminalTextLength(event)) === true) this.#running?.pauseReceiving();
    this.#options.onEvent(event);
  }

  async #prompt(): Promise<void> {
    this.#emit({ type: 'prompt', prompt: await remotePrompt(this.#session, this.#options.hostLabel) });
  }

  #hostCall(call: HostCall): void {
    void this.#answer(call).catch((error: unknown) => {
      if (!call.expectsAnswer) return;
      try {
        this.#session.declineHostCall(call, (error as Error).message);
      } catch {
        // The pipeline ended or the session failed meanwhile: nothing waits for this answer any more.
      }
    });
  }

  #read(prompt: string, secret: boolean): Promise<string> {
    if (this.#pendingRead !== undefined) return Promise.reject(new UsageError('a line is already being read'));
    return new Promise((resolve, reject) => {
      this.#pendingRead = { resolve, reject };
      this.#emit({ type: 'read-line', prompt, secret });
    });
  }

  /** Asks in the terminal view: headings as host output, lines as read-line events answered by answerReadLine. */
  readonly #prompter: LinePrompter = {
    showHeading: (text) => this.#emit({ type: 'host-write', text, noNewline: false }),
    readLine: (prompt, secret) => this.#read(prompt, secret),
  };

  async #answer(call: HostCall): Promise<void> {
    const session = this.#session;
    const write = (text: string, noNewline: boolean, colours: { foreground?: string; background?: string } = {}) =>
      this.#emit({ type: 'host-write', text, noNewline, ...colours });
    switch (call.method) {
      case 'Write1':
        return write(call.parameters.value, true);
      case 'Write2': {
        const { value, foregroundColor, backgroundColor } = call.parameters;
        return write(value, true, { foreground: foregroundColor, background: backgroundColor });
      }
      case 'WriteLine1':
        return write('', false);
      case 'WriteLine2':
        return write(call.parameters.value, false);
      case 'WriteLine3': {
        const { value, foregroundColor, backgroundColor } = call.parameters;
        return write(value, false, { foreground: foregroundColor, background: backgroundColor });
      }
      case 'WriteErrorLine':
        return this.#emit({ type: 'error', message: call.parameters.message });
      case 'WriteWarningLine':
        return this.#emit({ type: 'stream', stream: 'warning', message: call.parameters.message });
      case 'WriteVerboseLine':
        return this.#emit({ type: 'stream', stream: 'verbose', message: call.parameters.message });
      case 'WriteDebugLine':
        return this.#emit({ type: 'stream', stream: 'debug', message: call.parameters.message });
      case 'WriteProgress':
        return this.#emit({
          type: 'progress',
          source: String(call.parameters.sourceId),
          record: call.parameters.record,
        });
      case 'SetShouldExit':
        return this.#options.onExit();
      default: {
        const rawUI = this.#rawUI.handle(call, session);
        if (rawUI === 'clear-screen') return this.#emit({ type: 'clear' });
        if (rawUI !== undefined) return;
        if (!(await answerPromptCall(session, call, this.#prompter)) && call.expectsAnswer) {
          session.declineHostCall(call);
        }
      }
    }
  }
}
