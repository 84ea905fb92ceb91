import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { exchangeWithKdc, formatKdcAddress, KdcFramingError, parseKdcAddress } from './kdc-transport';

const servers: net.Server[] = [];
afterEach(() => servers.splice(0).forEach((server) => server.close()));

/** A KDC stand-in on 127.0.0.1 that answers each connection with `respond(request)`. */
async function fakeKdc(respond: (request: Buffer, socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) respond(buffer.subarray(4), socket);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

const framed = (payload: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, payload.length]), payload]);

describe('KDC over TCP', () => {
  it.each([
    ['kdc.lab.test', 'kdc.lab.test', 88],
    ['127.0.0.1:61088', '127.0.0.1', 61088],
    ['tcp/kdc:750', 'kdc', 750],
    ['[::1]:8888', '::1', 8888],
    ['[fe80::1]', 'fe80::1', 88],
    ['fe80::1', 'fe80::1', 88],
  ])('parses %j', (text, host, port) => {
    expect(parseKdcAddress(text)).toEqual({ host, port });
  });

  it('formats IPv6 addresses with brackets and refuses bad ports', () => {
    expect(formatKdcAddress({ host: '::1', port: 88 })).toBe('[::1]:88');
    expect(() => parseKdcAddress('kdc:0')).toThrow(RangeError);
  });

  it('sends the request with its 4-byte length and reads a reply split across packets', async () => {
    let seen: Buffer | undefined;
    const port = await fakeKdc((request, socket) => {
      seen = Buffer.from(request);
      const reply = framed(Buffer.from('the reply'));
      socket.write(reply.subarray(0, 3));
      setTimeout(() => socket.end(reply.subarray(3)), 10);
    });
    const reply = await exchangeWithKdc({ host: '127.0.0.1', port }, new TextEncoder().encode('request'), 2000);
    expect(seen?.toString()).toBe('request');
    expect(Buffer.from(reply).toString()).toBe('the reply');
  });

  it('refuses a length with the reserved bit or beyond the limit, and a reply cut short', async () => {
    const reserved = await fakeKdc((_request, socket) => socket.end(Buffer.from([0x80, 0, 0, 1, 0])));
    await expect(exchangeWithKdc({ host: '127.0.0.1', port: reserved }, new Uint8Array(1), 2000)).rejects.toThrow(
      KdcFramingError,
    );
    const short = await fakeKdc((_request, socket) => socket.end(Buffer.from([0, 0, 0, 9, 1, 2])));
    await expect(exchangeWithKdc({ host: '127.0.0.1', port: short }, new Uint8Array(1), 2000)).rejects.toThrow(
      /closed the connection mid-reply/,
    );
  });

  it('times out on a silent KDC and reports a refused connection', async () => {
    const silent = await fakeKdc(() => undefined);
    await expect(exchangeWithKdc({ host: '127.0.0.1', port: silent }, new Uint8Array(1), 50)).rejects.toMatchObject({
      code: 'ETIMEDOUT',
    });
    await expect(exchangeWithKdc({ host: '127.0.0.1', port: 1 }, new Uint8Array(1), 2000)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});
