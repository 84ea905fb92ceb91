import { Buffer } from 'node:buffer';
import type { PoolOutgoing, RunspacePool, RunspacePoolState } from '../../core/psrp/session';
import { UsageError } from '../../core/errors';
import {
  OptionName,
  SignalCode,
  buildCommand,
  buildConnect,
  buildCreate,
  buildDelete,
  buildDisconnect,
  buildReceive,
  buildReconnect,
  buildSend,
  buildSignal,
  isOperationTimeout,
  outcomeOf,
  powerShellPayload,
  powerShellResourceUri,
  shellSelectors,
  type AnyWSManRequest,
  type ReceiveResult,
  type ResourceTarget,
  type WSManContext,
  type WSManFault,
  type WSManOperation,
} from '../../core/wsman';

/**
 * A PSRP runspace pool carried over WS-Management (PROTOCOL.md §1.8, MS-PSRP 3.1.5.3), sans IO: turns what
 * the pool has to send into Create (creationXml), Command (CREATE_PIPELINE in the arguments), Send, Signal
 * (stop, release), Delete, Disconnect, Reconnect and Connect (connectXml; CommandId for a pipeline)
 * requests, decides when to Receive (the pool while it is live; each started pipeline until its command is
 * Done, unless paused), and feeds received fragments back to the pool.
 *
 * Invariants: at most one request other than Receive is outstanding, and they go in the order the pool
 * queued them — fragments of one message must arrive in order, a pipeline's Sends after its Command, and
 * Delete after everything before it. Receives run beside it, one per pool or pipeline, and only while this
 * client is attached to the shell (after Create, Connect or Reconnect answered, until Disconnect is sent).
 * The pool learns it is disconnected only once every Receive in flight at the Disconnect has come back, so
 * output the server released before it disconnected is delivered first; the server keeps the rest.
 */

const DEFAULT_CONFIGURATION = 'Microsoft.PowerShell';

/** Pool states in which the server may send pool messages. */
const LIVE_POOL_STATES = new Set<RunspacePoolState>(['Opening', 'Opened', 'Connecting']);

/** The protocol version announced in the Create and Connect OptionSet (the client speaks 2.3). */
const PROTOCOL_VERSION_OPTION = { name: OptionName.protocolVersion, value: '2.3', mustComply: true };

export type PowerShellShellEvent =
  /** The server refused a request; `pipelineId` undefined: a request of the pool itself. */
  | {
      readonly type: 'fault';
      readonly pipelineId: string | undefined;
      readonly operation: WSManOperation;
      readonly fault: WSManFault;
    }
  /** The shell is deleted (or was never created): the pool has been told. */
  | { readonly type: 'shellClosed' };

export interface PowerShellShellOptions {
  readonly pool: RunspacePool;
  /** The session's header fields; MaxEnvelopeSize follows the pool's (it grows once the server reports 2.2). */
  readonly context: WSManContext;
  readonly newMessageId: () => string;
  /** The session configuration (JEA endpoint); Microsoft.PowerShell by default. */
  readonly configurationName?: string;
  /** The shell's IdleTimeOut; the server's default when absent. */
  readonly idleTimeoutMs?: number;
  /** A disconnected shell this new client connects to (`pool.connect()`); absent: the pool's shell is created. */
  readonly existingShellId?: string;
}

interface Outstanding {
  readonly request: AnyWSManRequest;
  /** Upper-case pipeline id, or undefined for the pool. */
  readonly pipelineId: string | undefined;
  readonly item: PoolOutgoing | undefined;
}

export class PowerShellShell {
  readonly #pool: RunspacePool;
  readonly #options: PowerShellShellOptions;
  readonly #resourceUri: string;
  readonly #queue: PoolOutgoing[] = [];
  readonly #outstanding = new Map<string, Outstanding>();
  readonly #events: PowerShellShellEvent[] = [];
  /** Pipelines the server knows (CommandResponse arrived) and whose command is not Done yet. */
  readonly #receivable = new Set<string>();
  readonly #receiving = new Set<string | undefined>();
  readonly #paused = new Set<string>();
  #target: ResourceTarget | undefined;
  #attached = false;
  /** DisconnectResponse arrived; the pool is told once the cut-short Receives are back. */
  #disconnectAnswered = false;
  #controlInFlight = false;
  #ended = false;

