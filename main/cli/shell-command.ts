import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import { hostWithUI, scriptPipeline } from '../../core/psrp/session';
import { remotePrompt, tabExpansion, withOutDefault } from '../session/interactive-commands';
import { PowerShellSession } from '../session/powershell-session';
import type { SessionConnectionOptions } from '../session/session-options';
import { errorText, STREAM_PREFIXES } from './powershell-format';
import { pipelineForScript } from '../session/script-pipeline';
import { TerminalHost, type LineReader } from './terminal-host';
import type { Terminal } from './terminal';

/**
 * `winrm-desk shell`: an interactive PowerShell prompt on the host, as Enter-PSSession gives: each line runs
 * in the session's runspace with `Out-Default` after it, so the server formats output with its own format
 * data and sends it through our host UI; the prompt is the server's `prompt` function. Line editing and
 * history come from readline; Ctrl+C stops the running pipeline and keeps the session; Tab completes
 * through the server's TabExpansion2; Read-Host and Get-Credential ask on the terminal. `exit` or end of
 * input ends it, with status 0 (errors are the server's to format and show, as in Enter-PSSession).
 */
export async function runShell(
  connection: SessionConnectionOptions,
  options: { readonly configuration: string | undefined; readonly hostLabel: string },
  terminal: Terminal,
): Promise<number> {
  const session = await PowerShellSession.open({
    ...connection,
    configurationName: options.configuration,
    host: hostWithUI(),
  });
  if (!terminal.stdoutIsTerminal) {
    // PowerShell 7 styles formatted output with escape sequences unless told the host shows plain text.
    // A restricted endpoint refuses the script, and keeps its default.
    await session.invoke(scriptPipeline("if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }")).finished;
  }
  const output = new MutableOutput(terminal.stdout);
  const interactive = terminal.stdinIsTerminal;
  const lines = createInterface({
    input: terminal.stdin,
    output,
    terminal: interactive,
    historySize: 1000,
    completer: interactive
      ? (line: string, done) =>
          void complete(session, line).then(
            (r) => done(null, r),
            () => done(null, [[], line]),
          )
      : undefined,
  });
  const reader = new ReadlineReader(lines, output);
  const host = new TerminalHost({
    session,
    reader,
    stdout: terminal.stdout,
    stderr: terminal.stderr,
    colours: interactive && terminal.stdoutIsTerminal,
  });
  let running: { stop(): void } | undefined;
  const onInterrupt = () => running?.stop();
  lines.on('SIGINT', () => {
    if (running !== undefined) running.stop();
    else lines.write('', { ctrl: true, name: 'u' }); // clear the line, as a shell does
  });
  const stopInterrupts = terminal.onInterrupt(onInterrupt);
  try {
    for (;;) {
      const prompt = await remotePrompt(session, options.hostLabel);
      const line = await reader.line(interactive ? prompt : '');
      if (line === undefined || line.trim() === 'exit') break;
      if (line.trim() === '') continue;
      const spec = pipelineForScript(line);
      const pipeline = session.invoke(withOutDefault(spec), {
        onHostCall: (call) => host.handle(call),
        onError: (record) => host.write('stderr', `${errorText(record)}\n`),
        onInformational: (stream, record) => host.write('stderr', `${STREAM_PREFIXES[stream]}${record.message}\n`),
        // Write-Host reaches the host UI as a call; other information is shown like Write-Information's.
        onInformation: (record) => record.tags.includes('PSHOST') || host.write('stdout', `${record.text}\n`),
        onProgress: (record) => host.progress(record),
      });
      running = pipeline;
      const result = await pipeline.finished;
      running = undefined;
      if (result.state === 'Failed' && result.error !== undefined) host.write('stderr', `${result.error.message}\n`);
      if (host.exitRequested) break;
    }
    return 0;
  } finally {
    stopInterrupts();
    lines.close();
    await session.close();
  }
}

/** Completions for the whole line, with the cursor at its end, as readline wants them. */
async function complete(session: PowerShellSession, line: string): Promise<[string[], string]> {
  const completion = await tabExpansion(session, line, line.length);
  const prefix = line.slice(0, completion?.replacementIndex ?? line.length);
  return [(completion?.matches ?? []).map((match) => prefix + match.completionText), line];
}

/** stdout that readline writes to, muted while a secret is typed (readline would echo it). */
class MutableOutput extends Writable {
  muted = false;

  constructor(private readonly target: NodeJS.WritableStream) {
    super();
  }

  get columns(): number | undefined {
    return (this.target as { columns?: number }).columns;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.muted) done();
    else this.target.write(chunk, () => done());
  }
}

/** Lines from readline: the prompt line, Read-Host answers, and secrets typed without echo. */
class ReadlineReader implements LineReader {
  readonly #lines: Interface;
  readonly #output: MutableOutput;
  readonly #queued: string[] = [];
  readonly #waiting: ((line: string | undefined) => void)[] = [];
  #closed = false;

  constructor(lines: Interface, output: MutableOutput) {
    this.#lines = lines;
    this.#output = output;
    lines.on('line', (line) => {
      const waiter = this.#waiting.shift();
      if (waiter !== undefined) waiter(line);
      else this.#queued.push(line);
    });
    lines.on('close', () => {
      this.#closed = true;
      for (const waiter of this.#waiting.splice(0)) waiter(undefined);
    });
  }

  /** The next line, after showing `prompt`; undefined at the end of input. */
  line(prompt: string): Promise<string | undefined> {
    const queued = this.#queued.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#closed) return Promise.resolve(undefined);
    this.#lines.setPrompt(prompt);
    this.#lines.prompt();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async question(prompt: string): Promise<string> {
    const answer = await this.line(prompt);
    if (answer === undefined) throw new Error('the input ended');
    return answer;
  }

  async secret(prompt: string): Promise<string> {
    this.#output.write(prompt);
    this.#output.muted = true;
    try {
      return await this.question('');
    } finally {
      this.#output.muted = false;
      this.#output.write('\n');
      // readline keeps entered lines in its history; a secret must not be one of them.
      const history = (this.#lines as unknown as { history?: string[] }).history;
      history?.shift();
    }
  }
}
