import { generateKeyPairSync } from 'node:crypto';
import { UsageError } from '../../core/errors';
import { parseGuid } from '../../core/psrp';
import type { ProgressRecordValue, PSValue } from '../../core/psrp/clixml';
import {
  RunspacePool,
  type ErrorRecordInfo,
  type HostAnswer,
  type HostCall,
  type HostCallOf,
  type HostInfo,
  type HostMethodName,
  type InformationalRecordInfo,
  type InformationRecordInfo,
  type Pipeline,
  type PipelineSpec,
  type RunspacePoolEvent,
  type RunspacePoolState,
} from '../../core/psrp/session';
import type { WSManFault, WSManOperation } from '../../core/wsman';
import { OutputBacklog, type FlowControlOptions } from './flow-control';
import { PowerShellShell, payloadEnvelopeOverhead } from './powershell-shell';
import { RequestPump } from './request-pump';
import { connectSession, openLanes, type SessionConnectionOptions } from './session-options';
import { listDisconnectedShells, type DisconnectedShell } from './shell-enumeration';
import type { TransportLanes } from './transport-lanes';

/** Most connections of a PowerShell session: the pool's long poll, one per running pipeline, requests beside. */
const MAX_CONNECTIONS = 3;

export interface PowerShellSessionOptions extends SessionConnectionOptions {
  /** The session configuration (JEA endpoint); Microsoft.PowerShell by default. */
  readonly configurationName?: string;
  /** What the server may ask of our host; without a UI, host calls such as Read-Host fail on the server. */
  readonly host?: HostInfo;
  /** Host calls of the pool itself (rare); unanswered ones are declined. */
  readonly onPoolHostCall?: (call: HostCall) => void;
  /**
   * The open session failed and is unusable: the shell ended on the server, the connection broke, the server
   * refused a pool operation. Called once, never for a failure while opening (open() rejects) or after close().
   */
  readonly onFailed?: (error: Error) => void;
  /** Runspaces the pool keeps open (default 1) and may open (default 1): pipelines beyond the maximum queue on the server. */
  readonly minRunspaces?: number;
  readonly maxRunspaces?: number;
}

export interface PowerShellConnectOptions extends PowerShellSessionOptions {
  /** The disconnected shell to attach to (see `PowerShellSession.listDisconnected`); its id is the pool's. */
  readonly shellId: string;
}

/** What one pipeline reports, each in the order the server produced it. */
export interface PipelineHandlers {
  readonly onOutput?: (value: PSValue) => void;
  readonly onError?: (record: ErrorRecordInfo) => void;
  readonly onInformational?: (stream: 'debug' | 'verbose' | 'warning', record: InformationalRecordInfo) => void;
  readonly onInformation?: (record: InformationRecordInfo) => void;
  readonly onProgress?: (record: ProgressRecordValue) => void;
  /** Answer with `answerHostCall` or `declineHostCall` (now or later); without a handler every call is declined. */
  readonly onHostCall?: (call: HostCall) => void;
  /** Counts output objects and records; with it the consumer must `acknowledge` them. */
  readonly flowControl?: FlowControlOptions;
}

export interface PipelineResult {
  readonly state: 'Completed' | 'Failed' | 'Stopped';
  /** Why it failed (the server's error record), when it did. */
  readonly error: ErrorRecordInfo | undefined;
  /** Whether it wrote to the error stream. */
  readonly hadErrors: boolean;
}

/** The server refused a WS-Man operation of the pool or of a pipeline. */
export class PowerShellOperationError extends Error {
  override readonly name = 'PowerShellOperationError';

  constructor(
    readonly operation: WSManOperation,
    readonly fault: WSManFault,
  ) {
    super(
      operation === 'Create'
        ? `the server refused to open the PowerShell session: ${fault.message}`
        : `the server refused the ${operation} request of the PowerShell session: ${fault.message}`,
      { cause: fault },
    );
  }
}

/** The pool broke or refused to open: the server's reason. */
export class RunspacePoolBrokenError extends Error {
  override readonly name = 'RunspacePoolBrokenError';

  constructor(readonly record: ErrorRecordInfo | undefined) {
    super(`the PowerShell session on the server failed: ${record?.message ?? 'no reason given'}`);
  }
}

/**
 * A PowerShell runspace pool driven over the network (DESIGN.md §3): the RunspacePool machine, carried by a
 * PowerShellShell over the session's connections (the pool's long poll while it opens, one per running
 * pipeline, requests beside them on another connection). `close()` releases everything: pipelines, the
 * shell on the server, every connection.
 *
 * Disconnected (protocol 2.2+), the session holds no connection and its pipelines keep running on the
 * server, which keeps their output; `reconnect()` resumes with new connections under the same WS-Man
 * SessionId, and another client (another process, or after a restart) attaches with `connect()`.
 */
