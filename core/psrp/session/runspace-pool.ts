import type { KeyObject } from 'node:crypto';
import { ProtocolError, UsageError } from '../../errors';
import { StateMachine, type TransitionTable } from '../../state-machine';
import { deserializeClixml, type PSPrimitive, type PSValue, type Serializable } from '../clixml';
import { Defragmenter, type DefragmenterLimits } from '../defragmenter';
import { INITIAL_MAX_ENVELOPE_SIZE, maxPayloadBytes, PROTOCOL_2_2_MAX_ENVELOPE_SIZE } from '../envelope-budget';
import { Fragmenter } from '../fragment';
import { NIL_GUID, parseGuid } from '../guid';
import { decodeMessage, Destination, encodeMessage, MessageType, messageTypeName, type PsrpMessage } from '../message';
import type { PoolOutgoing, RunspacePoolEvent, RunspacePoolState, RunspaceRequest } from './events';
import {
  answerHoldsSecrets,
  decodeHostCall,
  hostMethodReturns,
  hostResponseBody,
  type HostAnswer,
  type HostCall,
  type HostCallOf,
  type HostMethodName,
} from './host';
import type { ApartmentState, PSThreadOptions } from './messages/enums';
import { NO_HOST, type HostInfo } from './messages/host-info';
import { createPipelineBody, pipelineHoldsSecrets, type PipelineSpec } from './messages/pipeline';
import {
  atLeast,
  callIdBody,
  CLIENT_CAPABILITY,
  connectRunspacePoolBody,
  getCommandMetadataBody,
  initRunspacePoolBody,
  PROTOCOL_2_2,
  PROTOCOL_2_4,
  publicKeyBody,
  readApplicationPrivateData,
  readEncryptedSessionKey,
  readRunspaceAvailability,
  readRunspacePoolInitData,
  readRunspacePoolState,
  readSessionCapability,
  readUserEvent,
  sessionCapabilityBody,
  setRunspacesBody,
  type CommandMetadataQuery,
  type SessionCapability,
} from './messages/pool';
import { readInformationalRecord, type ErrorRecordInfo } from './messages/records';
import type { EncryptSecret } from './messages/values';
import { OutgoingQueue, type QueuedMessage } from './outgoing-queue';
import { PipelineMachine, type Pipeline, type PipelineOwner } from './pipeline';
import {
  decryptSessionKey,
  PLAIN_SECURE_STRING_CODEC,
  publicKeyBlob,
  sessionKeyCodec,
  type SecureStringCodec,
} from './session-key';

/** Room kept for the WS-Man envelope around a payload when the driver does not measure it (a Send is ~1.4 KB). */
export const DEFAULT_ENVELOPE_OVERHEAD = 2048;

export interface RunspacePoolOptions {
  /** The pool GUID (RPID); the WS-Man ShellId is its upper-case form. */
  readonly runspacePoolId: string;
  readonly minRunspaces?: number;
  readonly maxRunspaces?: number;
  readonly threadOptions?: PSThreadOptions;
  readonly apartmentState?: ApartmentState;
  /** Default NO_HOST: the server sends no host calls and Read-Host fails remotely. */
  readonly host?: HostInfo;
  readonly applicationArguments?: ReadonlyMap<string, Serializable>;
  /** What the client announces; default CLIENT_CAPABILITY (protocol 2.3). */
  readonly capability?: SessionCapability;
  /**
   * The RSA key for the SecureString session-key exchange (PROTOCOL.md §2.5.7), or a function that
   * makes one when first needed, e.g. `() => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey`.
   * Without it, sending or receiving a SecureString below protocol 2.4 is a UsageError.
   */
  readonly exchangeKey?: KeyObject | (() => KeyObject);
  /**
   * MaxEnvelopeSize in bytes when known (from the WinRM config or the host profile). Absent: 153600
   * until the server reports protocol 2.2 or later, then 512000 (as pypsrp does).
   */
  readonly maxEnvelopeSize?: number;
  /** Bytes of the WS-Man envelope around a payload, as the driver measured it; default DEFAULT_ENVELOPE_OVERHEAD. */
  readonly envelopeOverhead?: number;
  readonly defragmenterLimits?: Partial<DefragmenterLimits>;
}

