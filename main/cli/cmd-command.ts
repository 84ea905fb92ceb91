import type { SessionConnectionOptions } from '../session/session-options';
import { WinRSSession, type RemoteCommand } from '../session/winrs-session';
import { InterruptedError, OutputClosedError, type Terminal } from './terminal';

/** Unacknowledged output (characters) above which Receive pauses until the terminal has written it. */
const OUTPUT_HIGH_WATERMARK = 1 << 20;

/**
 * `winrm-desk cmd`: runs one command line in a WinRS shell, streams its stdout and stderr to ours as they
 * arrive (paced by how fast we can write them), and returns its exit code. The first Ctrl+C is sent to the
 * remote process; a second one ends the session (the shell is deleted, which ends the process).
 */
export async function runCmd(
  connection: SessionConnectionOptions,
  commandLine: string,
  terminal: Terminal,
): Promise<number> {
  const session = await WinRSSession.open(connection);
  let stopInterrupts = () => {};
  try {
    const command: RemoteCommand = session.run(commandLine, [], {
      onOutput: (stream, text) => {
        const target = stream === 'stdout' ? terminal.stdout : terminal.stderr;
        target.write(text, () => command.acknowledge(text.length));
      },
      flowControl: { highWatermark: OUTPUT_HIGH_WATERMARK },
    });
    const interrupted = new Promise<never>((_, reject) => {
      let count = 0;
      stopInterrupts = terminal.onInterrupt((final) => {
        if (++count === 1 && !final && command.running) command.signal('ctrl_c');
        else if (final) reject(new OutputClosedError('the output was closed'));
        else reject(new InterruptedError('interrupted; the remote command was ended'));
      });
    });
    return exitStatus(await Promise.race([command.exitCode, interrupted]));
  } finally {
    stopInterrupts();
    await session.close();
  }
}

/**
 * A process exit status from a remote exit code: Windows codes can exceed 255 (0xC000013A after Ctrl+C),
 * and a failure must never wrap around to 0.
 */
export function exitStatus(remoteCode: number): number {
  if (remoteCode >= 0 && remoteCode <= 255) return remoteCode;
  return remoteCode & 0xff || 1;
}