export class PowerShellSession {
  readonly #pool: RunspacePool;
  readonly #shell: PowerShellShell;
  #lanes: TransportLanes;
  #pump: RequestPump;
  readonly #options: PowerShellSessionOptions;
  readonly #pipelines = new Map<string, RemotePipeline>();
  readonly #newId: () => string;
  /** The pool state an `open`, `connect`, `disconnect` or `reconnect` waits for. */
  #awaited: { state: RunspacePoolState; resolve: () => void; reject: (error: Error) => void } | undefined;
  #shellClosed: (() => void) | undefined;
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;
  /** open()/connect() has resolved: a failure from now on is reported to onFailed. */
  #opened = false;

  private constructor(options: PowerShellSessionOptions, existingShellId?: string) {
    this.#options = options;
    const { lanes, context, newId } = connectSession(options, MAX_CONNECTIONS);
    this.#lanes = lanes;
    this.#newId = newId;
    this.#pool = new RunspacePool({
      runspacePoolId: existingShellId ?? newId(),
      host: options.host,
      minRunspaces: options.minRunspaces,
      maxRunspaces: options.maxRunspaces,
      maxEnvelopeSize: options.maxEnvelopeSize,
      // SecureStrings (Read-Host -AsSecureString, Get-Credential) need the session key; made only if used.
      exchangeKey: () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
      envelopeOverhead: payloadEnvelopeOverhead(context, options.configurationName),
    });
    this.#shell = new PowerShellShell({
      pool: this.#pool,
      context,
      newMessageId: newId,
      configurationName: options.configurationName,
      existingShellId,
    });
    this.#pump = this.#newPump();
  }

  /** Creates the shell and opens the runspace pool; on failure nothing stays open. */
  static async open(options: PowerShellSessionOptions): Promise<PowerShellSession> {
    const session = new PowerShellSession(options);
    session.#pool.open();
    const opened = session.#reach('Opened');
    session.#pump.pump();
    await opened;
    session.#opened = true;
    return session;
  }

  /**
   * Attaches this new client to a disconnected runspace pool (Connect with SESSION_CAPABILITY and
   * CONNECT_RUNSPACEPOOL); its running pipelines are taken over with `connectPipeline`. On failure nothing
   * stays open here, and the shell stays disconnected on the server.
   */
  static async connect(options: PowerShellConnectOptions): Promise<PowerShellSession> {
    if (parseGuid(options.shellId) === undefined) {
      throw new UsageError(`shell ${options.shellId} is not a PowerShell shell: its id is not a runspace pool GUID`);
    }
    const session = new PowerShellSession(options, options.shellId);
    session.#pool.connect();
    const opened = session.#reach('Opened');
    session.#pump.pump();
    await opened;
    session.#opened = true;
    return session;
  }

  /** The user's disconnected PowerShell shells on the host, with their commands (running pipelines). */
  static listDisconnected(connection: SessionConnectionOptions): Promise<DisconnectedShell[]> {
    return listDisconnectedShells(connection);
  }

  get shellId(): string | undefined {
    return this.#shell.shellId;
  }

  get state(): RunspacePoolState {
    return this.#pool.state;
  }

  /** The server's PSPrimitiveDictionary (PSVersionTable…). */
  get applicationPrivateData(): PSValue | undefined {
    return this.#pool.applicationPrivateData;
  }

  /** Connections (transports) opened so far. */
  get connections(): number {
    return this.#lanes.opened;
  }

  /** Starts a pipeline; its end arrives in `finished`. */
  invoke(spec: PipelineSpec, handlers: PipelineHandlers = {}): RemotePipeline {
    this.#checkUsable();
    return this.#track(this.#pool.createPipeline(spec, this.#newId()), handlers, (pipeline) => pipeline.invoke());
  }

  /**
   * After `connect()`: takes over a pipeline still running on the server (a command of the shell listed by
   * `listDisconnected`); the output it produced while no client was attached arrives first.
   */
  connectPipeline(pipelineId: string, handlers: PipelineHandlers = {}): RemotePipeline {
    this.#checkUsable();
    return this.#track(this.#pool.connectPipeline(pipelineId), handlers, () => undefined);
  }

  /**
   * Detaches from the shell (Disconnect): polling stops, the output of running pipelines waits on the
   * server, every connection is closed. Resolves once the pool is Disconnected.
   */
  async disconnect(): Promise<void> {
    this.#checkUsable();
    this.#pool.disconnect();
    const disconnected = this.#reach('Disconnected');
    this.#pump.pump();
    await disconnected;
    this.#pump.stop();
    this.#lanes.close();
  }

  /**
   * Attaches again from this same client (Reconnect under the same SessionId) over new connections and
   * resumes receiving for the pool and its running pipelines. A refusal fails the session.
   */
  async reconnect(): Promise<void> {
    this.#checkUsable();
    this.#pool.reconnect();
    const reconnected = this.#reach('Opened');
    this.#lanes = openLanes(this.#options, MAX_CONNECTIONS);
    this.#pump = this.#newPump();
    this.#pump.pump();
    await reconnected;
  }

  #checkUsable(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closing !== undefined) throw new UsageError('the session is closing');
  }

  #newPump(): RequestPump {
    return new RequestPump(this.#lanes, this.#shell, {
      progressed: () => this.#dispatchEvents(),
      failed: (error) => this.#fail(error),
    });
  }

  /** Resolves when the pool reaches `state`, rejects when the session fails first. Call after the pool's action. */
  #reach(state: RunspacePoolState): Promise<void> {
    return new Promise((resolve, reject) => (this.#awaited = { state, resolve, reject }));
  }

  #track(pipeline: Pipeline, handlers: PipelineHandlers, start: (pipeline: Pipeline) => void): RemotePipeline {
    const remote = new RemotePipeline(pipeline, handlers, {
      pause: () => this.#shell.pause(pipeline.id),
      resume: () => {
        this.#shell.resume(pipeline.id);
        this.#pump.pump();
      },
      pump: () => this.#pump.pump(),
    });
    this.#pipelines.set(pipeline.id, remote);
    start(pipeline);
    this.#pump.pump();
    return remote;
  }

  answerHostCall<M extends HostMethodName>(call: HostCallOf<M>, answer: HostAnswer<M>): void {
    this.#pool.answerHostCall(call, answer);
    this.#pump.pump();
  }

  declineHostCall(call: HostCall, reason?: string): void {
    this.#pool.declineHostCall(call, reason);
    this.#pump.pump();
  }

  /** The text of a SecureString the server sent. */
  revealSecureString(value: Parameters<RunspacePool['revealSecureString']>[0]): string {
    return this.#pool.revealSecureString(value);
  }

  /**
   * Closes the pool (stopping its pipelines), deletes the shell, closes every connection. Never rejects.
   * A disconnected session only lets go locally: its shell stays on the server for a later `connect()`.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    if (this.#failure === undefined && this.#pool.state === 'Opened') {
      const closed = new Promise<void>((resolve) => (this.#shellClosed = resolve));
      this.#pool.close();
      this.#pump.pump();
      await closed;
    }
    this.#release(new UsageError('the session was closed'));
  }

  #dispatchEvents(): void {
    for (let event = this.#shell.nextEvent(); event !== undefined; event = this.#shell.nextEvent()) {
      if (event.type === 'shellClosed') this.#shellClosed?.();
      else if (event.pipelineId === undefined) this.#fail(new PowerShellOperationError(event.operation, event.fault));
      else this.#pipelines.get(event.pipelineId)?.failed(new PowerShellOperationError(event.operation, event.fault));
    }
    for (let event = this.#pool.nextEvent(); event !== undefined; event = this.#pool.nextEvent()) {
      this.#dispatch(event);
    }
  }

  #dispatch(event: RunspacePoolEvent): void {
    switch (event.type) {
      case 'stateChanged':
        if (event.state === this.#awaited?.state) {
          this.#awaited.resolve();
          this.#awaited = undefined;
        } else if (
          event.state === 'Broken' ||
          (event.state === 'Closed' && (event.previous === 'Opening' || event.previous === 'Connecting'))
        ) {
          this.#fail(new RunspacePoolBrokenError(event.error));
        }
        return;
      case 'hostCall': {
        const pipeline = event.call.pipelineId === undefined ? undefined : this.#pipelines.get(event.call.pipelineId);
        const handler = pipeline === undefined ? this.#options.onPoolHostCall : pipeline.hostCallHandler;
        if (handler !== undefined) handler(event.call);
        else if (event.call.expectsAnswer) this.declineHostCall(event.call);
        return;
      }
      case 'pipelineStateChanged':
        this.#pipelines.get(event.pipelineId)?.stateChanged(event.state, event.error);
        if (['Completed', 'Failed', 'Stopped'].includes(event.state)) this.#pipelines.delete(event.pipelineId);
        return;
      case 'output':
      case 'errorRecord':
      case 'informationalRecord':
      case 'information':
      case 'progress':
        if (event.pipelineId !== undefined) this.#pipelines.get(event.pipelineId)?.record(event);
        return;
      case 'applicationPrivateData':
      case 'runspaceAvailability':
      case 'keyExchanged':
      case 'userEvent':
        return;
    }
  }

  #fail(error: Error): void {
    const firstAfterOpen = this.#failure === undefined && this.#closing === undefined && this.#opened;
    this.#failure ??= error;
    this.#release(error);
    // Told once everything is released: the listener may close the session, which must see it failed.
    if (firstAfterOpen) this.#options.onFailed?.(error);
  }

  #release(error: Error): void {
    this.#pump.stop();
    this.#lanes.close();
    this.#awaited?.reject(error);
    this.#awaited = undefined;
    this.#shellClosed?.();
    for (const pipeline of this.#pipelines.values()) pipeline.failed(error);
    this.#pipelines.clear();
  }
}

type StreamEvent = Extract<
  RunspacePoolEvent,
  { type: 'output' | 'errorRecord' | 'informationalRecord' | 'information' | 'progress' }
>;

interface PipelineControl {
  pause(): void;
  resume(): void;
  pump(): void;
}

/** One pipeline of a PowerShell session, as its caller sees it. */
export class RemotePipeline {
  /** How it ended; rejects when the session failed or the server refused one of its operations. */
  readonly finished: Promise<PipelineResult>;
  readonly #pipeline: Pipeline;
  readonly #handlers: PipelineHandlers;
  readonly #control: PipelineControl;
  readonly #backlog: OutputBacklog | undefined;
  /** Held by `pauseReceiving`; Receive is paused while this or the object backlog says so. */
  #heldByCaller = false;
  #receivePaused = false;
  #hadErrors = false;
  #settle: { resolve: (result: PipelineResult) => void; reject: (error: Error) => void } | undefined;