type PoolAction =
  | 'open'
  | 'connect'
  | 'use'
  | 'answerHostCall'
  | 'receive'
  | 'serverOpened'
  | 'serverClosing'
  | 'serverClosed'
  | 'serverBroken'
  | 'close'
  | 'transportClosed'
  | 'disconnect'
  | 'transportDisconnected'
  | 'reconnect'
  | 'transportReconnected';

const LIVE: RunspacePoolState[] = ['Opening', 'Opened', 'Closing', 'Connecting', 'Disconnecting'];

export const RUNSPACE_POOL_TRANSITIONS: TransitionTable<RunspacePoolState, PoolAction> = {
  open: { from: ['BeforeOpen'], to: 'Opening' },
  connect: { from: ['BeforeOpen'], to: 'Connecting' },
  /** Pipelines, runspace limits, key exchange: only on an open pool. */
  use: { from: ['Opened'], to: undefined },
  answerHostCall: { from: ['Opening', 'Opened'], to: undefined },
  receive: {
    from: ['Opening', 'Opened', 'Closing', 'Closed', 'Broken', 'Disconnecting', 'Disconnected', 'Connecting'],
    to: undefined,
  },
  serverOpened: { from: ['Opening', 'Connecting', 'Opened'], to: 'Opened' },
  serverClosing: { from: ['Opening', 'Opened', 'Closing', 'Connecting'], to: 'Closing' },
  serverClosed: { from: LIVE, to: 'Closed' },
  serverBroken: { from: LIVE, to: 'Broken' },
  close: { from: ['Opening', 'Opened', 'Broken', 'Disconnected'], to: 'Closing' },
  transportClosed: { from: ['Closing', 'Closed'], to: 'Closed' },
  disconnect: { from: ['Opened'], to: 'Disconnecting' },
  transportDisconnected: { from: ['Disconnecting'], to: 'Disconnected' },
  reconnect: { from: ['Disconnected'], to: 'Connecting' },
  transportReconnected: { from: ['Connecting'], to: 'Opened' },
};

/** RunspacePoolState numbers a server sends (MS-PSRP 2.2.3.4); 6–9 differ between spec and .NET and are ignored. */
const SERVER_POOL_STATES: Readonly<Record<number, PoolAction | undefined>> = {
  2: 'serverOpened',
  3: 'serverClosed',
  4: 'serverClosing',
  5: 'serverBroken',
};

const POOL_MESSAGES_FROM_SERVER = new Set<MessageType>([
  MessageType.SessionCapability,
  MessageType.ApplicationPrivateData,
  MessageType.RunspacePoolState,
  MessageType.RunspacePoolInitData,
  MessageType.RunspaceAvailability,
  MessageType.EncryptedSessionKey,
  MessageType.PublicKeyRequest,
  MessageType.UserEvent,
  MessageType.RunspacePoolHostCall,
  MessageType.WarningRecord,
]);

/**
 * The client side of a PSRP runspace pool (MS-PSRP 3.1.4), sans IO. Actions queue messages;
 * `dataToSend()` hands them out as fragment payloads sized for the transport, tagged with pool or
 * pipeline and stream; `receive()` takes the server's fragment bytes; `nextEvent()` reports what
 * happened. Pipelines are created through the pool and share its ObjectId sequence.
 */
