import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { UsageError } from '../../core/errors';
import { ProxyError } from './errors';
import { directTcpConnector, type ConnectTarget, type TcpConnector } from './http-connection';
import { splitResponseHead } from './http-message';

/**
 * Connections through an HTTP proxy, as WinRM clients make them: a CONNECT tunnel (RFC 9110 §9.3.6) to the
 * server's host and port, over which the transport then speaks TLS or HTTP exactly as on a direct connection.
 *
 * HTTP endpoints are tunnelled too rather than sent as absolute-form requests: NTLM, Kerberos and CredSSP
 * authenticate the TCP connection, and only a tunnel guarantees that every request of a session reaches the
 * server on the one connection it authenticated (a forwarding proxy may spread requests over its own pool of
 * server connections). It also keeps the proxy from seeing anything but the bytes it relays.
 */

/** A CONNECT answer is a status line and a few header fields; a longer head is not a proxy speaking HTTP. */
const MAX_CONNECT_RESPONSE_HEAD_BYTES = 16 * 1024;

/** The host and port written in CONNECT's request target and Host field: `host:port`, IPv6 in brackets. */
const authorityOf = ({ host, port }: ConnectTarget) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** The proxy of `proxyUrl` (`http://proxy:3128`) as a TcpConnector for the transport. */
export function httpProxyConnector(proxyUrl: string): TcpConnector {
  const proxy = proxyTarget(proxyUrl);
  return async (target, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    const socket = await directTcpConnector(proxy, timeoutMs).catch((error: unknown) => {
      throw new ProxyError(describeProxyConnectFailure(proxy, error, timeoutMs), undefined, { cause: error });
    });
    try {
      await openTunnel(socket, proxy, target, { remainingMs: Math.max(1, deadline - Date.now()), timeoutMs });
    } catch (error) {
      socket.destroy();
      throw error;
    }
    return socket;
  };
}

function proxyTarget(proxyUrl: string): ConnectTarget {
  let url: URL;
  try {
    url = new URL(proxyUrl);
  } catch {
    throw new UsageError(`${JSON.stringify(proxyUrl)} is not a proxy URL such as http://proxy:3128`);
  }
  if (url.protocol !== 'http:') {
    throw new UsageError(`only http:// proxies are supported, not ${url.protocol}// (TLS to the proxy)`);
  }
  if (url.username !== '' || url.password !== '') throw new UsageError('the proxy URL must not carry credentials');
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 80 : Number(url.port) };
}

/**
 * Asks the proxy for a tunnel to `target` and reads its answer, in a bounded head and within what remains of the
 * connect timeout (`timeoutMs`, the whole of it, is what the message names).
 */
function openTunnel(
  socket: Socket,
  proxy: ConnectTarget,
  target: ConnectTarget,
  { remainingMs, timeoutMs }: { remainingMs: number; timeoutMs: number },
): Promise<void> {
  const where = authorityOf(target);
  const proxyName = `the proxy ${authorityOf(proxy)}`;
  return new Promise<void>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (error?: ProxyError) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      let split: ReturnType<typeof splitResponseHead>;
      try {
        split = splitResponseHead(received, MAX_CONNECT_RESPONSE_HEAD_BYTES);
      } catch (error) {
        const what = `${proxyName} answered CONNECT with something other than HTTP: ${(error as Error).message}`;
        finish(new ProxyError(what, undefined, { cause: error }));
        return;
      }
      if (split === undefined) return;
      const { head, rest } = split;
      if (head.status >= 200 && head.status < 300 && rest.length === 0) finish();
      // Neither TLS nor HTTP lets the server speak first: bytes after the answer are the proxy's, out of step.
      else if (head.status >= 200 && head.status < 300)
        finish(new ProxyError(`${proxyName} sent bytes after its answer to CONNECT`, head.status));
      else finish(new ProxyError(refusal(proxyName, where, target.port, head.status, head.reason), head.status));
    };
    const onClose = () =>
      finish(new ProxyError(`${proxyName} closed the connection without answering CONNECT ${where}`));
    const timer = setTimeout(
      () => finish(new ProxyError(`${proxyName} did not answer CONNECT ${where} within ${timeoutMs / 1000} s`)),
      remainingMs,
    );
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.write(Buffer.from(`CONNECT ${where} HTTP/1.1\r\nHost: ${where}\r\n\r\n`, 'latin1'));
  });
}

function refusal(proxyName: string, where: string, port: number, status: number, reason: string): string {
  const answer = `HTTP ${status}${reason === '' ? '' : ` ${reason}`}`;
  if (status === 407) {
    return `${proxyName} asks for credentials (${answer}), which the app does not support yet: use a proxy that lets this machine through without them, or connect directly`;
  }
  const hint: Record<number, string> = {
    403: ` — it may not allow tunnels to port ${port}`,
    502: ' — the proxy could not reach the server: check the host address and port',
    503: ' — the proxy could not reach the server: check the host address and port',
    504: ' — the server did not answer the proxy in time',
  };
  return `${proxyName} refused the tunnel to ${where} (${answer})${hint[status] ?? ''}`;
}

function describeProxyConnectFailure(proxy: ConnectTarget, error: unknown, timeoutMs: number): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ETIMEDOUT'
        ? `no connection within ${timeoutMs / 1000} s`
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'its name does not resolve'
          : (error as Error).message;
  return `could not connect to the proxy ${authorityOf(proxy)}: ${reason} — check the proxy URL in the host's advanced settings`;
}
