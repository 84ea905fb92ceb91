import { UsageError } from '../../core/errors';
import {
  WinRSShell,
  type CommandOperation,
  type RunOptions,
  type WinRSCommand,
  type WinRSEvent,
  type WinRSShellOptions,
  type WinRSSignal,
} from '../../core/winrs';
import type { WSManFault } from '../../core/wsman';
import { OutputBacklog, type FlowControlOptions } from './flow-control';
import { RequestPump } from './request-pump';
import { connectSession, type SessionConnectionOptions } from './session-options';
import type { TransportLanes } from './transport-lanes';

export interface WinRSSessionOptions extends SessionConnectionOptions {
  /** Environment, working directory, code page (UTF-8 by default), profile, idle timeout of the shell. */
  readonly shell?: Omit<WinRSShellOptions, 'context' | 'newMessageId'>;
}

export type OutputStreamName = 'stdout' | 'stderr';

export interface CommandOptions extends RunOptions {
  /** Each piece of decoded output, in the order the server produced it. */
  readonly onOutput: (stream: OutputStreamName, text: string) => void;
  /** Without it output is received as fast as it comes; with it the consumer must `acknowledge` what it wrote. */
  readonly flowControl?: FlowControlOptions;
}

const REFUSALS: Readonly<Record<'Create' | CommandOperation, string>> = {
  Create: 'the server refused to create the shell',
  Command: 'the server refused to start the command',
  Send: "the server refused the command's input",
  Receive: "the server failed to return the command's output",
  Signal: 'the server refused a signal to the command',
};

/** The server refused an operation of the shell or of a command: the operation and the server's fault. */
export class WinRSOperationError extends Error {
  override readonly name = 'WinRSOperationError';

  constructor(
    readonly operation: 'Create' | CommandOperation,
    readonly fault: WSManFault,
  ) {
    super(`${REFUSALS[operation]}: ${fault.message}`, { cause: fault });
  }
}

/**
 * A WinRS (cmd) shell driven over the network (DESIGN.md §3): one WinRSShell machine, its requests pumped
 * over the session's connections, its events turned into per-command callbacks and promises. Everything it
 * holds is released by `close()`: the shell is deleted on the server, every connection closed.
 */
export class WinRSSession {
  readonly #shell: WinRSShell;
  readonly #lanes: TransportLanes;
  readonly #pump: RequestPump;
  readonly #commands = new Map<WinRSCommand, RemoteCommand>();
  readonly #opened: Promise<void>;
  #settleOpen: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #shellClosed: (() => void) | undefined;
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: WinRSSessionOptions) {
    const { lanes, context, newId } = connectSession(options, 2);
    this.#lanes = lanes;
    this.#shell = new WinRSShell({ ...options.shell, context, newMessageId: newId });
    this.#pump = new RequestPump(lanes, this.#shell, {
      progressed: () => this.#dispatchEvents(),
      failed: (error) => this.#fail(error),
    });
    this.#opened = new Promise((resolve, reject) => (this.#settleOpen = { resolve, reject }));
  }

  /** Creates the shell; on failure nothing stays open. */
  static async open(options: WinRSSessionOptions): Promise<WinRSSession> {
    const session = new WinRSSession(options);
    session.#shell.open();
    session.#pump.pump();
    await session.#opened;
    return session;
  }

  get shellId(): string {
    return this.#shell.shellId as string;
  }

  /** Connections (transports) opened so far. */
  get connections(): number {
    return this.#lanes.opened;
  }

  /** Starts `command` with `args`; its exit code (or failure) arrives in `exitCode`. */
  run(command: string, args: readonly string[], options: CommandOptions): RemoteCommand {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closing !== undefined) throw new UsageError('the session is closing');
    const machine = this.#shell.run(command, args, options);
    const remote = new RemoteCommand(machine, options, () => this.#pump.pump());
    this.#commands.set(machine, remote);
    this.#pump.pump();
    return remote;
  }

  /** Deletes the shell (ending its processes) and closes every connection. Never rejects. */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    if (this.#failure === undefined && this.#shell.state === 'open') {
      const closed = new Promise<void>((resolve) => (this.#shellClosed = resolve));
      this.#shell.close();
      this.#pump.pump();
      await closed;
    }
    this.#release(new UsageError('the session was closed'));
  }

  #dispatchEvents(): void {
    for (let event = this.#shell.nextEvent(); event !== undefined; event = this.#shell.nextEvent()) {
      this.#dispatch(event);
    }
  }

  #dispatch(event: WinRSEvent): void {
    switch (event.type) {
      case 'shellCreated':
        this.#settleOpen?.resolve();
        return;
      case 'shellFailed':
        this.#fail(new WinRSOperationError('Create', event.fault));
        return;
      case 'shellClosed':
        this.#shellClosed?.();
        return;
      case 'stdout':
      case 'stderr':
        this.#commands.get(event.command)?.output(event.type, event.text);
        return;
      case 'exit':
        this.#commands.get(event.command)?.exited(event.exitCode);
        // The server keeps a finished command until it is released.
        event.command.terminate();
        return;
      case 'commandFault':
        // A refused signal leaves the command running (the machine goes on polling it); anything else ends it.
        if (event.operation === 'Signal') return;
        this.#commands.get(event.command)?.failed(new WinRSOperationError(event.operation, event.fault));
        // A command that failed after it started still holds server resources until released.
        if (event.command.state === 'failed') event.command.terminate();
        return;
      case 'commandClosed':
        this.#commands.delete(event.command);
        return;
      case 'commandStarted':
      case 'signalAccepted':
        return;
    }
  }

  /** A transport or protocol failure ends the session: every waiter learns it, every connection closes. */
  #fail(error: Error): void {
    this.#failure ??= error;
    this.#release(error);
  }

  #release(error: Error): void {
    this.#pump.stop();
    this.#lanes.close();
    this.#settleOpen?.reject(error);
    this.#shellClosed?.();
    for (const command of this.#commands.values()) command.failed(error);
    this.#commands.clear();
  }
}