export class RunspacePool {
  readonly id: string;
  readonly #machine: StateMachine<RunspacePoolState, PoolAction>;
  readonly #options: RunspacePoolOptions;
  readonly #capability: SessionCapability;
  readonly #fragmenter = new Fragmenter();
  readonly #defragmenters = new Map<string, Defragmenter>();
  readonly #queue = new OutgoingQueue();
  readonly #events: RunspacePoolEvent[] = [];
  readonly #pipelines = new Map<string, PipelineMachine>();
  readonly #pendingRequests = new Map<bigint, RunspaceRequest>();
  /** Host calls awaiting an answer, keyed by pipeline (or pool) and call id. */
  readonly #pendingHostCalls = new Set<string>();
  readonly #owner: PipelineOwner;
  #nextCallId = 0n;
  #serverCapability: SessionCapability | undefined;
  #applicationPrivateData: PSValue | undefined;
  #minRunspaces: number;
  #maxRunspaces: number;
  #maxEnvelopeSize: number;
  #privateKey: KeyObject | undefined;
  #keyExchangeStarted = false;
  #codec: SecureStringCodec | undefined;

  constructor(options: RunspacePoolOptions) {
    const id = parseGuid(options.runspacePoolId);
    if (id === undefined) throw new UsageError(`runspacePoolId ${options.runspacePoolId} is not a GUID`);
    this.id = id;
    this.#options = options;
    this.#capability = options.capability ?? CLIENT_CAPABILITY;
    this.#minRunspaces = options.minRunspaces ?? 1;
    this.#maxRunspaces = options.maxRunspaces ?? 1;
    if (!Number.isInteger(this.#minRunspaces) || this.#minRunspaces < 1 || this.#maxRunspaces < this.#minRunspaces) {
      throw new UsageError('runspace limits must satisfy 1 ≤ minRunspaces ≤ maxRunspaces');
    }
    this.#maxEnvelopeSize = options.maxEnvelopeSize ?? INITIAL_MAX_ENVELOPE_SIZE;
    this.#machine = new StateMachine(`RunspacePool ${id}`, RUNSPACE_POOL_TRANSITIONS, 'BeforeOpen');
    this.#owner = {
      queueMessage: (message) => this.#queueMessage(message),
      queueControl: (control) => this.#queue.push(control),
      emit: (event) => this.#emit(event),
    };
  }

  get state(): RunspacePoolState {
    return this.#machine.state;
  }

  /** The server's SESSION_CAPABILITY, once received. */
  get serverCapability(): SessionCapability | undefined {
    return this.#serverCapability;
  }

  /** The server's PSPrimitiveDictionary (PSVersionTable…), once received. */
  get applicationPrivateData(): PSValue | undefined {
    return this.#applicationPrivateData;
  }

  get minRunspaces(): number {
    return this.#minRunspaces;
  }

  get maxRunspaces(): number {
    return this.#maxRunspaces;
  }

  get maxEnvelopeSize(): number {
    return this.#maxEnvelopeSize;
  }

