import { Buffer } from 'node:buffer';
import net from 'node:net';
import { ProtocolError } from '../../core/errors';

/**
 * Kerberos over TCP (RFC 4120 §7.2.2): each message is preceded by its length as a 4-byte big-endian
 * integer whose top bit is reserved, one request and one reply per connection. UDP is not used:
 * AD replies with PACs outgrow it (KRB_ERR_RESPONSE_TOO_BIG) and TCP is what every KDC serves.
 */

export class KdcFramingError extends ProtocolError {
  override readonly name = 'KdcFramingError';
}

/** A KDC endpoint: host name or address and TCP port. */
export interface KdcAddress {
  readonly host: string;
  readonly port: number;
}

export const KERBEROS_PORT = 88;
/** The largest reply accepted; AD tickets with big PACs stay far below it. */
const MAX_REPLY_BYTES = 1 << 20;
const RESERVED_LENGTH_BIT = 0x80000000;

/** `host`, `host:port`, `[v6]:port`, `v6`, with MIT's optional `tcp/` or `udp/` prefix. */
export function parseKdcAddress(text: string): KdcAddress {
  const spec = text.trim().replace(/^(tcp|udp)\//i, '');
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  if (bracketed !== null) return { host: bracketed[1]!, port: portOf(bracketed[2], text) };
  const colons = spec.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = spec.split(':') as [string, string];
    return { host, port: portOf(port, text) };
  }
  if (spec === '') throw new RangeError('empty KDC address');
  return { host: spec, port: KERBEROS_PORT };
}

function portOf(text: string | undefined, address: string): number {
  if (text === undefined) return KERBEROS_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`bad port in KDC address ${address}`);
  return port;
}

export const formatKdcAddress = (address: KdcAddress): string =>
  address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;

/** Sends `request` to one KDC and resolves with its reply; rejects on connection failure or timeout. */
export function exchangeWithKdc(address: KdcAddress, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address.host, port: address.port });
    const chunks: Buffer[] = [];
    let received = 0;
    let expected: number | undefined;
    const finish = (error: Error | undefined, reply?: Uint8Array) => {
      socket.destroy();
      if (error === undefined) resolve(reply!);
      else reject(error);
    };
    socket.setTimeout(timeoutMs, () =>
      finish(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    socket.once('error', (error) => finish(error));
    socket.once('connect', () => {
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(request.length);
      socket.write(Buffer.concat([prefix, request]));
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (expected === undefined && received >= 4) {
        const length = Buffer.concat(chunks).readUInt32BE(0);
        if ((length & RESERVED_LENGTH_BIT) !== 0 || length > MAX_REPLY_BYTES) {
          finish(
            new KdcFramingError(`the KDC at ${formatKdcAddress(address)} announced a reply of ${length >>> 0} bytes`),
          );
          return;
        }
        expected = length;
      }
      if (expected !== undefined && received >= 4 + expected) {
        finish(undefined, new Uint8Array(Buffer.concat(chunks).subarray(4, 4 + expected)));
      }
    });
    socket.once('end', () =>
      finish(new KdcFramingError(`the KDC at ${formatKdcAddress(address)} closed the connection mid-reply`)),
    );
  });
}
