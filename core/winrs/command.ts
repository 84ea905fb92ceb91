import { ProtocolError, UsageError } from '../errors';
import { StateMachine, type TransitionTable } from '../state-machine';
import {
  OptionName,
  SignalCode,
  buildCommand,
  buildReceive,
  buildSend,
  buildSignal,
  isOperationTimeout,
  outcomeOf,
  sendPayloadCapacity,
  type AnyWSManRequest,
  type ReceiveResult,
  type ResourceTarget,
  type WSManContext,
  type WSManFault,
  type WSManOption,
} from '../wsman';
import type { CommandOperation, WinRSEvent, WinRSSignal } from './events';
import { StreamTextDecoder } from './output-decoder';

/**
 * One process in a WinRS shell. `starting` until CommandResponse names it; `running` while we poll
 * its output; `done` once CommandState Done gave the exit code (it still holds server resources until
 * a signal releases it); `rejected` when Command was refused, `failed` when a later operation was;
 * `terminating` → `closed` through the terminate signal; `closed` too when its shell goes away.
 */
export type CommandStatus = 'starting' | 'running' | 'done' | 'rejected' | 'failed' | 'terminating' | 'closed';

type CommandAction =
  'accept' | 'reject' | 'sendInput' | 'signal' | 'exit' | 'fail' | 'terminate' | 'terminated' | 'abandon';

const commandTable: TransitionTable<CommandStatus, CommandAction> = {
  accept: { from: ['starting'], to: 'running' },
  reject: { from: ['starting'], to: 'rejected' },
  // Input given before the CommandId is known waits for it.
  sendInput: { from: ['starting', 'running'], to: undefined },
  signal: { from: ['running', 'done', 'failed'], to: undefined },
  exit: { from: ['running'], to: 'done' },
  fail: { from: ['running'], to: 'failed' },
  terminate: { from: ['running', 'done', 'failed'], to: 'terminating' },
  terminated: { from: ['terminating'], to: 'closed' },
  abandon: { from: ['starting', 'running', 'done', 'rejected', 'failed', 'terminating'], to: 'closed' },
};

export interface CommandLine {
  readonly command: string;
  readonly arguments: readonly string[];
  /** WINRS_SKIP_CMD_SHELL: run the executable directly instead of through `cmd.exe /c`. */
  readonly skipCmdShell: boolean;
  /** WINRS_CONSOLEMODE_STDIN; left to the server when absent. */
  readonly consoleModeStdin?: boolean;
}

/** What a command needs from the shell that owns it. */
export interface CommandHost {
  readonly context: WSManContext;
  readonly outputEncoding: string;
  /** The shell's address; only asked for once the shell exists. */
  target(): ResourceTarget;
  newMessageId(): string;
  emit(event: WinRSEvent): void;
}

type OutputStream = 'stdout' | 'stderr';
const OUTPUT_STREAMS: readonly OutputStream[] = ['stdout', 'stderr'];
const signalCodes: Readonly<Record<WinRSSignal | 'terminate', string>> = {
  ctrl_c: SignalCode.ctrlC,
  ctrl_break: SignalCode.ctrlBreak,
  terminate: SignalCode.terminate,
};

interface InputChunk {
  readonly data: Uint8Array;
  readonly end: boolean;
}

/**
 * A command's own requests come out of its shell's `dataToSend`, in this order of precedence:
 * Command first; then queued signals, one at a time; then stdin, one Send at a time so chunks arrive
 * in order; then a Receive whenever none is outstanding, output is not paused and the command runs.
 * A Receive, a Send and a Signal may be outstanding together: the driver may run them concurrently.
 */
export class WinRSCommand {
  readonly #machine = new StateMachine('WinRS command', commandTable, 'starting');
  #commandId: string | undefined;
  #commandIssued = false;
  readonly #input: InputChunk[] = [];
  #inputEnded = false;
  #sendInFlight = false;
  readonly #signals: (WinRSSignal | 'terminate')[] = [];
  #signalInFlight: WinRSSignal | 'terminate' | undefined;
  #receiveInFlight = false;
  #outputPaused = false;
  readonly #decoders: Record<OutputStream, StreamTextDecoder>;
  readonly #streamEnded: Record<OutputStream, boolean> = { stdout: false, stderr: false };