  /** Largest payload `dataToSend()` produces now. */
  get maxPayloadBytes(): number {
    return maxPayloadBytes(this.#maxEnvelopeSize, this.#options.envelopeOverhead ?? DEFAULT_ENVELOPE_OVERHEAD);
  }

  /** Sets MaxEnvelopeSize (e.g. read from `winrm/config`); later payloads are cut to fit it. */
  setMaxEnvelopeSize(bytes: number): void {
    maxPayloadBytes(bytes, this.#options.envelopeOverhead ?? DEFAULT_ENVELOPE_OVERHEAD);
    this.#maxEnvelopeSize = bytes;
  }

  /** Whether SecureStrings can be written and read now (session key known, or both peers at 2.4). */
  get secureStringsReady(): boolean {
    return this.#codec !== undefined;
  }

  /** A pipeline of this pool that the server still knows, by id. */
  pipeline(pipelineId: string): Pipeline | undefined {
    return this.#pipelines.get(parseGuid(pipelineId) ?? pipelineId);
  }

  /** Queues SESSION_CAPABILITY and INIT_RUNSPACEPOOL, which the transport sends as the shell's creationXml. */
  open(): void {
    this.#machine.transition('open');
    this.#emitStateChange('BeforeOpen');
    this.#queuePoolMessage(MessageType.SessionCapability, 'create', () => sessionCapabilityBody(this.#capability));
    this.#queuePoolMessage(MessageType.InitRunspacePool, 'create', () =>
      initRunspacePoolBody({
        minRunspaces: this.#minRunspaces,
        maxRunspaces: this.#maxRunspaces,
        threadOptions: this.#options.threadOptions ?? 'Default',
        apartmentState: this.#options.apartmentState ?? 'Unknown',
        host: this.#options.host ?? NO_HOST,
        applicationArguments: this.#options.applicationArguments,
      }),
    );
  }

  /**
   * Attaches this new client to a disconnected pool with the same id (protocol 2.2+): queues
   * SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL for the connectXml. Limits are sent only when given.
   */
  connect(limits?: { readonly minRunspaces: number; readonly maxRunspaces: number }): void {
    this.#machine.transition('connect');
    this.#emitStateChange('BeforeOpen');
    this.#queuePoolMessage(MessageType.SessionCapability, 'connect', () => sessionCapabilityBody(this.#capability));
    this.#queuePoolMessage(MessageType.ConnectRunspacePool, 'connect', () => connectRunspacePoolBody(limits));
  }

  /** A pipeline for `spec`, NotStarted until `invoke()`. `pipelineId` is a new GUID. */
  createPipeline(spec: PipelineSpec, pipelineId: string): Pipeline {
    this.#machine.transition('use');
    const id = this.#newPipelineId(pipelineId);
    const serverProtocol = this.#requireServerCapability().protocolVersion;
    const poolHost = this.#options.host ?? NO_HOST;
    // Building once here reports a malformed spec now rather than when the queue is drained.
    createPipelineBody(spec, { serverProtocol, poolHost, encrypt: () => '' });
    const start: QueuedMessage = {
      messageType: MessageType.CreatePipeline,
      pipelineId: id,
      stream: 'stdin',
      carrier: 'command',
      holdsSecrets: pipelineHoldsSecrets(spec),
      body: (encrypt) => createPipelineBody(spec, { serverProtocol, poolHost, encrypt }),
    };
    return this.#addPipeline(new PipelineMachine(id, this.#owner, start, spec.noInput === false));
  }

  /**
   * GET_COMMAND_METADATA as a pipeline: once invoked, its output is a count object then one
   * CommandMetadata object per command, then PIPELINE_STATE.
   */
  getCommandMetadata(query: CommandMetadataQuery, pipelineId: string): Pipeline {
    this.#machine.transition('use');
    const id = this.#newPipelineId(pipelineId);
    const body = getCommandMetadataBody(query);
    const start: QueuedMessage = {
      messageType: MessageType.GetCommandMetadata,
      pipelineId: id,
      stream: 'stdin',
      carrier: 'command',
      holdsSecrets: false,
      body: () => body,
    };
    return this.#addPipeline(new PipelineMachine(id, this.#owner, start, false));
  }

  /** After `connect()`: takes over a pipeline still running on the server (found by enumerating commands). */
  connectPipeline(pipelineId: string): Pipeline {
    this.#machine.transition('use');
    const id = this.#newPipelineId(pipelineId);
    const pipeline = this.#addPipeline(new PipelineMachine(id, this.#owner, undefined, false));
    pipeline.adopt();
    return pipeline;
  }

  /** SET_MIN_RUNSPACES; the RUNSPACE_AVAILABILITY answer carries the returned call id. */
  setMinRunspaces(count: number): bigint {
    return this.#runspaceRequest('setMinRunspaces', MessageType.SetMinRunspaces, (ci) =>
      setRunspacesBody('MinRunspaces', count, ci),
    );
  }

