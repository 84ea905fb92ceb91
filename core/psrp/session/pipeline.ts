import { InvalidStateError, ProtocolError, UsageError } from '../../errors';
import { StateMachine, type TransitionTable } from '../../state-machine';
import { deserializeClixml, serializeClixml, type PSValue } from '../clixml';
import { MessageType, messageTypeName, type PsrpMessage } from '../message';
import type { PipelineState, RunspacePoolEvent } from './events';
import { decodeHostCall } from './host';
import { readPipelineState } from './messages/pipeline';
import {
  readErrorRecord,
  readInformationalRecord,
  readInformationRecord,
  readProgressRecord,
  type ErrorRecordInfo,
} from './messages/records';
import { holdsSecret, outgoingValue, type OutgoingValue } from './messages/values';
import type { QueuedControl, QueuedMessage } from './outgoing-queue';

/** A PowerShell invocation on the runspace pool, created by `RunspacePool.createPipeline`. */
export interface Pipeline {
  /** The pipeline GUID (PID; the WS-Man CommandId in upper case). */
  readonly id: string;
  readonly state: PipelineState;
  /** Sends CREATE_PIPELINE (or GET_COMMAND_METADATA); NotStarted → Running. */
  invoke(): void;
  /** Queues one PIPELINE_INPUT per value; only for pipelines created with `noInput: false`. */
  sendInput(...values: OutgoingValue[]): void;
  /** Queues END_OF_PIPELINE_INPUT: the pipeline's input is complete. */
  endInput(): void;
  /** Asks the server to stop the pipeline (Running → Stopping); PIPELINE_STATE Stopped follows. */
  stop(): void;
}

type PipelineAction =
  | 'invoke'
  | 'adopt'
  | 'input'
  | 'stop'
  | 'answerHostCall'
  | 'receive'
  | 'serverStopping'
  | 'serverStopped'
  | 'serverCompleted'
  | 'serverFailed'
  | 'disconnect'
  | 'reconnect'
  | 'poolBroken'
  | 'poolClosed';

const ACTIVE: PipelineState[] = ['Running', 'Stopping'];
const UNFINISHED: PipelineState[] = ['NotStarted', 'Running', 'Stopping', 'Disconnected'];

export const PIPELINE_TRANSITIONS: TransitionTable<PipelineState, PipelineAction> = {
  invoke: { from: ['NotStarted'], to: 'Running' },
  /** A pipeline a new client connects to: already running on the server. */
  adopt: { from: ['NotStarted'], to: 'Running' },
  input: { from: ['Running'], to: undefined },
  stop: { from: ['Running'], to: 'Stopping' },
  answerHostCall: { from: ACTIVE, to: undefined },
  receive: { from: ACTIVE, to: undefined },
  serverStopping: { from: ACTIVE, to: 'Stopping' },
  serverStopped: { from: ACTIVE, to: 'Stopped' },
  serverCompleted: { from: ACTIVE, to: 'Completed' },
  serverFailed: { from: ACTIVE, to: 'Failed' },
  disconnect: { from: ACTIVE, to: 'Disconnected' },
  reconnect: { from: ['Disconnected'], to: 'Running' },
  poolBroken: { from: UNFINISHED, to: 'Failed' },
  poolClosed: { from: UNFINISHED, to: 'Stopped' },
};

/** What a pipeline needs from its runspace pool. */
export interface PipelineOwner {
  queueMessage(message: QueuedMessage): void;
  queueControl(control: QueuedControl): void;
  emit(event: RunspacePoolEvent): void;
}

/** PSInvocationState numbers of PIPELINE_STATE. */
const SERVER_STATES: Readonly<Record<number, PipelineAction | 'running' | undefined>> = {
  1: 'running',
  2: 'serverStopping',
  3: 'serverStopped',
  4: 'serverCompleted',
  5: 'serverFailed',
  6: 'disconnect',
};

/**
 * The client side of one pipeline (MS-PSRP 3.1.4.4–3.1.4.7). The runspace pool routes the
 * server's messages for this PID here; everything the pipeline sends goes through the pool's queue,
 * so fragments keep the pool's ObjectId order.
 */
export class PipelineMachine implements Pipeline {
  readonly #machine: StateMachine<PipelineState, PipelineAction>;
  #inputEnded = false;
  /** The server knows the pipeline until it is released with closePipeline (once). */
  #heldByServer = false;

  constructor(
    readonly id: string,
    private readonly owner: PipelineOwner,
    /** The message that starts the pipeline (CREATE_PIPELINE or GET_COMMAND_METADATA); none when adopted. */
    private readonly start: QueuedMessage | undefined,
    private readonly acceptsInput: boolean,
  ) {
    this.#machine = new StateMachine(`Pipeline ${id}`, PIPELINE_TRANSITIONS, 'NotStarted');
  }

  get state(): PipelineState {
    return this.#machine.state;
  }

  get finished(): boolean {
    return !UNFINISHED.includes(this.state);
  }

  invoke(): void {
    if (this.start === undefined) throw new UsageError('a pipeline taken over by connectPipeline is already running');
    this.#move('invoke');
    this.#heldByServer = true;
    this.owner.queueMessage(this.start);
  }

  /** For a new client's connect to a pipeline that is running on the server. */
  adopt(): void {
    this.#move('adopt');
    this.#heldByServer = true;
    this.owner.queueControl({ kind: 'connectPipeline', pipelineId: this.id });
  }

