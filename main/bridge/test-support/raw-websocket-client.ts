import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { encodeFrame, OPCODE } from '../websocket-frames';

/** A frame the server sent (unmasked), as the test reads it. */
export interface ServerFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/**
 * A deliberately low-level WebSocket client for tests: it writes the upgrade request with whatever
 * headers a test chooses and raw frames, and reads the server's answer and frames as they are.
 */
export class RawWebSocketClient {
  readonly frames: ServerFrame[] = [];
  statusLine = '';
  headers: Record<string, string> = {};
  #buffer = Buffer.alloc(0);
  #upgraded = false;
  #closed: Promise<void>;
  #waiters: (() => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (bytes: Buffer) => this.#receive(bytes));
    this.#closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
  }

  static async open(port: number, requestHead: string): Promise<RawWebSocketClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawWebSocketClient(socket);
    socket.write(requestHead);
    await client.until(() => client.statusLine !== '' || client.socket.destroyed);
    return client;
  }

  static upgradeRequest(options: {
    path: string;
    host: string;
    origin?: string;
    extraHeaders?: Record<string, string>;
  }): string {
    const headers: Record<string, string> = {
      Host: options.host,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Version': '13',
      ...(options.origin === undefined ? {} : { Origin: options.origin }),
      ...options.extraHeaders,
    };
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
    return `GET ${options.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
  }

  sendText(text: string): void {
    this.sendRaw(encodeFrame(OPCODE.text, Buffer.from(text, 'utf8'), { mask: randomBytes(4) }));
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Resolves once `condition` holds after some data arrived (or at once when it already does). */
  async until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the server');
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** The JSON of each text frame received so far. */
  get messages(): unknown[] {
    return this.frames
      .filter((frame) => frame.opcode === OPCODE.text)
      .map((frame) => JSON.parse(frame.payload.toString('utf8')));
  }

  get closed(): Promise<void> {
    return this.#closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #receive(bytes: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, bytes]);
    if (!this.#upgraded) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...headerLines] = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
      this.statusLine = statusLine;
      this.headers = Object.fromEntries(
        headerLines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      this.#buffer = this.#buffer.subarray(end + 4);
      this.#upgraded = true;
    }
    for (;;) {
      if (this.#buffer.length < 2) break;
      let length = (this.#buffer[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffer.length < 4) break;
        length = this.#buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.#buffer.length < 10) break;
        length = Number(this.#buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.#buffer.length < offset + length) break;
      this.frames.push({
        opcode: (this.#buffer[0] as number) & 0x0f,
        payload: Buffer.from(this.#buffer.subarray(offset, offset + length)),
      });
      this.#buffer = this.#buffer.subarray(offset + length);
    }
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}