  constructor(
    private readonly host: CommandHost,
    readonly commandLine: CommandLine,
  ) {
    this.#decoders = {
      stdout: new StreamTextDecoder(host.outputEncoding),
      stderr: new StreamTextDecoder(host.outputEncoding),
    };
  }

  get state(): CommandStatus {
    return this.#machine.state;
  }

  /** The server's id for the command, once CommandResponse named it. */
  get commandId(): string | undefined {
    return this.#commandId;
  }

  /** Queues bytes for stdin; `end` closes stdin after them. Each call's bytes go in their own Send(s). */
  sendInput(data: Uint8Array, end = false): void {
    this.#machine.transition('sendInput');
    if (this.#inputEnded) throw new UsageError('stdin of this command is already closed');
    if (data.length === 0 && !end) return;
    this.#input.push({ data, end });
    this.#inputEnded = end;
  }

  signal(signal: WinRSSignal): void {
    this.#machine.transition('signal');
    this.#signals.push(signal);
  }

  /** Ends the process if it still runs and releases the command on the server. */
  terminate(): void {
    this.#machine.transition('terminate');
    this.#input.length = 0;
    this.#signals.push('terminate');
  }

  /** Stops issuing Receive requests (flow control); output the server holds waits there. */
  pauseOutput(): void {
    this.#outputPaused = true;
  }

  resumeOutput(): void {
    this.#outputPaused = false;
  }

  /** The shell went away (closed or never created): nothing more will be sent or reported. */
  abandon(): void {
    if (this.#machine.can('abandon')) this.#machine.transition('abandon');
  }

  /** The next request this command can issue now, marked outstanding; for the owning shell. */
  nextRequest(): AnyWSManRequest | undefined {
    if (this.state === 'closed') return undefined;
    if (!this.#commandIssued) {
      this.#commandIssued = true;
      return buildCommand(this.host.context, this.host.newMessageId(), {
        ...this.host.target(),
        command: this.commandLine.command,
        arguments: this.commandLine.arguments,
        options: this.#commandOptions(),
      });
    }
    const commandId = this.#commandId;
    if (commandId === undefined) return undefined;
    const signal = this.#signals[0];
    if (signal !== undefined && this.#signalInFlight === undefined) {
      this.#signals.shift();
      this.#signalInFlight = signal;
      return buildSignal(this.host.context, this.host.newMessageId(), {
        ...this.host.target(),
        commandId,
        code: signalCodes[signal],
      });
    }
    if (this.state !== 'running') return undefined;
    if (this.#input.length > 0 && !this.#sendInFlight) return this.#nextSend(commandId);
    if (!this.#receiveInFlight && !this.#outputPaused) {
      this.#receiveInFlight = true;
      return buildReceive(this.host.context, this.host.newMessageId(), {
        ...this.host.target(),
        desiredStreams: OUTPUT_STREAMS,
        commandId,
      });
    }
    return undefined;
  }

  /** Handles the response to one of this command's requests; for the owning shell. */
  receive(request: AnyWSManRequest, response: Uint8Array | string): void {
    switch (request.operation) {
      case 'Command': {
        const outcome = outcomeOf(request, response);
        if (this.state === 'closed') return;
        if (outcome.ok) {
          this.#machine.transition('accept');
          this.#commandId = outcome.result.commandId;
          this.host.emit({ type: 'commandStarted', command: this, commandId: outcome.result.commandId });
        } else {
          this.#machine.transition('reject');
          this.#emitFault('Command', outcome.fault);
        }
        return;
      }
      case 'Send': {
        this.#sendInFlight = false;
        const outcome = outcomeOf(request, response);
        if (!outcome.ok && this.state === 'running') this.#failWith('Send', outcome.fault);
        return;
      }
      case 'Receive': {
        this.#receiveInFlight = false;
        const outcome = outcomeOf(request, response);
        // Output arriving after terminate (or after the shell went) is not wanted any more.
        if (this.state !== 'running') return;
        if (outcome.ok) this.#onOutput(outcome.result);
        else if (!isOperationTimeout(outcome.fault)) this.#failWith('Receive', outcome.fault);
        return;
      }
      case 'Signal': {
        const signal = this.#signalInFlight;
        this.#signalInFlight = undefined;
        const outcome = outcomeOf(request, response);
        if (this.state === 'closed' || signal === undefined) return;
        if (!outcome.ok) this.#emitFault('Signal', outcome.fault);
        if (signal === 'terminate') {
          this.#machine.transition('terminated');
          this.host.emit({ type: 'commandClosed', command: this });
        } else if (outcome.ok) {
          this.host.emit({ type: 'signalAccepted', command: this, signal });
        }
        return;
      }
      default:
        throw new UsageError(`a WinRS command issues no ${request.operation} request`);
    }
  }

  #commandOptions(): WSManOption[] {
    const options: WSManOption[] = [
      { name: OptionName.skipCmdShell, value: this.commandLine.skipCmdShell ? 'True' : 'False' },
    ];
    if (this.commandLine.consoleModeStdin !== undefined) {
      options.push({ name: OptionName.consoleModeStdin, value: this.commandLine.consoleModeStdin ? 'TRUE' : 'FALSE' });
    }
    return options;
  }

  /** One Send of the head of the input queue, split to fit the envelope; End only on the last piece. */
  #nextSend(commandId: string): AnyWSManRequest {
    const target = this.host.target();
    const shape = { ...target, stream: 'stdin', commandId, end: true };
    const capacity = sendPayloadCapacity(this.host.context, shape);
    const head = this.#input[0] as InputChunk;
    let data = head.data;
    let end = head.end;
    if (data.length > capacity) {
      this.#input[0] = { data: data.subarray(capacity), end };
      data = data.subarray(0, capacity);
      end = false;
    } else {
      this.#input.shift();
    }
    this.#sendInFlight = true;
    return buildSend(this.host.context, this.host.newMessageId(), { ...shape, data, end });
  }

  /** Checks the whole response first, so a violation leaves no half-reported output behind. */
  #onOutput(result: ReceiveResult): void {
    const commandId = this.#commandId as string;
    const ended = { ...this.#streamEnded };
    for (const stream of result.streams) {
      if (stream.name !== 'stdout' && stream.name !== 'stderr') {
        throw new ProtocolError(`Receive returned stream ${stream.name}, which was not asked for`);
      }
      if (stream.commandId !== undefined && !sameId(stream.commandId, commandId)) {
        throw new ProtocolError(`Receive for command ${commandId} returned output of ${stream.commandId}`);
      }
      if (ended[stream.name] && (stream.data.length > 0 || !stream.end)) {
        throw new ProtocolError(`Receive returned ${stream.name} output after the stream ended`);
      }
      ended[stream.name] ||= stream.end;
    }
    const state = result.commandState;
    if (state?.commandId !== undefined && !sameId(state.commandId, commandId)) {
      throw new ProtocolError(`Receive for command ${commandId} returned the state of ${state.commandId}`);
    }
    if (state?.state === 'Done' && state.exitCode === undefined) {
      throw new ProtocolError('CommandState Done without an ExitCode');
    }

    let pending: { name: OutputStream; text: string } | undefined;
    const flushPending = () => {
      if (pending !== undefined && pending.text !== '') {
        this.host.emit({ type: pending.name, command: this, text: pending.text });
      }
      pending = undefined;
    };
    const append = (name: OutputStream, text: string) => {
      if (pending?.name !== name) flushPending();
      pending = { name, text: (pending?.text ?? '') + text };
    };
    for (const stream of result.streams) {
      const name = stream.name as OutputStream;
      if (this.#streamEnded[name]) continue;
      append(name, this.#decoders[name].decode(stream.data));
      if (stream.end) {
        append(name, this.#decoders[name].end());
        this.#streamEnded[name] = true;
      }
    }
    if (state?.state === 'Done') {
      for (const name of OUTPUT_STREAMS) {
        if (!this.#streamEnded[name]) append(name, this.#decoders[name].end());
        this.#streamEnded[name] = true;
      }
    }
    flushPending();
    if (state?.state === 'Done') {
      this.#machine.transition('exit');
      this.host.emit({ type: 'exit', command: this, exitCode: state.exitCode as number });
    }
  }

  #failWith(operation: CommandOperation, fault: WSManFault): void {
    this.#machine.transition('fail');
    this.#emitFault(operation, fault);
  }

  #emitFault(operation: CommandOperation, fault: WSManFault): void {
    this.host.emit({ type: 'commandFault', command: this, operation, fault });
  }
}

function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