  setMaxRunspaces(count: number): bigint {
    return this.#runspaceRequest('setMaxRunspaces', MessageType.SetMaxRunspaces, (ci) =>
      setRunspacesBody('MaxRunspaces', count, ci),
    );
  }

  getAvailableRunspaces(): bigint {
    return this.#runspaceRequest('getAvailableRunspaces', MessageType.GetAvailableRunspaces, callIdBody);
  }

  /** RESET_RUNSPACE_STATE (protocol 2.3): clears variables and state of the pool's runspace. */
  resetRunspaceState(): bigint {
    return this.#runspaceRequest('resetRunspaceState', MessageType.ResetRunspaceState, callIdBody);
  }

  /**
   * Starts the session-key exchange (PUBLIC_KEY) unless it has started already or both peers speak
   * 2.4. Sending a secret starts it too, so calling this is only needed to receive SecureStrings.
   */
  exchangeKeys(): void {
    this.#machine.transition('use');
    if (this.#codec === undefined) this.#startKeyExchange();
  }

  /** The text of a SecureString the server sent (in output or a host call). */
  revealSecureString(value: PSPrimitive | string): string {
    const base64 = typeof value === 'string' ? value : value.kind === 'SecureString' ? value.value : undefined;
    if (base64 === undefined) throw new UsageError('only a SecureString can be revealed');
    return this.#requireCodec().decrypt(base64);
  }

  /**
   * Answers a host call with its result or an error. Void calls (ci = -100) must not be answered; a
   * call can be answered once. Answers holding secrets wait for the session key.
   */
  answerHostCall<M extends HostMethodName>(call: HostCallOf<M>, answer: HostAnswer<M>): void {
    const key = hostCallKey(call.pipelineId, call.callId);
    if (!call.expectsAnswer) throw new UsageError(`${call.method} is a void host call and must not be answered`);
    if (!this.#pendingHostCalls.has(key)) {
      throw new UsageError(`host call ${call.callId} (${call.method}) is not awaiting an answer`);
    }
    const holdsSecrets = answerHoldsSecrets(call, answer);
    const body = (encrypt: EncryptSecret): string => hostResponseBody(call, answer, encrypt);
    if (call.pipelineId === undefined) {
      this.#machine.transition('answerHostCall');
      this.#queueMessage({
        messageType: MessageType.RunspacePoolHostResponse,
        pipelineId: undefined,
        stream: 'pr',
        carrier: 'send',
        holdsSecrets,
        body,
      });
    } else {
      const pipeline = this.#pipelines.get(call.pipelineId);
      if (pipeline === undefined) throw new UsageError(`pipeline ${call.pipelineId} is gone`);
      pipeline.queueHostResponse(holdsSecrets, body);
    }
    this.#pendingHostCalls.delete(key);
  }

  /**
   * Answers a call the application does not implement with an error record, so the remote command
   * fails instead of waiting for ever. Void calls need no answer and are left alone.
   */
  declineHostCall(call: HostCall, reason = `The host does not implement ${call.method}.`): void {
    if (!call.expectsAnswer || !hostMethodReturns(call.method)) return;
    this.answerHostCall(call, { error: reason, fullyQualifiedErrorId: 'HostMethodNotImplemented' });
  }

  /**
   * Ends the pool: releases the pipelines the server still holds (a stdio server closes the pool
   * only after all its commands), then the transport deletes the shell and calls `transportClosed()`.
   */
  close(): void {
    const previous = this.state;
    this.#machine.transition('close');
    this.#emitStateChange(previous);
    for (const pipeline of this.#pipelines.values()) pipeline.release();
    this.#queue.push({ kind: 'closePool' });
  }

  /** The transport closed the shell (DeleteResponse, stdio CloseAck). */
  transportClosed(): void {
    this.#serverStateChange('transportClosed', undefined, false);
  }

  /** Disconnects the pool from this client (protocol 2.2+); its pipelines keep running on the server. */
  disconnect(): void {
    // The state check comes first, so misuse reads as InvalidStateError, not as a protocol limit.
    if (!this.#machine.can('disconnect')) this.#machine.transition('disconnect');
    if (this.#serverCapability === undefined || !atLeast(this.#serverCapability.protocolVersion, PROTOCOL_2_2)) {
      throw new UsageError('disconnecting needs protocol 2.2 on the server');
    }
    this.#machine.transition('disconnect');
    this.#emitStateChange('Opened');
    this.#queue.push({ kind: 'disconnectPool' });
  }

  transportDisconnected(): void {
    this.#machine.transition('transportDisconnected');
    this.#emitStateChange('Disconnecting');
    for (const pipeline of this.#pipelines.values()) pipeline.poolChanged('disconnect');
  }

  /** Reconnects this same client to its disconnected pool. */
  reconnect(): void {
    this.#machine.transition('reconnect');
    this.#emitStateChange('Disconnected');
    this.#queue.push({ kind: 'reconnectPool' });
  }

  transportReconnected(): void {
    this.#machine.transition('transportReconnected');
    this.#emitStateChange('Connecting');
    for (const pipeline of this.#pipelines.values()) pipeline.poolChanged('reconnect');
  }

  /**
   * Fragment bytes the server sent for the pool (`pipelineId` undefined) or for one pipeline (the
   * WS-Man CommandId, or the stdio PSGuid). Messages may span calls; a pipeline's messages must
   * carry its PID. Throws ProtocolError when the server breaks the protocol; the pool is then unusable.
   */
  receive(bytes: Uint8Array, pipelineId?: string): void {
    this.#machine.transition('receive');
    const source = pipelineId === undefined ? NIL_GUID : (parseGuid(pipelineId) ?? pipelineId);
    let defragmenter = this.#defragmenters.get(source);
    if (defragmenter === undefined) {
      defragmenter = new Defragmenter(this.#options.defragmenterLimits);
      this.#defragmenters.set(source, defragmenter);
    }
    for (const { data } of defragmenter.push(bytes)) {
      const message = decodeMessage(data);
      if (pipelineId !== undefined && message.pipelineId !== source) {
        throw new ProtocolError(
          `${messageTypeName(message.messageType)} for ${message.pipelineId} arrived on the stream of pipeline ${source}`,
        );
      }
      this.#handle(message);
    }
  }

  nextEvent(): RunspacePoolEvent | undefined {
    return this.#events.shift();
  }

  /**
   * What the transport must send, in order: fragment payloads (each at most `maxPayloadBytes`,
   * consecutive messages to the same pool/pipeline, stream and carrier packed together) and
   * control steps. Messages holding secrets stay queued, with everything after them, until the
   * session key arrives; control steps are not held back.
   */
  dataToSend(): PoolOutgoing[] {
    const outgoing = this.#queue.drain(this.#fragmenter, this.maxPayloadBytes, this.#codec !== undefined, (message) =>
      this.#encode(message),
    );
    for (const item of outgoing) {
      if (item.kind === 'closePipeline' && this.#pipelines.get(item.pipelineId)?.finished === true) {
        this.#pipelines.delete(item.pipelineId);
      }
    }
    return outgoing;
  }

  #encode(entry: QueuedMessage): Uint8Array {
    const message: PsrpMessage = {
      destination: Destination.Server,
      messageType: entry.messageType,
      runspacePoolId: this.id,
      pipelineId: entry.pipelineId ?? NIL_GUID,
      data: entry.body((text) => this.#requireCodec().encrypt(text)),
    };
    return encodeMessage(message);
  }

  #queuePoolMessage(messageType: MessageType, carrier: QueuedMessage['carrier'], body: () => string): void {
    this.#queueMessage({ messageType, pipelineId: undefined, stream: 'stdin', carrier, holdsSecrets: false, body });
  }

  #queueMessage(message: QueuedMessage): void {
    if (message.holdsSecrets && this.#codec === undefined) this.#startKeyExchange();
    this.#queue.push(message);
  }

  #runspaceRequest(request: RunspaceRequest, messageType: MessageType, body: (callId: bigint) => string): bigint {
    this.#machine.transition('use');
    const callId = this.#nextCallId++;
    this.#pendingRequests.set(callId, request);
    this.#queuePoolMessage(messageType, 'send', () => body(callId));
    return callId;
  }

  #newPipelineId(pipelineId: string): string {
    const id = parseGuid(pipelineId);
    if (id === undefined || id === NIL_GUID) throw new UsageError(`pipeline id ${pipelineId} is not a non-nil GUID`);
    if (this.#pipelines.has(id)) throw new UsageError(`pipeline ${id} already exists`);
    return id;
  }

  #addPipeline(pipeline: PipelineMachine): PipelineMachine {
    this.#pipelines.set(pipeline.id, pipeline);
    return pipeline;
  }

  #requireServerCapability(): SessionCapability {
    if (this.#serverCapability === undefined) throw new UsageError('the server has not sent its capability yet');
    return this.#serverCapability;
  }

  #plainSecureStrings(): boolean {
    const server = this.#serverCapability;
    return (
      server !== undefined &&
      atLeast(server.protocolVersion, PROTOCOL_2_4) &&
      atLeast(this.#capability.protocolVersion, PROTOCOL_2_4)
    );
  }

  #requireCodec(): SecureStringCodec {
    if (this.#codec === undefined) throw new UsageError('no session key yet: exchange keys before using SecureStrings');
    return this.#codec;
  }

  #startKeyExchange(): void {
    if (this.#keyExchangeStarted) return;
    const source = this.#options.exchangeKey;
    if (source === undefined) {
      throw new UsageError('SecureStrings need the session key exchange: pass exchangeKey in the pool options');
    }
    this.#privateKey ??= typeof source === 'function' ? source() : source;
    const blob = publicKeyBlob(this.#privateKey);
    this.#keyExchangeStarted = true;
    const entry: QueuedMessage = {
      messageType: MessageType.PublicKey,
      pipelineId: undefined,
      stream: 'stdin',
      carrier: 'send',
      holdsSecrets: false,
      body: () => publicKeyBody(blob),
    };
    this.#queue.pushAheadOfSecrets(entry);
  }

  #handle(message: PsrpMessage): void {
    const name = messageTypeName(message.messageType);
    if (message.destination !== Destination.Client) throw new ProtocolError(`${name} is addressed to the server`);
    if (message.runspacePoolId !== this.id && message.runspacePoolId !== NIL_GUID) {
      throw new ProtocolError(`${name} belongs to runspace pool ${message.runspacePoolId}, not ${this.id}`);
    }
    if (message.pipelineId !== NIL_GUID) {
      const pipeline = this.#pipelines.get(message.pipelineId);
      if (pipeline === undefined) throw new ProtocolError(`${name} for unknown pipeline ${message.pipelineId}`);
      pipeline.receive(message);
      return;
    }
    if (!POOL_MESSAGES_FROM_SERVER.has(message.messageType)) {
      throw new ProtocolError(`${name} is not a runspace-pool message a server sends`);
    }
    this.#handlePoolMessage(message.messageType, message.data === '' ? null : deserializeClixml(message.data));
  }

  /** Queues an event; a host call that expects an answer becomes answerable. */
  #emit(event: RunspacePoolEvent): void {
    if (event.type === 'hostCall' && event.call.expectsAnswer) {
      this.#pendingHostCalls.add(hostCallKey(event.call.pipelineId, event.call.callId));
    }
    this.#events.push(event);
  }

  #handlePoolMessage(type: MessageType, body: PSValue): void {
    switch (type) {
      case MessageType.SessionCapability:
        this.#serverCapability = readSessionCapability(body);
        if (
          this.#options.maxEnvelopeSize === undefined &&
          atLeast(this.#serverCapability.protocolVersion, PROTOCOL_2_2)
        ) {
          this.#maxEnvelopeSize = PROTOCOL_2_2_MAX_ENVELOPE_SIZE;
        }
        if (this.#plainSecureStrings()) this.#codec = PLAIN_SECURE_STRING_CODEC;
        return;
      case MessageType.ApplicationPrivateData:
        this.#applicationPrivateData = readApplicationPrivateData(body);
        this.#emit({ type: 'applicationPrivateData', data: this.#applicationPrivateData });
        return;
      case MessageType.RunspacePoolState: {
        const { state, error } = readRunspacePoolState(body);
        if (state < 0 || state > 9) throw new ProtocolError(`RUNSPACEPOOL_STATE ${state} is not a runspace pool state`);
        const action = SERVER_POOL_STATES[state];
        if (action !== undefined) this.#serverStateChange(action, error, true);
        return;
      }
      case MessageType.RunspacePoolInitData: {
        const limits = readRunspacePoolInitData(body);
        this.#minRunspaces = limits.minRunspaces;
        this.#maxRunspaces = limits.maxRunspaces;
        return;
      }
      case MessageType.RunspaceAvailability:
        this.#handleAvailability(body);
        return;
      case MessageType.EncryptedSessionKey: {
        if (this.#privateKey === undefined) throw new ProtocolError('ENCRYPTED_SESSION_KEY without a PUBLIC_KEY sent');
        this.#codec = sessionKeyCodec(decryptSessionKey(this.#privateKey, readEncryptedSessionKey(body)));
        this.#emit({ type: 'keyExchanged' });
        return;
      }
      case MessageType.PublicKeyRequest:
        // Servers below 2.2 ask when they need to send a SecureString; answer with the (same) key.
        this.#keyExchangeStarted = false;
        this.#startKeyExchange();
        return;
      case MessageType.UserEvent:
        this.#emit({ type: 'userEvent', event: readUserEvent(body) });
        return;
      case MessageType.RunspacePoolHostCall:
        this.#emit({ type: 'hostCall', call: decodeHostCall(body, undefined) });
        return;
      case MessageType.WarningRecord:
        this.#emit({
          type: 'informationalRecord',
          pipelineId: undefined,
          stream: 'warning',
          record: readInformationalRecord(body, 'WARNING_RECORD'),
        });
        return;
    }
  }

  #handleAvailability(body: PSValue): void {
    const { callId, response } = readRunspaceAvailability(body);
    const request = this.#pendingRequests.get(callId);
    if (request === undefined)
      throw new ProtocolError(`RUNSPACE_AVAILABILITY answers call ${callId}, which was not made`);
    this.#pendingRequests.delete(callId);
    this.#emit({ type: 'runspaceAvailability', callId, request, response });
  }

  /** A move the server (or the transport) made; illegal ones are the peer's fault. */
  #serverStateChange(action: PoolAction, error: ErrorRecordInfo | undefined, fromServer: boolean): void {
    const previous = this.state;
    if (fromServer && !this.#machine.can(action)) {
      throw new ProtocolError(`the server moved the runspace pool by ${action} while it is ${previous}`);
    }
    this.#machine.transition(action);
    if (this.state === previous) return;
    this.#emitStateChange(previous, error);
    if (this.state === 'Broken' || this.state === 'Closed') {
      for (const pipeline of this.#pipelines.values()) {
        pipeline.poolChanged(this.state === 'Broken' ? 'poolBroken' : 'poolClosed', error);
      }
    }
  }

  #emitStateChange(previous: RunspacePoolState, error?: ErrorRecordInfo): void {
    this.#emit({ type: 'stateChanged', state: this.state, previous, ...(error === undefined ? {} : { error }) });
  }
}

function hostCallKey(pipelineId: string | undefined, callId: bigint): string {
  return `${pipelineId ?? NIL_GUID}/${callId}`;
}
