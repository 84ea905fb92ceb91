import { UsageError } from '../../core/errors';
import type { AnyWSManRequest } from '../../core/wsman';
import {
  WinRMTransport,
  type PostOptions,
  type TlsSettings,
  type TransportTimeouts,
  type TrustAnswer,
  type WinRMResponse,
  type WinRMTransportOptions,
} from '../transport';

/** What the lanes need of a transport; WinRMTransport in production, a fake in unit tests. */
export interface PostingTransport {
  /** The normalized endpoint URL (wsa:To). */
  readonly endpoint: string;
  readonly timeouts: TransportTimeouts;
  post(envelope: Uint8Array, options?: PostOptions): Promise<WinRMResponse>;
  close(): void;
}

export type TransportOpener = (options: WinRMTransportOptions) => PostingTransport;

export interface TransportLanesOptions {
  readonly transport: WinRMTransportOptions;
  /** Most connections open at once; default 2 (a long-polling Receive and the requests beside it). */
  readonly maxLanes?: number;
  /** Default: a WinRMTransport. */
  readonly open?: TransportOpener;
  /** GUIDs for the OperationIDs of Receive requests (the session's id source). */
  readonly newId: () => string;
}

interface Lane {
  readonly transport: PostingTransport;
  inFlight: number;
  receivesInFlight: number;
}

/**
 * The connections of one session. A transport carries one request at a time (HTTP/1.1 without pipelining,
 * authentication bound to the socket), and a Receive long-polls for up to the operation timeout, so a Signal
 * or Send issued meanwhile would wait behind it: such a request gets its own connection, opened on demand
 * and authenticated the same way (a fresh context per socket). Short requests share a connection rather
 * than open another, so a session without concurrent work uses one connection only.
 */
export class TransportLanes {
  readonly #options: WinRMTransportOptions;
  readonly #maxLanes: number;
  readonly #open: TransportOpener;
  readonly #newId: () => string;
  readonly #lanes: Lane[] = [];
  #opened = 0;
  #closed = false;

  constructor(options: TransportLanesOptions) {
    this.#maxLanes = options.maxLanes ?? 2;
    if (!Number.isInteger(this.#maxLanes) || this.#maxLanes < 1) throw new UsageError('maxLanes must be at least 1');
    this.#options = { ...options.transport, tls: options.transport.tls && shareTrustAnswers(options.transport.tls) };
    this.#open = options.open ?? ((transportOptions) => new WinRMTransport(transportOptions));
    this.#newId = options.newId;
    // The first connection's settings are checked now (endpoint, timeouts, encryption policy), not at the first post.
    const first = this.#newLane();
    this.#lanes.push(first);
    this.endpoint = first.transport.endpoint;
    this.timeouts = first.transport.timeouts;
  }

  readonly endpoint: string;
  readonly timeouts: TransportTimeouts;

  /** Transports opened so far (at least one). */
  get opened(): number {
    return this.#opened;
  }

  /**
   * Posts a request and returns the response body, a SOAP fault's included (the machines read faults).
   * Receive may be sent twice when its connection breaks: it carries a fresh Robust Connections OperationID
   * (MS-WSMV 3.1.4.1.39), and its replay is marked as a retransmission of it, so a server that had already
   * dequeued output into the lost response sends that response again rather than new output.
   */
  async post(request: AnyWSManRequest): Promise<Uint8Array> {
    if (this.#closed) throw new UsageError('the session is closed');
    const receive = request.operation === 'Receive';
    const lane = this.#laneFor();
    lane.inFlight++;
    if (receive) lane.receivesInFlight++;
    try {
      const response = receive
        ? await this.#postReceive(lane, request)
        : await lane.transport.post(request.envelope, {
            idempotent: request.operation === 'Get' || request.operation === 'Enumerate',
          });
      return response.body;
    } finally {
      lane.inFlight--;
      if (receive) lane.receivesInFlight--;
    }
  }

  #postReceive(lane: Lane, request: AnyWSManRequest): Promise<WinRMResponse> {
    const operationId = this.#newId();
    return lane.transport.post(request.withOperationId(operationId, false), {
      idempotent: true,
      retransmission: request.withOperationId(operationId, true),
    });
  }

  /** Closes every connection; requests in flight fail, later ones are refused. */
  close(): void {
    this.#closed = true;
    for (const lane of this.#lanes.splice(0)) lane.transport.close();
  }

  /** An idle connection, else one busy with short requests only, else a new one, else the least busy. */
  #laneFor(): Lane {
    const idle = this.#lanes.find((lane) => lane.inFlight === 0);
    if (idle !== undefined) return idle;
    const withoutLongPoll = this.#lanes.find((lane) => lane.receivesInFlight === 0);
    if (withoutLongPoll !== undefined) return withoutLongPoll;
    if (this.#lanes.length < this.#maxLanes) {
      const lane = this.#newLane();
      this.#lanes.push(lane);
      return lane;
    }
    return this.#lanes.reduce((best, lane) => (lane.inFlight < best.inFlight ? lane : best));
  }

  #newLane(): Lane {
    this.#opened++;
    return { transport: this.#open(this.#options), inFlight: 0, receivesInFlight: 0 };
  }
}

/** The user answers a trust question once per session, not once per connection (concurrent asks share it). */
function shareTrustAnswers(tls: TlsSettings): TlsSettings {
  const ask = tls.askTrust;
  if (ask === undefined) return tls;
  const answers = new Map<string, Promise<TrustAnswer>>();
  return {
    ...tls,
    askTrust: (request) => {
      const key = request.chain[0]?.fingerprintSha256 ?? '';
      let answer = answers.get(key);
      if (answer === undefined) {
        answer = ask(request);
        answers.set(key, answer);
      }
      return answer;
    },
  };
}
