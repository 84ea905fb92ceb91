import type { Buffer } from 'node:buffer';
import { X509Certificate } from 'node:crypto';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type DetailedPeerCertificate, type SecureVersion, type TLSSocket } from 'node:tls';
import { UsageError } from '../../core/errors';
import { tlsServerEndPoint } from './channel-bindings';
import type { ClientCertificate } from './client-certificate';
import { sha256Fingerprint } from './certificates';
import { verifyServerChain } from './chain-verification';
import { ConnectError, ProxyError, UntrustedCertificateError } from './errors';
import { HttpResponseReader, type HttpResponse, type ResponseLimits } from './http-message';
import type { TrustAnswer, TrustPolicy, TrustRequest } from './trust-policy';

/**
 * One TCP or TLS connection that carries HTTP/1.1 exchanges one at a time. The transport owns exactly one
 * per session and knows when it is replaced (`id` changes), because connection-bound authentication lives
 * and dies with the socket.
 */

export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
}

/** Opens the TCP stream under HTTP or TLS. The seam for proxies: a CONNECT tunnel is a socket too. */
export type TcpConnector = (target: ConnectTarget, timeoutMs: number) => Promise<Socket>;

export const directTcpConnector: TcpConnector = (target, timeoutMs) =>
  new Promise((resolve, reject) => {
    const socket = netConnect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`no connection within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.on('error', ignoreSocketError);
      resolve(socket);
    });
  });

/**
 * Every socket keeps an 'error' listener for its whole life (an unhandled one would crash the process);
 * the failure itself is reported by whoever waits on the socket, from its 'close'.
 */
function ignoreSocketError(): void {}

export interface TlsSettings {
  readonly trust: TrustPolicy;
  /** Answers a trust request (a dialog, a prompt). Absent: an untrusted certificate fails the connection. */
  readonly askTrust?: (request: TrustRequest) => Promise<TrustAnswer>;
  /** Default TLSv1.2. */
  readonly minVersion?: SecureVersion;
}

export interface TlsConnectionInfo {
  readonly protocol: string;
  readonly cipher: string;
  readonly peerCertificate: X509Certificate;
  /** RFC 5929 tls-server-end-point application data for AuthConnectionInfo. */
  readonly channelBindings: Uint8Array;
  readonly trustBasis: 'chain' | 'pin' | 'user';
}

export interface OpenOptions {
  readonly target: ConnectTarget;
  /** HTTP when undefined. */
  readonly tls:
    | {
        readonly settings: TlsSettings;
        /** The name certificates are checked against, and the SNI when it is not an IP literal. */
        readonly hostName: string;
        readonly clientCertificate: ClientCertificate | undefined;
        /** Leaf fingerprints the user accepted during this session: not asked about again on reconnect. */
        readonly acceptedThisSession: Set<string>;
      }
    | undefined;
  readonly connectTimeoutMs: number;
  readonly connector: TcpConnector;
  readonly limits: ResponseLimits;
  readonly now: () => Date;
  /** For error messages. */
  readonly endpoint: string;
}

/** Why an exchange failed; the transport decides what to do (reconnect, replay, report). */
export class ExchangeFailure extends Error {
  override readonly name = 'ExchangeFailure';

  constructor(
    /** not-sent: the connection was already closed, the request never left; lost: it broke mid-exchange. */
    readonly kind: 'not-sent' | 'lost' | 'timeout',
    /** Response bytes received before the failure (0: the server had not begun to answer). */
    readonly receivedBytes: number,
    message: string,
  ) {
    super(message);
  }
}

let nextConnectionId = 1;

interface PendingExchange {
  readonly reader: HttpResponseReader;
  readonly resolve: (response: HttpResponse) => void;
  readonly reject: (error: Error) => void;
}

export class HttpConnection {
  readonly id = nextConnectionId++;
  #open = true;
  #pending: PendingExchange | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly tls: TlsConnectionInfo | undefined,
    private readonly limits: ResponseLimits,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onClosed());
    socket.on('close', () => this.#onClosed());
    socket.on('error', () => this.#onClosed());
    socket.on('timeout', () => this.#fail(new ExchangeFailure('timeout', this.#received, 'read timeout')));
  }

  static async open(options: OpenOptions): Promise<HttpConnection> {
    for (let attempt = 1; ; attempt++) {
      const deadline = Date.now() + options.connectTimeoutMs;
      const tcp = await options.connector(options.target, options.connectTimeoutMs).catch((error: unknown) => {
        const message = describeConnectFailure(options.target, error, options.connectTimeoutMs);
        throw new ConnectError(message, options.endpoint, { cause: error });
      });
      if (options.tls === undefined) return new HttpConnection(tcp, undefined, options.limits);
      const { socket, info, userAsked } = await secureConnection(tcp, options.tls, deadline, options);
      if (!userAsked || attempt === 2) return new HttpConnection(socket, info, options.limits);
      // The connection sat idle while the user decided, and the server may have timed it out: start afresh;
      // the answer is remembered for this session, so the new connection is not asked about again.
      socket.destroy();
    }
  }

  /** Whether the socket can carry another request (the peer has not closed it, no failure). */
  get isOpen(): boolean {
    return this.#open;
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  /** Sends one request and reads its response; the read timeout applies to each wait for bytes. */
  exchange(request: Uint8Array, readTimeoutMs: number): Promise<HttpResponse> {
    if (!this.#open) return Promise.reject(new ExchangeFailure('not-sent', 0, 'the connection is closed'));
    if (this.#pending !== undefined) throw new UsageError('HttpConnection carries one exchange at a time');
    return new Promise<HttpResponse>((resolve, reject) => {
      this.#pending = { reader: new HttpResponseReader(this.limits), resolve, reject };
      this.socket.setTimeout(readTimeoutMs);
      this.socket.write(request);
    });
  }

  close(): void {
    this.#open = false;
    this.socket.destroy();
    this.#fail(new ExchangeFailure('lost', this.#received, 'the connection was closed locally'));
  }

  get #received(): number {
    return this.#pending?.reader.receivedBytes ?? 0;
  }

  #onData(chunk: Buffer): void {
    const pending = this.#pending;
    if (pending === undefined) {
      // Bytes nobody asked for: the stream is out of step, so it cannot carry another request.
      this.#open = false;
      this.socket.destroy();
      return;
    }
    let response: HttpResponse | undefined;
    try {
      response = pending.reader.push(chunk);
    } catch (error) {
      this.#fail(error as Error);
      return;
    }
    if (response !== undefined) this.#complete(response);
  }

  #onClosed(): void {
    this.#open = false;
    const pending = this.#pending;
    if (pending === undefined) return;
    let response: HttpResponse;
    try {
      response = pending.reader.end();
    } catch (error) {
      this.#fail(new ExchangeFailure('lost', pending.reader.receivedBytes, (error as Error).message));
      return;
    }
    this.#complete(response);
  }

  #complete(response: HttpResponse): void {
    const pending = this.#pending!;
    this.#pending = undefined;
    this.socket.setTimeout(0);
    if (!response.keepAlive) {
      this.#open = false;
      this.socket.destroy();
    }
    pending.resolve(response);
  }

  #fail(error: Error): void {
    const pending = this.#pending;
    this.#pending = undefined;
    this.#open = false;
    this.socket.destroy();
    pending?.reject(error);
  }
}

/**
 * TLS with our own trust decision. The handshake runs with `rejectUnauthorized: false` for this one socket
 * so that an untrusted chain reaches our policy (and a trust dialog) instead of ending in an opaque error;
 * what keeps that safe is the order: after 'secureConnect' the socket has no 'data' listener and we write
 * nothing until the policy (or the user) has accepted the certificate, so no application byte crosses an
 * unaccepted connection in either direction. The presented chain comes from getPeerCertificate(true), the
 * certificates the server sent. One disclosure remains inherent to TLS: a client certificate, when
 * configured, is sent during the handshake, before our decision (TLS 1.3 sends it encrypted).
 */
async function secureConnection(
  tcp: Socket,
  options: NonNullable<OpenOptions['tls']>,
  deadline: number,
  open: OpenOptions,
): Promise<{ socket: TLSSocket; info: TlsConnectionInfo; userAsked: boolean }> {
  const bareHost = options.hostName.replace(/^\[(.*)\]$/, '$1');
  const socket = tlsConnect({
    socket: tcp,
    servername: isIP(bareHost) === 0 ? bareHost : undefined,
    rejectUnauthorized: false,
    minVersion: options.settings.minVersion ?? 'TLSv1.2',
    ...options.clientCertificate?.tlsOptions,
  });
  socket.on('error', ignoreSocketError);
  try {
    await handshake(socket, Math.max(1, deadline - Date.now()));
  } catch (error) {
    socket.destroy();
    throw new ConnectError(describeHandshakeFailure(open.target, error), open.endpoint, { cause: error });
  }
  const certificates = presentedChain(socket);
  const leaf = certificates[0];
  if (leaf === undefined) {
    socket.destroy();
    throw new ConnectError(
      `the TLS server at ${open.target.host}:${open.target.port} presented no certificate`,
      open.endpoint,
    );
  }
  const { basis: trustBasis, userAsked } = await decideTrust(socket, certificates, options, open);
  // A TLS 1.2 renegotiation could present another server certificate after our decision, and Node offers no
  // hook to re-check it. Windows (HTTP.sys) renegotiates only to ask for a client certificate, so it stays
  // allowed for certificate authentication and is refused otherwise.
  if (options.clientCertificate === undefined) socket.disableRenegotiation();
  return {
    socket,
    userAsked,
    info: {
      protocol: socket.getProtocol() ?? 'unknown',
      cipher: socket.getCipher().name,
      peerCertificate: leaf,
      channelBindings: tlsServerEndPoint(new Uint8Array(leaf.raw)),
      trustBasis,
    },
  };
}

async function decideTrust(
  socket: TLSSocket,
  certificates: readonly X509Certificate[],
  options: NonNullable<OpenOptions['tls']>,
  open: OpenOptions,
): Promise<{ basis: TlsConnectionInfo['trustBasis']; userAsked: boolean }> {
  const refuse = (request: TrustRequest, detail?: string): never => {
    socket.destroy();
    throw new UntrustedCertificateError(request, open.endpoint, detail);
  };
  const decision = options.settings.trust.evaluate({ hostName: options.hostName, certificates, now: open.now() });
  if (decision.kind === 'accept') return { basis: decision.basis, userAsked: false };
  if (decision.kind === 'reject') return refuse(decision.request);
  const leafFingerprint = sha256Fingerprint(certificates[0]!);
  if (options.acceptedThisSession.has(leafFingerprint)) return { basis: 'user', userAsked: false };
  if (options.settings.askTrust === undefined) return refuse(decision.request);
  const answer = await options.settings.askTrust(decision.request);
  if (answer.kind === 'reject') return refuse(decision.request, 'You declined it.');
  if (answer.kind === 'trust-ca') {
    const { anchored } = verifyServerChain({
      presented: certificates,
      anchors: [answer.certificate],
      hostName: options.hostName,
      now: open.now(),
    });
    if (!anchored) return refuse(decision.request, 'The CA you chose did not issue this certificate.');
  }
  options.acceptedThisSession.add(leafFingerprint);
  return { basis: 'user', userAsked: true };
}

function handshake(socket: TLSSocket, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve();
    });
  });
}

/** The leaf and the rest of what the server sent, following issuer links until they repeat. */
function presentedChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (current?.raw !== undefined && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describeConnectFailure(target: ConnectTarget, error: unknown, timeoutMs: number): string {
  if (error instanceof ProxyError) return error.message;
  const where = `${target.host}:${target.port}`;
  switch (errorCode(error)) {
    case 'ECONNREFUSED':
      return `could not connect to ${where}: connection refused — check the port (5985 HTTP, 5986 HTTPS) and that a WinRM listener runs there`;
    case 'ETIMEDOUT':
      return `could not connect to ${where} within ${timeoutMs / 1000} s — check the address, the port and firewalls`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${target.host} does not resolve — check the spelling or DNS`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${target.host} is unreachable from this machine — check the network or VPN`;
    default:
      return `could not connect to ${where}: ${(error as Error).message}`;
  }
}

function describeHandshakeFailure(target: ConnectTarget, error: unknown): string {
  const message = (error as Error).message;
  const where = `${target.host}:${target.port}`;
  if (/wrong version number|packet length too long|http request/i.test(message)) {
    return `the TLS handshake with ${where} failed: it does not speak TLS — is it the HTTP port (5985)? Use http:// or the HTTPS port (5986)`;
  }
  if (/certificate required|bad certificate|unknown ca|access denied/i.test(message)) {
    return `the server at ${where} refused the TLS client certificate (${message}) — check that it is issued by a CA the server trusts`;
  }
  return `the TLS handshake with ${where} failed: ${message}`;
}