  constructor(pipeline: Pipeline, handlers: PipelineHandlers, control: PipelineControl) {
    this.#pipeline = pipeline;
    this.#handlers = handlers;
    this.#control = control;
    this.#backlog = handlers.flowControl && new OutputBacklog(handlers.flowControl);
    this.finished = new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
    this.finished.catch(() => undefined);
  }

  get id(): string {
    return this.#pipeline.id;
  }

  /** Asks the server to stop the pipeline (Ctrl+C); it ends Stopped. */
  stop(): void {
    if (this.#pipeline.state !== 'Running') return;
    this.#pipeline.stop();
    this.#control.pump();
  }

  /** With flow control: `count` delivered objects and records have been written by the consumer. */
  acknowledge(count: number): void {
    if (this.#backlog === undefined) throw new UsageError('this pipeline was started without flow control');
    if (this.#backlog.acknowledged(count)) this.#updateReceive();
  }

  /**
   * Stops issuing Receive for this pipeline until `resumeReceiving` (flow control the caller counts itself,
   * e.g. in characters of the host calls it writes); the server holds the pipeline's output, host calls
   * and end meanwhile. Called right after `invoke`, the pipeline starts paused: it is received only once
   * the server has answered its Command.
   */
  pauseReceiving(): void {
    this.#heldByCaller = true;
    this.#updateReceive();
  }

  resumeReceiving(): void {
    this.#heldByCaller = false;
    this.#updateReceive();
  }

  /** Pauses or resumes Receive as the holds say; an ended pipeline is never held (the shell forgets it). */
  #updateReceive(): void {
    const paused = this.#settle !== undefined && (this.#heldByCaller || this.#backlog?.paused === true);
    if (paused === this.#receivePaused) return;
    this.#receivePaused = paused;
    if (paused) this.#control.pause();
    else this.#control.resume();
  }

  /** @internal */
  get hostCallHandler(): ((call: HostCall) => void) | undefined {
    return this.#handlers.onHostCall;
  }

  /** @internal */
  record(event: StreamEvent): void {
    if (this.#backlog?.delivered(1) === true) this.#updateReceive();
    const handlers = this.#handlers;
    switch (event.type) {
      case 'output':
        return handlers.onOutput?.(event.value);
      case 'errorRecord':
        this.#hadErrors = true;
        return handlers.onError?.(event.record);
      case 'informationalRecord':
        return handlers.onInformational?.(event.stream, event.record);
      case 'information':
        return handlers.onInformation?.(event.record);
      case 'progress':
        return handlers.onProgress?.(event.record);
    }
  }

  /** @internal */
  stateChanged(state: string, error: ErrorRecordInfo | undefined): void {
    if (state !== 'Completed' && state !== 'Failed' && state !== 'Stopped') return;
    this.#settle?.resolve({ state, error, hadErrors: this.#hadErrors });
    this.#settle = undefined;
    this.#updateReceive();
  }

  /** @internal */
  failed(error: Error): void {
    this.#settle?.reject(error);
    this.#settle = undefined;
    this.#updateReceive();
  }
}
