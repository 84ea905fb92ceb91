import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AppContract } from '../../core/contract/app-contract';
import type { ContractImplementation } from '../../core/contract/definition';
import type { ContractLogger } from '../../core/contract/server';
import { ContractServer } from '../../core/contract/server';
import { contentSecurityPolicy } from './content-security-policy';
import { serveStaticFile } from './static-files';
import { WebSocketConnection } from './websocket-connection';
import type { FrameLimits } from './websocket-frames';
import { CLOSE_CODE, DEFAULT_FRAME_LIMITS } from './websocket-frames';
import { checkUpgradeRequest } from './websocket-handshake';

/** Where the page connects back: `ws://127.0.0.1:<port>/contract?token=…`. */
export const CONTRACT_PATH = '/contract';
const LOOPBACK = '127.0.0.1';

export interface BridgeOptions {
  /** The built renderer (dist/renderer). */
  readonly rendererDirectory: string;
  readonly services: ContractImplementation<AppContract>;
  readonly contract: AppContract;
  readonly logger: ContractLogger;
  /** 0 (the default) lets the OS choose. */
  readonly port?: number;
  /** Random per run by default; tests pass their own. */
  readonly token?: string;
  readonly limits?: FrameLimits;
}

export interface RunningBridge {
  /** What to open in a browser: the page, with the token in the fragment (never sent in a request line). */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  /** Closes every connection and the listening socket. */
  close(): Promise<void>;
}

/**
 * The web bridge (DESIGN.md §2.2): the built renderer over HTTP and the contract over a WebSocket, on
 * 127.0.0.1 only. Static files need no token (they hold nothing secret, and a page must load before it
 * can read its token); the WebSocket — the only way to the services — needs the token, this origin and
 * this Host. Responses carry a strict CSP and no CORS headers.
 */
export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = `${LOOPBACK}:${port}`;
  const origin = `http://${host}`;
  const headers = securityHeaders(`ws://${host}`);
  const contract = new ContractServer(options.contract, options.services, {
    logger: options.logger,
    isAllowedSender: (sender) => sender.origin === origin,
  });
  const connections = new Set<WebSocketConnection>();

  server.on('request', (request, response) => {
    serveStaticFile(request, response, { rootDirectory: options.rendererDirectory, headers, host }).catch(
      (error: unknown) => {
        options.logger.error('bridge: serving a file failed', { error: String(error) });
        response.destroy();
      },
    );
  });

  server.on('upgrade', (request, socket: Duplex, head: Buffer) => {
    const check = checkUpgradeRequest(request, { host, origin, path: CONTRACT_PATH, token });
    if (!check.ok) {
      options.logger.warn('bridge: refused a WebSocket connection', {
        reason: check.reason,
        remote: request.socket.remoteAddress,
      });
      const extra = check.status === 426 ? 'Sec-WebSocket-Version: 13\r\n' : '';
      socket.end(
        `HTTP/1.1 ${check.status} ${STATUS_TEXT[check.status]}\r\n${extra}Connection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${check.acceptValue}\r\n\r\n`,
    );
    const connection = new WebSocketConnection(socket, head, {
      limits: options.limits ?? DEFAULT_FRAME_LIMITS,
      reportProblem: (problem) => options.logger.warn(`bridge: ${problem}`),
    });
    connections.add(connection);
    const served = contract.accept(connection, {
      origin,
      description: `WebSocket from ${request.socket.remotePort ?? '?'}`,
    });
    connection.onClose(() => {
      served.dispose();
      connections.delete(connection);
    });
  });

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    close: async () => {
      for (const connection of connections) connection.close(CLOSE_CODE.goingAway, 'WinRM Desk is stopping');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

const STATUS_TEXT: Readonly<Record<400 | 403 | 404 | 426, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  426: 'Upgrade Required',
};

function securityHeaders(connectSource: string): Readonly<Record<string, string>> {
  return {
    'Content-Security-Policy': contentSecurityPolicy([connectSource]),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), bluetooth=()',
  };
}
