import type { PSValue } from '../../core/psrp/clixml';
import { NO_HOST } from '../../core/psrp/session';
import { PowerShellSession, type PipelineResult } from '../session/powershell-session';
import type { SessionConnectionOptions } from '../session/session-options';
import { errorText, jsonText, PowerShellFormatter, STREAM_PREFIXES } from './powershell-format';
import { pipelineForScript } from '../session/script-pipeline';
import { InterruptedError, OutputClosedError, type Terminal } from './terminal';

/** Objects and records delivered but not yet written above which Receive pauses. */
const PENDING_RECORDS_HIGH_WATERMARK = 10_000;

export interface ExecOptions {
  readonly configuration: string | undefined;
  readonly json: boolean;
}

/**
 * `winrm-desk exec`: runs a script in a PowerShell pipeline. Output goes to stdout (PowerShell's default
 * formatting, or JSON lines); errors, warnings, verbose, debug and information messages go to stderr with
 * PowerShell's prefixes, except Write-Host text, which PowerShell shows with the output. Exit status 0 on
 * success, 1 when the pipeline failed or wrote errors. Ctrl+C stops the pipeline; a second one ends the session.
 */
export async function runExec(
  connection: SessionConnectionOptions,
  script: string,
  options: ExecOptions,
  terminal: Terminal,
): Promise<number> {
  const session = await PowerShellSession.open({
    ...connection,
    configurationName: options.configuration,
    host: NO_HOST,
  });
  let stopInterrupts = () => {};
  try {
    const { stdout, stderr } = terminal;
    const formatter = new PowerShellFormatter((text) => stdout.write(text));
    const writeOutput = options.json
      ? (value: PSValue) => stdout.write(`${jsonText(value)}\n`)
      : (value: PSValue) => formatter.push(value);
    // Records are acknowledged once everything written before them has left our buffers (the callback of an
    // empty write runs after the earlier writes are flushed), so a slow terminal or pipe pauses the Receives.
    // One acknowledgement covers the records of one batch of events.
    let unacknowledged = 0;
    const written = () => {
      if (unacknowledged++ > 0) return;
      queueMicrotask(() => {
        const count = unacknowledged;
        unacknowledged = 0;
        let pending = 2;
        const flushed = () => --pending === 0 && pipeline.acknowledge(count);
        stdout.write('', flushed);
        stderr.write('', flushed);
      });
    };
    const pipeline = session.invoke(pipelineForScript(script), {
      onOutput: (value) => {
        writeOutput(value);
        written();
      },
      onError: (record) => {
        formatter.flush();
        stderr.write(`${errorText(record)}\n`);
        written();
      },
      onInformational: (stream, record) => {
        stderr.write(`${STREAM_PREFIXES[stream]}${record.message}\n`);
        written();
      },
      onInformation: (record) => {
        const host = record.tags.includes('PSHOST');
        if (host) formatter.flush();
        (host ? stdout : stderr).write(`${record.text}\n`);
        written();
      },
      flowControl: { highWatermark: PENDING_RECORDS_HIGH_WATERMARK },
    });
    const interrupted = new Promise<never>((_, reject) => {
      let count = 0;
      stopInterrupts = terminal.onInterrupt((final) => {
        if (++count === 1 && !final) pipeline.stop();
        else if (final) reject(new OutputClosedError('the output was closed'));
        else reject(new InterruptedError('interrupted; the pipeline was abandoned'));
      });
    });
    const result: PipelineResult = await Promise.race([pipeline.finished, interrupted]);
    formatter.flush();
    if (result.state === 'Failed' && result.error !== undefined) stderr.write(`${errorText(result.error)}\n`);
    return result.state === 'Completed' && !result.hadErrors ? 0 : 1;
  } finally {
    stopInterrupts();
    await session.close();
  }
}
