import type { Duplex } from 'node:stream';
import type { Disposable, MessageTransport } from '../../core/contract/transport';
import type { FrameLimits } from './websocket-frames';
import {
  CLOSE_CODE,
  DEFAULT_FRAME_LIMITS,
  encodeCloseFrame,
  encodeFrame,
  encodeTextFrame,
  OPCODE,
  WebSocketFrameDecoder,
  WebSocketProtocolError,
} from './websocket-frames';

/** How long a closing connection waits for the peer's close frame before dropping the socket. */
const CLOSE_TIMEOUT_MS = 2_000;

export interface WebSocketConnectionOptions {
  readonly limits?: FrameLimits;
  /** Told why a connection was closed on the peer's fault (protocol errors, messages that are not JSON). */
  readonly reportProblem?: (problem: string) => void;
}

/**
 * One accepted WebSocket as the contract's transport: each text message is one JSON value. Pings are
 * answered, a close is echoed, and a protocol violation closes the connection with its code. `onClose`
 * fires once, whoever closed.
 */
export class WebSocketConnection implements MessageTransport {
  readonly #decoder: WebSocketFrameDecoder;
  readonly #messageListeners = new Set<{ readonly listener: (message: unknown) => void }>();
  readonly #closeListeners = new Set<() => void>();
  #state: 'open' | 'closing' | 'closed' = 'open';

  constructor(
    private readonly socket: Duplex,
    head: Uint8Array,
    private readonly options: WebSocketConnectionOptions = {},
  ) {
    this.#decoder = new WebSocketFrameDecoder(options.limits ?? DEFAULT_FRAME_LIMITS);
    socket.on('data', (bytes: Buffer) => this.#receive(bytes));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#closed());
    if (head.length > 0) queueMicrotask(() => this.#receive(head));
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  post(message: unknown): void {
    if (this.#state !== 'open') return;
    // Messages posted in one turn of the event loop (a Receive's worth of terminal events) leave in one write.
    if (!this.socket.writableCorked) {
      this.socket.cork();
      process.nextTick(() => this.socket.uncork());
    }
    this.socket.write(encodeTextFrame(JSON.stringify(message)));
  }

  onMessage(listener: (message: unknown) => void): Disposable {
    const entry = { listener };
    this.#messageListeners.add(entry);
    return { dispose: () => this.#messageListeners.delete(entry) };
  }

  onClose(listener: () => void): Disposable {
    this.#closeListeners.add(listener);
    return { dispose: () => this.#closeListeners.delete(listener) };
  }

  /** Starts the closing handshake; the socket is dropped when the peer answers or after a timeout. */
  close(code: number = CLOSE_CODE.normal, reason = ''): void {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    this.socket.end(encodeCloseFrame(code, reason));
    setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS).unref();
  }

  #receive(bytes: Uint8Array): void {
    let events;
    try {
      events = this.#decoder.push(bytes);
    } catch (error) {
      if (!(error instanceof WebSocketProtocolError)) throw error;
      this.options.reportProblem?.(`websocket: ${error.message}`);
      this.close(error.closeCode, error.message);
      return;
    }
    for (const event of events) {
      switch (event.type) {
        case 'ping':
          if (this.#state === 'open') this.socket.write(encodeFrame(OPCODE.pong, event.payload));
          break;
        case 'pong':
          break;
        case 'close':
          // Echo the peer's code (RFC 6455 §5.5.1) unless we started the close ourselves.
          if (this.#state === 'open') this.close(event.code ?? CLOSE_CODE.normal);
          this.socket.end();
          break;
        case 'text':
          this.#deliver(event.text);
          break;
      }
    }
  }

  #deliver(text: string): void {
    if (this.#state !== 'open') return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.options.reportProblem?.('websocket: a message is not JSON');
      this.close(CLOSE_CODE.invalidPayload, 'messages are JSON');
      return;
    }
    for (const { listener } of [...this.#messageListeners]) listener(message);
  }

  #closed(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    for (const listener of [...this.#closeListeners]) listener();
  }
}
