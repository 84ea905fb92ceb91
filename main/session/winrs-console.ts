import type { TerminalEventDto } from '../../core/contract/session-service';
import { UsageError } from '../../core/errors';
import type { TabCompletion } from './interactive-commands';
import type { TerminalConsole, TerminalConsoleOptions } from './terminal-console';
import { WinRSSession, type OutputStreamName, type RemoteCommand, type WinRSSessionOptions } from './winrs-session';

/**
 * What a cmd profile runs: Windows' command interpreter reading command lines from its stdin, as
 * `winrs -r:host cmd` does; it reads CR LF ended lines.
 */
const CMD_COMMAND = 'cmd.exe';
const CMD_LINE_END = '\r\n';

/** The longest unfinished output line taken for a prompt; a longer one is output still on its way. */
const MAX_PROMPT_LENGTH = 1024;

/**
 * How long output must stay quiet after an unfinished line before that line is taken for the prompt: output
 * arrives in pieces cut anywhere, and stdout and stderr come through separate pipes, so a line end may follow.
 */
const PROMPT_SETTLE_MS = 100;

export interface WinRSConsoleOptions extends WinRSSessionOptions, TerminalConsoleOptions {}

/**
 * A cmd-style console over a WinRS shell: one long-running interpreter (`cmd.exe`) whose stdin takes each
 * submitted line (CR LF ended, as cmd reads them), whose stdout is shown as host text and stderr in red.
 * The interpreter prints its own prompt, so the prompt is the unfinished last line of its output: when output
 * stops without a line end, that text becomes a `prompt` event and the terminal edits the next line after it.
 * Ctrl+C sends the ctrl_c signal; `exit` ends the interpreter and with it the session.
 *
 * Flow control counts characters of output (WinRS's own unit): every output character reaches the terminal
 * exactly once in a text event, whose acknowledgement the session forwards, except the prompt's, which the
 * terminal keeps with the line typed after it; they are acknowledged when that line is submitted.
 */
export class WinRSConsole implements TerminalConsole {
  readonly #session: WinRSSession;
  readonly #options: WinRSConsoleOptions;
  readonly #shell: RemoteCommand;
  /** The unfinished last line of output: the prompt once output settles (`shown`), not yet output. */
  #unfinished: { readonly stream: OutputStreamName; readonly text: string; shown: boolean } | undefined;
  /** A prompt has been shown since the last submitted line. */
  #prompted = false;
  /** With flow control: output characters received and not yet written by the terminal (the prompt's included). */
  #unwritten = 0;
  #settling: ReturnType<typeof setTimeout> | undefined;
  #settled = false;
  #closing = false;

