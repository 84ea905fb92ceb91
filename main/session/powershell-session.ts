import { generateKeyPairSync } from 'node:crypto';
import { UsageError } from '../../core/errors';
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
} from '../../core/psrp/session';
import type { WSManFault, WSManOperation } from '../../core/wsman';
import { OutputBacklog, type FlowControlOptions } from './flow-control';
import { PowerShellShell, payloadEnvelopeOverhead } from './powershell-shell';
import { RequestPump } from './request-pump';
import { connectSession, type SessionConnectionOptions } from './session-options';
import type { TransportLanes } from './transport-lanes';

export interface PowerShellSessionOptions extends SessionConnectionOptions {
  /** The session configuration (JEA endpoint); Microsoft.PowerShell by default. */
  readonly configurationName?: string;
  /** What the server may ask of our host; without a UI, host calls such as Read-Host fail on the server. */
  readonly host?: HostInfo;
  /** Host calls of the pool itself (rare); unanswered ones are declined. */
  readonly onPoolHostCall?: (call: HostCall) => void;
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
 */
export class PowerShellSession {
  readonly #pool: RunspacePool;
  readonly #shell: PowerShellShell;
  readonly #lanes: TransportLanes;
  readonly #pump: RequestPump;
  readonly #options: PowerShellSessionOptions;
  readonly #pipelines = new Map<string, RemotePipeline>();
  readonly #newId: () => string;
  #settleOpen: { resolve: () => void; reject: (error: Error) => void } | undefined;
  readonly #opened: Promise<void>;
  #shellClosed: (() => void) | undefined;
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: PowerShellSessionOptions) {
    this.#options = options;
    const { lanes, context, newId } = connectSession(options, 3);
    this.#lanes = lanes;
    this.#newId = newId;
    this.#pool = new RunspacePool({
      runspacePoolId: newId(),
      host: options.host,
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
    });
    this.#pump = new RequestPump(lanes, this.#shell, {
      progressed: () => this.#dispatchEvents(),
      failed: (error) => this.#fail(error),
    });
    this.#opened = new Promise((resolve, reject) => (this.#settleOpen = { resolve, reject }));
  }

  /** Creates the shell and opens the runspace pool; on failure nothing stays open. */
  static async open(options: PowerShellSessionOptions): Promise<PowerShellSession> {
    const session = new PowerShellSession(options);
    session.#pool.open();
    session.#pump.pump();
    await session.#opened;
    return session;
  }

  get shellId(): string | undefined {
    return this.#shell.shellId;
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
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closing !== undefined) throw new UsageError('the session is closing');
    const pipeline = this.#pool.createPipeline(spec, this.#newId());
    const remote = new RemotePipeline(pipeline, handlers, {
      pause: () => this.#shell.pause(pipeline.id),
      resume: () => {
        this.#shell.resume(pipeline.id);
        this.#pump.pump();
      },
      pump: () => this.#pump.pump(),
    });
    this.#pipelines.set(pipeline.id, remote);
    pipeline.invoke();
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

  /** Closes the pool (stopping its pipelines), deletes the shell, closes every connection. Never rejects. */
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
        if (event.state === 'Opened') this.#settleOpen?.resolve();
        else if (event.state === 'Broken' || (event.state === 'Closed' && event.previous === 'Opening')) {
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
    this.#failure ??= error;
    this.#release(error);
  }

  #release(error: Error): void {
    this.#pump.stop();
    this.#lanes.close();
    this.#settleOpen?.reject(error);
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
    if (this.#backlog.acknowledged(count)) this.#control.resume();
  }

  /** @internal */
  get hostCallHandler(): ((call: HostCall) => void) | undefined {
    return this.#handlers.onHostCall;
  }

  /** @internal */
  record(event: StreamEvent): void {
    if (this.#backlog?.delivered(1) === true) this.#control.pause();
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
  }

  /** @internal */
  failed(error: Error): void {
    this.#settle?.reject(error);
    this.#settle = undefined;
  }
}