/** One process of a WinRS session, as its caller sees it. */
export class RemoteCommand {
  /** The remote exit code; rejects with WinRSOperationError, or the session's failure. */
  readonly exitCode: Promise<number>;
  readonly #machine: WinRSCommand;
  readonly #onOutput: CommandOptions['onOutput'];
  readonly #backlog: OutputBacklog | undefined;
  readonly #pump: () => void;
  #settle: { resolve: (code: number) => void; reject: (error: Error) => void } | undefined;

  constructor(machine: WinRSCommand, options: CommandOptions, pump: () => void) {
    this.#machine = machine;
    this.#onOutput = options.onOutput;
    this.#backlog = options.flowControl && new OutputBacklog(options.flowControl);
    this.#pump = pump;
    this.exitCode = new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    // A caller that never awaits the exit code must not crash the process with an unhandled rejection.
    this.exitCode.catch(() => undefined);
  }

  /** Whether the process runs (it can take input and signals). */
  get running(): boolean {
    return this.#machine.state === 'running';
  }

  /** Queues bytes for the process's stdin; `end` closes it after them. */
  sendInput(data: Uint8Array, end = false): void {
    this.#machine.sendInput(data, end);
    this.#pump();
  }

  /** Ctrl+C or Ctrl+Break, sent beside a pending Receive. */
  signal(signal: WinRSSignal): void {
    this.#machine.signal(signal);
    this.#pump();
  }

  /** With flow control: `amount` of delivered output has been written by the consumer. */
  acknowledge(amount: number): void {
    if (this.#backlog === undefined) throw new UsageError('this command was started without flow control');
    if (this.#backlog.acknowledged(amount)) {
      this.#machine.resumeOutput();
      this.#pump();
    }
  }

  /** @internal The session's event dispatch. */
  output(stream: OutputStreamName, text: string): void {
    if (this.#backlog?.delivered(text.length) === true) this.#machine.pauseOutput();
    this.#onOutput(stream, text);
  }

  /** @internal */
  exited(code: number): void {
    this.#settle?.resolve(code);
    this.#settle = undefined;
  }

  /** @internal */
  failed(error: Error): void {
    this.#settle?.reject(error);
    this.#settle = undefined;
  }
}