  sendInput(...values: OutgoingValue[]): void {
    this.#checkInput();
    for (const value of values) {
      this.owner.queueMessage({
        messageType: MessageType.PipelineInput,
        pipelineId: this.id,
        stream: 'stdin',
        carrier: 'send',
        holdsSecrets: holdsSecret(value),
        body: (encrypt) => serializeClixml(outgoingValue(value, encrypt)),
      });
    }
  }

  endInput(): void {
    this.#checkInput();
    this.#inputEnded = true;
    this.owner.queueMessage({
      messageType: MessageType.EndOfPipelineInput,
      pipelineId: this.id,
      stream: 'stdin',
      carrier: 'send',
      holdsSecrets: false,
      body: () => '',
    });
  }

  stop(): void {
    this.#move('stop');
    this.owner.queueControl({ kind: 'stopPipeline', pipelineId: this.id });
  }

  #checkInput(): void {
    this.#machine.transition('input');
    if (!this.acceptsInput) throw new UsageError('the pipeline was created with noInput: it takes no input');
    if (this.#inputEnded) throw new UsageError('the pipeline input has already ended');
  }

  /** Queues a PIPELINE_HOST_RESPONSE whose body the pool built for an answer it checked. */
  queueHostResponse(holdsSecrets: boolean, body: QueuedMessage['body']): void {
    this.#machine.transition('answerHostCall');
    this.owner.queueMessage({
      messageType: MessageType.PipelineHostResponse,
      pipelineId: this.id,
      stream: 'pr',
      carrier: 'send',
      holdsSecrets,
      body,
    });
  }

  /** A message from the server with this pipeline's PID. */
  receive(message: PsrpMessage): void {
    if (!this.#machine.can('receive')) {
      throw new ProtocolError(
        `${messageTypeName(message.messageType)} for pipeline ${this.id}, which is ${this.state}`,
      );
    }
    const body: PSValue = message.data === '' ? null : deserializeClixml(message.data);
    const pipelineId = this.id;
    switch (message.messageType) {
      case MessageType.PipelineOutput:
        this.owner.emit({ type: 'output', pipelineId, value: body });
        return;
      case MessageType.ErrorRecord:
        this.owner.emit({ type: 'errorRecord', pipelineId, record: readErrorRecord(body, 'ERROR_RECORD') });
        return;
      case MessageType.DebugRecord:
      case MessageType.VerboseRecord:
      case MessageType.WarningRecord: {
        const stream = INFORMATIONAL_STREAMS[message.messageType];
        const record = readInformationalRecord(body, messageTypeName(message.messageType));
        this.owner.emit({ type: 'informationalRecord', pipelineId, stream, record });
        return;
      }
      case MessageType.InformationRecord:
        this.owner.emit({ type: 'information', pipelineId, record: readInformationRecord(body, 'INFORMATION_RECORD') });
        return;
      case MessageType.ProgressRecord:
        this.owner.emit({ type: 'progress', pipelineId, record: readProgressRecord(body, 'PROGRESS_RECORD') });
        return;
      case MessageType.PipelineHostCall:
        this.owner.emit({ type: 'hostCall', call: decodeHostCall(body, pipelineId) });
        return;
      case MessageType.PipelineState: {
        const { state, error } = readPipelineState(body);
        const action = SERVER_STATES[state];
        if (action === undefined) throw new ProtocolError(`PIPELINE_STATE ${state} is not a state a server reports`);
        if (action !== 'running') this.#serverMove(action, error);
        return;
      }
      default:
        throw new ProtocolError(`${messageTypeName(message.messageType)} is not a message for a pipeline`);
    }
  }

  /** The pool moved: disconnect/reconnect follow it, a broken or closed pool ends the pipeline. */
  poolChanged(action: 'disconnect' | 'reconnect' | 'poolBroken' | 'poolClosed', error?: ErrorRecordInfo): void {
    // With the pool gone, the server holds nothing to release.
    if (action === 'poolBroken' || action === 'poolClosed') this.#heldByServer = false;
    if (this.#machine.can(action)) this.#move(action, error);
  }

  /** Queues closePipeline once, when the server holds the pipeline. */
  release(): void {
    if (!this.#heldByServer) return;
    this.#heldByServer = false;
    this.owner.queueControl({ kind: 'closePipeline', pipelineId: this.id });
  }

  #serverMove(action: PipelineAction, error: ErrorRecordInfo | undefined): void {
    try {
      this.#move(action, error);
    } catch (failure) {
      if (failure instanceof InvalidStateError) {
        throw new ProtocolError(`the server moved pipeline ${this.id} by ${action} while it is ${this.state}`);
      }
      throw failure;
    }
  }

  #move(action: PipelineAction, error?: ErrorRecordInfo): void {
    const previous = this.state;
    const state = this.#machine.transition(action);
    if (state === previous) return;
    this.owner.emit({
      type: 'pipelineStateChanged',
      pipelineId: this.id,
      state,
      previous,
      ...(error === undefined ? {} : { error }),
    });
    if (this.finished) this.release();
  }
}

const INFORMATIONAL_STREAMS = {
  [MessageType.DebugRecord]: 'debug',
  [MessageType.VerboseRecord]: 'verbose',
  [MessageType.WarningRecord]: 'warning',
} as const;