  private constructor(session: WinRSSession, options: WinRSConsoleOptions) {
    this.#session = session;
    this.#options = options;
    this.#shell = session.run(CMD_COMMAND, [], {
      consoleModeStdin: true,
      onOutput: (stream, text) => this.#output(stream, text),
      ...(options.flowControl === undefined ? {} : { flowControl: options.flowControl }),
    });
    void this.#shell.exitCode.then(
      () => {
        this.#flush();
        if (!this.#closing) this.#options.onExit();
      },
      (error: unknown) => {
        this.#flush();
        if (!this.#closing) this.#options.onLost(error as Error);
      },
    );
  }

  /** Creates the shell and starts the interpreter; its banner and first prompt arrive as events. */
  static async open(options: WinRSConsoleOptions): Promise<WinRSConsole> {
    return new WinRSConsole(await WinRSSession.open(options), options);
  }

  get running(): boolean {
    return !this.#prompted;
  }

  submit(line: string): void {
    if (!this.#prompted) throw new UsageError('the shell has not asked for a line yet');
    this.#prompted = false;
    const pending = this.#unfinished;
    this.#unfinished = undefined;
    // The prompt on screen stays with the line typed after it (its characters count as written); an unfinished
    // line never shown as the prompt (output after an empty one) is output, written as such.
    if (pending?.shown === true) this.#written(pending.text.length);
    else if (pending !== undefined) this.#write(pending.stream, pending.text);
    this.#settled = false;
    this.#shell.sendInput(new TextEncoder().encode(line + CMD_LINE_END));
  }

  answerReadLine(): void {
    throw new UsageError('a cmd shell reads every line at its prompt');
  }

  interrupt(): void {
    if (this.#shell.running) this.#shell.signal('ctrl_c');
  }

  /** cmd completes file names in its own console only; nothing comes over WinRS. */
  complete(): Promise<TabCompletion | undefined> {
    return Promise.resolve(undefined);
  }

  acknowledge(characters: number): void {
    this.#written(characters);
    if (this.#settled) this.#promptIfCaughtUp();
  }

  /** WS-Management has no operation that resizes a WinRS shell's console: the server keeps its own size. */
  resize(): void {}

  close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#settling);
    return this.#session.close();
  }

  #output(stream: OutputStreamName, text: string): void {
    clearTimeout(this.#settling);
    this.#settled = false;
    if (this.#options.flowControl !== undefined) this.#unwritten += text.length;
    const previous = this.#unfinished;
    this.#unfinished = undefined;
    // The other pipe's unfinished line stays pending (it may be the prompt, printed after this output) unless
    // this output ends unfinished too: only one can be the prompt, the older one is output.
    let held = previous !== undefined && previous.stream !== stream ? previous : undefined;
    const all = (held === undefined ? (previous?.text ?? '') : '') + text;
    const lastLineStart = all.lastIndexOf('\n') + 1;
    const last = all.slice(lastLineStart);
    const unfinished = last !== '' && last.length <= MAX_PROMPT_LENGTH && !last.includes('\r');
    if (held !== undefined && unfinished) {
      this.#write(held.stream, held.text);
      held = undefined;
    }
    const finished = unfinished ? all.slice(0, lastLineStart) : all;
    if (finished !== '') this.#write(stream, finished);
    this.#unfinished = held ?? (unfinished ? { stream, text: last, shown: false } : undefined);
    if (previous?.shown === true && this.#unfinished !== previous) {
      // The prompt on screen was output that went on: the terminal edits after an empty one until the next.
      this.#showPrompt('');
    }
    if (this.#unfinished !== undefined && !this.#unfinished.shown) {
      this.#settling = setTimeout(() => {
        this.#settled = true;
        this.#promptIfCaughtUp();
      }, PROMPT_SETTLE_MS);
    }
  }

  /**
   * Output has settled on an unfinished line: it is the prompt, shown once the terminal has written everything
   * before it (with flow control; output paused mid-line is not a prompt).
   */
  #promptIfCaughtUp(): void {
    const unfinished = this.#unfinished;
    if (unfinished === undefined || unfinished.shown || this.#closing) return;
    if (this.#options.flowControl !== undefined && this.#unwritten > unfinished.text.length) return;
    unfinished.shown = true;
    this.#showPrompt(unfinished.text);
  }

  #showPrompt(prompt: string): void {
    this.#prompted = true;
    this.#emit({ type: 'prompt', prompt });
  }

  /** An unfinished line left when the interpreter ends is output after all. */
  #flush(): void {
    clearTimeout(this.#settling);
    const unfinished = this.#unfinished;
    this.#unfinished = undefined;
    if (unfinished !== undefined && !this.#closing) this.#write(unfinished.stream, unfinished.text);
  }

  #write(stream: OutputStreamName, text: string): void {
    this.#emit({ type: 'host-write', text, noNewline: true, ...(stream === 'stderr' ? { foreground: 'Red' } : {}) });
  }

  #written(characters: number): void {
    if (this.#options.flowControl === undefined) return;
    this.#unwritten -= characters;
    if (this.#shell.running) this.#shell.acknowledge(characters);
  }

  #emit(event: TerminalEventDto): void {
    this.#options.onEvent(event);
  }
}
