import type { Buffer } from 'node:buffer';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors';
import { ProxyError } from './errors';
import { httpProxyConnector } from './http-proxy';

// A proxy that misbehaves on purpose: tinyproxy, the real peer of e2e/protocol/proxy.test.ts, answers CONNECT
// correctly, so lies (garbage, an endless head, silence, bytes after the answer) need this fake on loopback.

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A fake proxy that hands each CONNECT request it reads to `answer`, and the requests it read. */
async function fakeProxy(
  answer: (socket: Socket, request: string) => void,
): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((socket) => {
    let text = '';
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!text.endsWith('\r\n\r\n')) return;
      requests.push(text);
      answer(socket, text);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, requests };
}

const server = { host: 'win-lab.lab.test', port: 5986 };

async function proxyFailure(answer: (socket: Socket) => void, timeoutMs = 10_000): Promise<ProxyError> {
  const proxy = await fakeProxy(answer);
  const error = await httpProxyConnector(proxy.url)(server, timeoutMs).then(
    (socket) => {
      socket.destroy();
      throw new Error('the tunnel opened');
    },
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(ProxyError);
  return error as ProxyError;
}

describe('httpProxyConnector', () => {
  it('asks for a tunnel with CONNECT host:port and a Host field, IPv6 in brackets, and returns the tunnel', async () => {
    const proxy = await fakeProxy((socket) => {
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
      socket.once('data', (chunk: Buffer) => socket.write(`echo ${chunk.toString('latin1')}`));
    });
    const tunnel = await httpProxyConnector(proxy.url)({ host: '::1', port: 5985 }, 10_000);
    expect(proxy.requests).toEqual(['CONNECT [::1]:5985 HTTP/1.1\r\nHost: [::1]:5985\r\n\r\n']);
    // The socket now carries the server's bytes, nothing of the proxy's answer left in it.
    const echoed = new Promise<string>((resolve) => tunnel.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    tunnel.write('hello');
    expect(await echoed).toBe('echo hello');
    tunnel.destroy();
  });

  it('refuses a status line that is not HTTP', async () => {
    const error = await proxyFailure((socket) => socket.write('SSH-2.0-OpenSSH_9.2\r\n\r\n'));
    expect(error.message).toMatch(
      /^the proxy 127\.0\.0\.1:\d+ answered CONNECT with something other than HTTP: not an HTTP\/1\.x status line: "SSH-2\.0/,
    );
  });

  it('refuses an answer whose head never ends instead of buffering it', async () => {
    const error = await proxyFailure((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      for (let i = 0; i < 1000; i++) socket.write(`X-Padding-${i}: ${'x'.repeat(64)}\r\n`);
    });
    expect(error.message).toMatch(/something other than HTTP: the response head exceeds 16384 bytes$/);
  });

  it('reports a proxy that closes without answering, and one that never answers within the connect timeout', async () => {
    expect((await proxyFailure((socket) => socket.end())).message).toMatch(
      /^the proxy 127\.0\.0\.1:\d+ closed the connection without answering CONNECT win-lab\.lab\.test:5986$/,
    );
    expect((await proxyFailure(() => {}, 300)).message).toMatch(
      /^the proxy 127\.0\.0\.1:\d+ did not answer CONNECT win-lab\.lab\.test:5986 within 0\.3 s$/,
    );
  });

  it('refuses bytes after a 200: neither TLS nor HTTP lets the server speak first', async () => {
    const error = await proxyFailure((socket) => socket.write('HTTP/1.1 200 OK\r\n\r\nSURPRISE'));
    expect(error).toMatchObject({ status: 200, message: expect.stringMatching(/sent bytes after its answer/) });
  });

  it('names the status of a refusal, with what it likely means', async () => {
    const error = await proxyFailure((socket) => socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
    expect(error).toMatchObject({ status: 502 });
    expect(error.message).toMatch(
      /^the proxy 127\.0\.0\.1:\d+ refused the tunnel to win-lab\.lab\.test:5986 \(HTTP 502 Bad Gateway\) — the proxy could not reach the server/,
    );
  });

  it('accepts only http:// proxy URLs without credentials', () => {
    expect(() => httpProxyConnector('https://proxy:3128')).toThrow(UsageError);
    expect(() => httpProxyConnector('http://bob:pw@proxy:3128')).toThrow(UsageError);
    expect(() => httpProxyConnector('proxy:3128')).toThrow(UsageError);
  });
});