  constructor(options: PowerShellShellOptions) {
    this.#pool = options.pool;
    this.#options = options;
    this.#resourceUri = powerShellResourceUri(options.configurationName ?? DEFAULT_CONFIGURATION);
    if (options.existingShellId !== undefined) {
      this.#target = { resourceUri: this.#resourceUri, selectors: shellSelectors(options.existingShellId) };
    }
  }

  get shellId(): string | undefined {
    return this.#target?.selectors[0]?.value;
  }

  /** Stops issuing Receive for a pipeline (flow control); the server holds its output meanwhile. */
  pause(pipelineId: string): void {
    this.#paused.add(pipelineId.toUpperCase());
  }

  resume(pipelineId: string): void {
    this.#paused.delete(pipelineId.toUpperCase());
  }

  nextEvent(): PowerShellShellEvent | undefined {
    return this.#events.shift();
  }

  dataToSend(): AnyWSManRequest | undefined {
    if (this.#ended) return undefined;
    this.#queue.push(...this.#pool.dataToSend());
    const item = this.#controlInFlight ? undefined : this.#queue.shift();
    if (item !== undefined) return this.#issue(this.#controlRequest(item), pipelineOf(item), item);
    const receive = this.#nextReceive();
    if (receive === undefined) return undefined;
    this.#receiving.add(receive.pipelineId);
    return this.#issue(this.#receive(receive.pipelineId), receive.pipelineId, undefined);
  }

  receive(request: AnyWSManRequest, response: Uint8Array): void {
    const outstanding = this.#outstanding.get(request.messageId);
    if (outstanding?.request !== request) throw new UsageError('receive() takes the answer to an outstanding request');
    this.#outstanding.delete(request.messageId);
    if (request.operation === 'Receive') {
      this.#receiving.delete(outstanding.pipelineId);
      this.#onReceive(request, response, outstanding.pipelineId);
    } else {
      this.#controlInFlight = false;
      this.#onControl(request, response, outstanding);
    }
    if (this.#disconnectAnswered && this.#outstanding.size === 0) {
      this.#disconnectAnswered = false;
      this.#pool.transportDisconnected();
    }
  }

  #issue(request: AnyWSManRequest, pipelineId: string | undefined, item: PoolOutgoing | undefined): AnyWSManRequest {
    this.#outstanding.set(request.messageId, { request, pipelineId, item });
    if (request.operation !== 'Receive') this.#controlInFlight = true;
    if (request.operation === 'Disconnect') this.#attached = false;
    return request;
  }

  /**
   * The pool while it is live (as PowerShell's own client does: the server sends pool messages — the session
   * key, runspace availability, pool host calls — whenever it likes); each started, unfinished, unpaused
   * pipeline. One Receive each at a time.
   */
  #nextReceive(): { readonly pipelineId: string | undefined } | undefined {
    if (!this.#attached) return undefined;
    const poolState = this.#pool.state;
    if (!LIVE_POOL_STATES.has(poolState)) return undefined;
    if (!this.#receiving.has(undefined)) return { pipelineId: undefined };
    if (poolState !== 'Opened') return undefined;
    for (const pipelineId of this.#receivable) {
      if (!this.#receiving.has(pipelineId) && !this.#paused.has(pipelineId)) return { pipelineId };
    }
    return undefined;
  }

  get #context(): WSManContext {
    return { ...this.#options.context, maxEnvelopeSize: this.#pool.maxEnvelopeSize };
  }

  #receive(pipelineId: string | undefined): AnyWSManRequest {
    return buildReceive(this.#context, this.#options.newMessageId(), {
      ...this.#requireTarget(),
      desiredStreams: ['stdout'],
      commandId: pipelineId,
    });
  }

