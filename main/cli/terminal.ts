import type { Writable } from 'node:stream';
import type { ReadStream } from 'node:tty';

/** The user interrupted (Ctrl+C at a prompt, or twice while a command runs). */
export class InterruptedError extends Error {
  override readonly name: string = 'InterruptedError';
}

/** The reader of our output went away (a closed pipe): the run ends quietly. */
export class OutputClosedError extends InterruptedError {
  override readonly name = 'OutputClosedError';
}

/** The process's terminal as the subcommands use it; tests substitute their own. */
export interface Terminal {
  readonly stdin: NodeJS.ReadableStream;
  /** Whether stdin is a terminal (line editing, hidden secrets) rather than a pipe or file. */
  readonly stdinIsTerminal: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Whether stdout is a terminal (progress lines, colours) rather than a pipe or file. */
  readonly stdoutIsTerminal: boolean;
  /**
   * Calls `handler` on each Ctrl+C (SIGINT), and with `final` when the reader of our output went away (a closed
   * pipe, as with `| head`), until the returned function is called.
   */
  onInterrupt(handler: (final: boolean) => void): () => void;
}

export function processTerminal(): Terminal {
  const handlers = new Set<(final: boolean) => void>();
  process.on('SIGINT', () => {
    for (const handler of handlers) handler(false);
  });
  for (const stream of [process.stdout, process.stderr]) {
    // Writing to a closed pipe is how a reader says it has read enough: end quietly, not with a crash.
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      for (const handler of handlers) handler(true);
    });
  }
  return {
    stdin: process.stdin,
    stdinIsTerminal: process.stdin.isTTY === true,
    stdout: process.stdout,
    stderr: process.stderr,
    stdoutIsTerminal: process.stdout.isTTY === true,
    onInterrupt: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
}

/** All of stdin as UTF-8 text. */
export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads one line from the terminal without echoing it (a password). Backspace edits; Ctrl+C or Ctrl+D on an
 * empty line abandons. Undefined when stdin is not a terminal.
 */
export function hiddenPrompt(): ((prompt: string) => Promise<string>) | undefined {
  const input = process.stdin as ReadStream;
  if (input.isTTY !== true) return undefined;
  return (prompt) =>
    new Promise((resolve, reject) => {
      process.stderr.write(prompt);
      let line = '';
      const finish = (error?: Error) => {
        input.off('data', onData);
        input.setRawMode(false);
        input.pause();
        process.stderr.write('\n');
        if (error === undefined) resolve(line);
        else reject(error);
      };
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') return finish();
          if (char === '\u0003' || (char === '\u0004' && line === '')) {
            return finish(new InterruptedError('the password prompt was abandoned'));
          }
          if (char === '\u007f' || char === '\b') line = [...line].slice(0, -1).join('');
          else if (char >= ' ') line += char;
        }
      };
      input.setRawMode(true);
      input.resume();
      input.on('data', onData);
    });
}