  #controlRequest(item: PoolOutgoing): AnyWSManRequest {
    const messageId = this.#options.newMessageId();
    const context = this.#context;
    switch (item.kind) {
      case 'data': {
        switch (item.carrier) {
          case 'create':
            return createRequest(
              context,
              messageId,
              this.#resourceUri,
              this.#pool.id,
              this.#options.idleTimeoutMs,
              item.bytes,
            );
          case 'command':
            return commandRequest(context, messageId, this.#requireTarget(), item.pipelineId ?? '', item.bytes);
          case 'send':
            return sendRequest(context, messageId, this.#requireTarget(), item.stream, item.pipelineId, item.bytes);
          case 'connect':
            return buildConnect(context, messageId, {
              ...this.#requireTarget(),
              payload: powerShellPayload('connectXml', item.bytes),
              options: [PROTOCOL_VERSION_OPTION],
            });
        }
        break;
      }
      case 'stopPipeline':
      case 'closePipeline':
        return buildSignal(context, messageId, {
          ...this.#requireTarget(),
          commandId: item.pipelineId.toUpperCase(),
          code: item.kind === 'stopPipeline' ? SignalCode.powerShellStop : SignalCode.terminate,
        });
      case 'closePool':
        return buildDelete(context, messageId, this.#requireTarget());
      case 'connectPipeline':
        return buildConnect(context, messageId, { ...this.#requireTarget(), commandId: item.pipelineId.toUpperCase() });
      case 'disconnectPool':
        return buildDisconnect(context, messageId, this.#requireTarget());
      case 'reconnectPool':
        return buildReconnect(context, messageId, this.#requireTarget());
    }
  }

  #onControl(request: AnyWSManRequest, response: Uint8Array, outstanding: Outstanding): void {
    if (request.operation === 'Create') {
      const outcome = outcomeOf(request, response);
      if (outcome.ok) {
        this.#target = { resourceUri: this.#resourceUri, selectors: outcome.result.selectors };
        this.#attached = true;
      } else {
        this.#fault(undefined, request.operation, outcome.fault);
        this.#shellGone();
      }
      return;
    }
    if (request.operation === 'Connect' && outstanding.pipelineId === undefined) {
      const outcome = outcomeOf(request, response);
      if (outcome.ok) {
        this.#attached = true;
        // SESSION_CAPABILITY and RUNSPACEPOOL_INIT_DATA; RUNSPACEPOOL_STATE follows on the pool's Receive.
        if (outcome.result.payload !== undefined) this.#pool.receive(outcome.result.payload);
      } else {
        this.#fault(undefined, request.operation, outcome.fault);
        this.#ended = true;
      }
      return;
    }
    const outcome = outcomeOf(request, response);
    if (request.operation === 'Delete') {
      // Refused or not, the shell is gone from our side.
      this.#shellGone();
      return;
    }
    if (!outcome.ok) {
      // A refused release of a finished pipeline changes nothing for anyone.
      if (outstanding.item?.kind !== 'closePipeline') {
        this.#fault(outstanding.pipelineId, request.operation, outcome.fault);
      }
      return;
    }
    switch (request.operation) {
      case 'Command':
      case 'Connect':
        if (outstanding.pipelineId !== undefined) this.#receivable.add(outstanding.pipelineId);
        return;
      case 'Disconnect':
        this.#disconnectAnswered = true;
        return;
      case 'Reconnect':
        this.#attached = true;
        this.#pool.transportReconnected();
        return;
    }
  }

  #onReceive(request: AnyWSManRequest, response: Uint8Array, pipelineId: string | undefined): void {
    if (request.operation !== 'Receive') return;
    const outcome = outcomeOf(request, response);
    if (!outcome.ok) {
      // A Receive the server cut short because this client disconnected is asked again after reconnecting.
      if (isOperationTimeout(outcome.fault) || this.#disconnecting) return;
      if (pipelineId !== undefined) this.#receivable.delete(pipelineId);
      // A Receive the server cut short while the pool closes is of no interest.
      if (this.#pool.state !== 'Closing' && this.#pool.state !== 'Closed') {
        this.#fault(pipelineId, 'Receive', outcome.fault);
      }
      return;
    }
    this.#deliver(outcome.result, pipelineId);
  }

  #deliver(result: ReceiveResult, pipelineId: string | undefined): void {
    const poolState = this.#pool.state;
    if (poolState === 'Closed') return;
    // The fragments go to whom the Receive asked for; their messages name their pipeline, which the pool checks.
    for (const stream of result.streams) {
      if (stream.name === 'stdout' && stream.data.length > 0) this.#pool.receive(stream.data, pipelineId);
    }
    if (pipelineId !== undefined && result.commandState?.state === 'Done') this.#receivable.delete(pipelineId);
  }

  get #disconnecting(): boolean {
    const state = this.#pool.state;
    return state === 'Disconnecting' || state === 'Disconnected';
  }

  #fault(pipelineId: string | undefined, operation: WSManOperation, fault: WSManFault): void {
    this.#events.push({ type: 'fault', pipelineId: pipelineId?.toLowerCase(), operation, fault });
  }

  #shellGone(): void {
    this.#ended = true;
    this.#receivable.clear();
    if (this.#pool.state === 'Closing') this.#pool.transportClosed();
    this.#events.push({ type: 'shellClosed' });
  }

  #requireTarget(): ResourceTarget {
    if (this.#target === undefined) throw new UsageError('the PowerShell shell has not been created');
    return this.#target;
  }
}

function pipelineOf(item: PoolOutgoing): string | undefined {
  return 'pipelineId' in item ? item.pipelineId?.toUpperCase() : undefined;
}

/**
 * The largest WS-Man envelope around a PSRP payload for this endpoint (an empty creationXml, Command argument
 * or Send), which the pool subtracts from MaxEnvelopeSize when it cuts fragments.
 */
export function payloadEnvelopeOverhead(context: WSManContext, configurationName?: string): number {
  const id = '00000000-0000-0000-0000-000000000000';
  const resourceUri = powerShellResourceUri(configurationName ?? DEFAULT_CONFIGURATION);
  const target = { resourceUri, selectors: shellSelectors(id) };
  const empty = new Uint8Array(0);
  const requests = [
    createRequest(context, id, resourceUri, id, MAX_IDLE_TIMEOUT_MS, empty),
    commandRequest(context, id, target, id, empty),
    sendRequest(context, id, target, 'stdin', id, empty),
  ];
  return Math.max(...requests.map((request) => request.envelope.length));
}

/** The longest IdleTimeOut Windows reports (its digits count in the overhead). */
const MAX_IDLE_TIMEOUT_MS = 2_147_483_647;

function createRequest(
  context: WSManContext,
  messageId: string,
  resourceUri: string,
  poolId: string,
  idleTimeoutMs: number | undefined,
  creationXml: Uint8Array,
): AnyWSManRequest {
  return buildCreate(context, messageId, {
    resourceUri,
    shell: {
      shellId: poolId.toUpperCase(),
      inputStreams: ['stdin', 'pr'],
      outputStreams: ['stdout'],
      idleTimeoutMs,
      openContent: powerShellPayload('creationXml', creationXml),
    },
    options: [PROTOCOL_VERSION_OPTION],
  });
}

/** Starts a pipeline: an empty rsp:Command, the first CREATE_PIPELINE fragments as the argument (MS-PSRP 3.1.5.3.3). */
function commandRequest(
  context: WSManContext,
  messageId: string,
  target: ResourceTarget,
  pipelineId: string,
  fragments: Uint8Array,
): AnyWSManRequest {
  return buildCommand(context, messageId, {
    ...target,
    command: '',
    arguments: [Buffer.from(fragments).toString('base64')],
    commandId: pipelineId.toUpperCase(),
  });
}

function sendRequest(
  context: WSManContext,
  messageId: string,
  target: ResourceTarget,
  stream: string,
  pipelineId: string | undefined,
  fragments: Uint8Array,
): AnyWSManRequest {
  return buildSend(context, messageId, { ...target, stream, commandId: pipelineId?.toUpperCase(), data: fragments });
}
