import { Buffer } from 'node:buffer';
import { SOAP_CONTENT_TYPE, isEncryptedContentType, parseContentType } from '../../core/auth/encryption-framing';
import { ProtocolError, UsageError } from '../../core/errors';
import type { AuthMechanism, TransportAuthContext, TransportSealing } from './auth-mechanism';
import { summarizeCertificate, type CertificateSummary } from './certificates';
import {
  AuthenticationError,
  ConnectionLostError,
  EncryptionRequiredError,
  HttpStatusError,
  ReadTimeoutError,
} from './errors';
import {
  ExchangeFailure,
  HttpConnection,
  directTcpConnector,
  type OpenOptions,
  type TcpConnector,
  type TlsSettings,
} from './http-connection';
import { formatRequestHead, type HttpHeaders, type HttpResponse } from './http-message';
import { openMessage, sealMessage } from './message-sealing';
import { challengeToken, findChallenge, parseWwwAuthenticate, type AuthChallenge } from './www-authenticate';

/**
 * The WinRM HTTP(S) transport of one session (PROTOCOL.md §1.1, §3): POSTs SOAP envelopes over one
 * keep-alive connection, authenticates it with the session's mechanism, seals messages when the policy says
 * so, and recovers from a dropped connection or a dropped security context by reconnecting, authenticating
 * afresh and replaying the request once (a 401 is always safe to replay: the server did nothing; a broken
 * response only when the caller marks the request idempotent). Requests are serialized: HTTP/1.1 without
 * pipelining carries one at a time, and connection-bound authentication ties the session to that socket.
 */

/** What precedes the server's own words appended to an error message (callers may show them apart). */
export const SERVER_SAID = ' The server said: ';

/** auto: encrypt over HTTP when the mechanism can, never over HTTPS; always: encrypt or fail; never: plaintext. */
export type EncryptionPolicy = 'auto' | 'always' | 'never';

export interface TransportTimeouts {
  /** TCP connect plus TLS handshake (not the time a user spends on a trust dialog). */
  readonly connectMs: number;
  /** Longest wait for response bytes; must exceed the operation timeout, since Receive long-polls that long. */
  readonly readMs: number;
  /** The WS-Man OperationTimeout the session puts in its envelopes. */
  readonly operationMs: number;
}

/** Ansible's defaults (connect 30 s, read 30 s, operation 20 s). */
export const DEFAULT_TIMEOUTS: TransportTimeouts = { connectMs: 30_000, readMs: 30_000, operationMs: 20_000 };

export interface WinRMTransportOptions {
  /** `http(s)://host[:port][/path]`; the path defaults to /wsman. */
  readonly endpoint: string;
  /** The name for certificate checks and SPNs when it differs from the address connected to (`--host-name`). */
  readonly hostName?: string;
  readonly mechanism: AuthMechanism<TransportAuthContext>;
  /** Default 'auto'. */
  readonly encryption?: EncryptionPolicy;
  /**
   * Whether the mechanisms bind their authentication to the TLS channel (RFC 5929 tls-server-end-point); default
   * true. False sends no channel bindings, for servers whose CbtHardeningLevel is Relaxed or None behind a
   * TLS-terminating device that makes the bindings differ; a Strict server then refuses the authentication.
   */
  readonly channelBinding?: boolean;
  /** Required for HTTPS. */
  readonly tls?: TlsSettings;
  readonly timeouts?: Partial<TransportTimeouts>;
  readonly userAgent?: string;
  /** Largest response body accepted; default 64 MiB. */
  readonly maxResponseBytes?: number;
  /** The TCP seam (proxies); default a direct connection. */
  readonly connector?: TcpConnector;
  readonly clock?: () => Date;
}

export interface PostOptions {
  /**
   * Whether the request may be sent twice (Get, Enumerate, a Receive whose loss the caller tolerates). Only
   * such requests are replayed when the connection breaks after they were sent.
   */
  readonly idempotent?: boolean;
  /**
   * What an idempotent request's replay after a broken response sends instead of the original: the request marked
   * as a retransmission (MS-WSMV 3.1.4.1.39), so that a server which already answered resends that answer.
   */
  readonly retransmission?: Uint8Array;
}

export interface WinRMResponse {
  /** 200, or 500 with a SOAP fault body for the WS-Man layer to parse. */
  readonly status: 200 | 500;
  readonly headers: HttpHeaders;
  /** The SOAP envelope, decrypted when the response was encrypted. */
  readonly body: Uint8Array;
  readonly encrypted: boolean;
}

export interface TransportStats {
  readonly connectionsOpened: number;
  readonly authentications: number;
  readonly requests: number;
  /** Requests sent again after a dropped connection or security context. */
  readonly replays: number;
}

export interface ConnectionInfo {
  /** Changes whenever the socket does. */
  readonly id: number;
  readonly localPort: number | undefined;
  readonly tls?: {
    readonly protocol: string;
    readonly cipher: string;
    readonly peerCertificate: CertificateSummary;
    readonly channelBindings: Uint8Array;
    readonly trustBasis: 'chain' | 'pin' | 'user';
  };
}

const MAX_AUTH_LEGS = 10;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
/** A closed idle keep-alive socket is replaced this many times per request before giving up. */
const MAX_RECONNECTS = 3;

interface Session {
  readonly connection: HttpConnection;
  readonly context: TransportAuthContext;
  /** The Authorization value of a header-only mechanism (Basic, Certificate), sent with every request. */
  readonly authorization: string | undefined;
  readonly sealing: TransportSealing | undefined;
  /** Whether a request has been answered without 401 since this session authenticated. */
  proven: boolean;
}

export class WinRMTransport {
  readonly endpoint: string;
  readonly hostName: string;
  readonly timeouts: TransportTimeouts;
  /** Whether messages are sealed (HTTP message encryption). */
  readonly encrypts: boolean;
  readonly #url: URL;
  readonly #secure: boolean;
  readonly #options: WinRMTransportOptions;
  readonly #acceptedThisSession = new Set<string>();
  #session: Session | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #stats = { connectionsOpened: 0, authentications: 0, requests: 0, replays: 0 };

  constructor(options: WinRMTransportOptions) {
    this.#options = options;
    this.#url = endpointUrl(options.endpoint);
    this.endpoint = this.#url.href;
    this.#secure = this.#url.protocol === 'https:';
    this.hostName = hostNameOf(this.#url, options.hostName);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const { connectMs, readMs, operationMs } = this.timeouts;
    if (!(connectMs > 0 && readMs > 0 && operationMs > 0)) throw new UsageError('timeouts must be positive');
    if (readMs <= operationMs) {
      throw new UsageError(
        `the read timeout (${readMs} ms) must exceed the operation timeout (${operationMs} ms): Receive long-polls that long`,
      );
    }
    const mechanism = options.mechanism;
    if (mechanism.clientCertificate !== undefined && !this.#secure) {
      throw new UsageError(`${mechanism.name} authentication needs HTTPS`);
    }
    if (this.#secure && options.tls === undefined) throw new UsageError('HTTPS needs TLS settings (a trust policy)');
    this.encrypts = encryptionFor(options.encryption ?? 'auto', this.#secure, mechanism);
  }

  get stats(): TransportStats {
    return { ...this.#stats };
  }

  /** The current connection, if one is open. */
  get connection(): ConnectionInfo | undefined {
    const connection = this.#session?.connection;
    if (connection === undefined || !connection.isOpen) return undefined;
    const tls = connection.tls;
    return {
      id: connection.id,
      localPort: connection.localPort,
      ...(tls && {
        tls: {
          protocol: tls.protocol,
          cipher: tls.cipher,
          peerCertificate: summarizeCertificate(tls.peerCertificate),
          channelBindings: tls.channelBindings,
          trustBasis: tls.trustBasis,
        },
      }),
    };
  }

  /** Sends one SOAP envelope and returns the server's answer (200, or a 500 SOAP fault). */
  post(envelope: Uint8Array, options: PostOptions = {}): Promise<WinRMResponse> {
    const result = this.#queue.then(() => this.#post(envelope, options));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Closes the connection; later posts fail. */
  close(): void {
    this.#closed = true;
    this.#dropSession();
  }

  async #post(original: Uint8Array, options: PostOptions): Promise<WinRMResponse> {
    const idempotent = options.idempotent === true;
    let envelope = original;
    let replayed = false;
    for (let reconnects = 0; ;) {
      if (this.#closed) throw new UsageError('the transport is closed');
      const session = await this.#ensureSession();
      let response: HttpResponse;
      try {
        this.#stats.requests++;
        response = await session.connection.exchange(await this.#request(session, envelope), this.timeouts.readMs);
      } catch (error) {
        this.#dropSession();
        if (!(error instanceof ExchangeFailure)) throw error;
        if (error.kind === 'not-sent' && ++reconnects < MAX_RECONNECTS) continue;
        if (error.kind === 'timeout') {
          throw new ReadTimeoutError(
            `${this.#url.host} sent no response for ${this.timeouts.readMs / 1000} s — the server may be overloaded, ` +
              'or the read timeout is too close to the operation timeout',
            this.endpoint,
          );
        }
        if (idempotent && !replayed) {
          replayed = true;
          this.#stats.replays++;
          envelope = options.retransmission ?? original;
          continue;
        }
        throw new ConnectionLostError(
          `the connection to ${this.#url.host} broke before the response was complete (${error.message}); ` +
            (error.receivedBytes > 0
              ? 'the server had processed the request'
              : 'the server may have processed the request'),
          this.endpoint,
          error.receivedBytes > 0,
          { cause: error },
        );
      }
      if (response.status === 401) {
        this.#dropSession();
        if (session.proven && !replayed) {
          // The server forgot our security context (restart, idle timeout, forced re-authentication): authenticate
          // a new connection with a new context and send the request again.
          replayed = true;
          this.#stats.replays++;
          continue;
        }
        throw this.#authenticationFailed(response, session.context.httpScheme);
      }
      session.proven = true;
      return await this.#readResponse(session, response);
    }
  }

  async #ensureSession(): Promise<Session> {
    const current = this.#session;
    if (current !== undefined && current.connection.isOpen) return current;
    this.#dropSession();
    const { mechanism } = this.#options;
    const connection = await openConnection(this.#url, this.#options, this.timeouts.connectMs, {
      hostName: this.hostName,
      clientCertificate: mechanism.clientCertificate,
      acceptedThisSession: this.#acceptedThisSession,
    });
    this.#stats.connectionsOpened++;
    try {
      const context = mechanism.newContext({
        channelBindings: this.#options.channelBinding === false ? undefined : connection.tls?.channelBindings,
        targetHostName: this.hostName,
      });
      let authorization: string | undefined;
      if (context.connectionBound) {
        await this.#authenticate(connection, context);
      } else {
        const result = await context.step(undefined);
        if (result.kind !== 'complete') throw new UsageError(`${context.mechanismName} must complete in one step`);
        authorization = authorizationValue(context, result.token);
      }
      const sealing = this.encrypts ? context.sealing : undefined;
      if (this.encrypts && sealing === undefined) {
        throw new EncryptionRequiredError(
          `the ${context.mechanismName} security context cannot encrypt messages, which the encryption policy requires`,
          this.endpoint,
        );
      }
      this.#stats.authentications++;
      this.#session = { connection, context, authorization, sealing, proven: false };
      return this.#session;
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** The legs of a connection-bound mechanism, on empty-body POSTs (PROTOCOL.md §3.1, §12). */
  async #authenticate(connection: HttpConnection, context: TransportAuthContext): Promise<void> {
    let result = await context.step(undefined);
    for (let legs = 0; ; legs++) {
      if (result.token === undefined) {
        if (result.kind === 'complete') break;
        throw new UsageError(`${context.mechanismName} asked to continue without a token to send`);
      }
      if (legs === MAX_AUTH_LEGS) throw new ProtocolError(`authentication did not finish in ${MAX_AUTH_LEGS} legs`);
      const response = await this.#authenticationLeg(connection, authorizationValue(context, result.token));
      const serverToken = challengeToken(findChallenge(challengesOf(response), context.httpScheme));
      if (response.status === 401) {
        if (result.kind === 'complete' || serverToken === undefined) {
          // After the first leg the server has seen our credentials (NTLM AUTHENTICATE, SPNEGO's final token):
          // a 401 that ends the exchange refuses them, and the context can name the principal and mechanism.
          const rejected = legs > 0 ? await context.credentialsRejected?.(serverToken) : undefined;
          if (rejected === undefined) throw this.#authenticationFailed(response, context.httpScheme);
          // The server's own reason (e.g. "channel binding is required") is what tells the user what to fix.
          const said = textOf(response);
          if (said) rejected.message = `${rejected.message.replace(/\.?$/, '.')}${SERVER_SAID}${said}.`;
          throw rejected;
        }
        result = await context.step(serverToken);
        continue;
      }
      if (response.status !== 200) throw this.#statusError(response);
      if (context.complete) break;
      // The final 200 may carry the server's last token (Kerberos AP-REP: mutual authentication).
      result = await context.step(serverToken);
    }
    if (!context.complete)
      throw new ProtocolError(`the server accepted an unfinished ${context.mechanismName} handshake`);
  }

  async #authenticationLeg(connection: HttpConnection, authorization: string): Promise<HttpResponse> {
    try {
      return await connection.exchange(this.#head(SOAP_CONTENT_TYPE, 0, authorization), this.timeouts.readMs);
    } catch (error) {
      if (!(error instanceof ExchangeFailure)) throw error;
      throw new ConnectionLostError(
        `the connection to ${this.#url.host} broke during authentication (${error.message})`,
        this.endpoint,
        false,
        { cause: error },
      );
    }
  }

  async #request(session: Session, envelope: Uint8Array): Promise<Uint8Array> {
    if (session.sealing !== undefined) {
      const message = await sealMessage(envelope, session.sealing);
      return concat(this.#head(message.contentType, message.body.length, session.authorization), message.body);
    }
    return concat(this.#head(SOAP_CONTENT_TYPE, envelope.length, session.authorization), envelope);
  }

  #head(contentType: string, contentLength: number, authorization: string | undefined): Uint8Array {
    const headers: [string, string][] = [
      ['Host', this.#url.host],
      ['Connection', 'Keep-Alive'],
      ['Accept-Encoding', 'identity'],
      ['User-Agent', this.#options.userAgent ?? 'WinRM-Desk'],
      ['Content-Type', contentType],
      ['Content-Length', String(contentLength)],
    ];
    if (authorization !== undefined) headers.push(['Authorization', authorization]);
    return formatRequestHead({ method: 'POST', target: this.#url.pathname + this.#url.search, headers });
  }

  async #readResponse(session: Session, response: HttpResponse): Promise<WinRMResponse> {
    const contentType = response.headers.get('content-type') ?? '';
    let body = response.body;
    const encrypted = isEncryptedContentType(contentType);
    if (encrypted) {
      if (session.sealing === undefined) {
        this.#dropSession();
        throw new ProtocolError('the server encrypted its response although this session does not encrypt');
      }
      try {
        body = await openMessage(contentType, body, session.sealing);
      } catch (error) {
        this.#dropSession(); // the context's sequence state is now out of step with the server's
        throw error;
      }
    }
    const soap = encrypted || parseContentType(contentType).mediaType === 'application/soap+xml';
    if (response.status === 200) return { status: 200, headers: response.headers, body, encrypted };
    if (response.status === 500 && soap && body.length > 0) {
      return { status: 500, headers: response.headers, body, encrypted };
    }
    this.#dropSession();
    const connectionBoundPlaintext = !this.#secure && !this.encrypts && session.context.connectionBound;
    if (response.status === 500 && connectionBoundPlaintext) {
      throw new EncryptionRequiredError(
        `${this.#url.host} refused an unencrypted message (HTTP 500${textOf(response) && `: ${textOf(response)}`}). ` +
          "It requires message encryption (AllowUnencrypted is false): use encryption 'auto' or 'always', or HTTPS.",
        this.endpoint,
      );
    }
    throw this.#statusError(response);
  }

  #authenticationFailed(response: HttpResponse, scheme: string): AuthenticationError {
    const { mechanism } = this.#options;
    const host = this.#url.host;
    const offered = challengesOf(response).map((challenge) => challenge.scheme);
    const said = textOf(response);
    const fail = (message: string) =>
      new AuthenticationError(`${message}${said && `${SERVER_SAID}${said}.`}`, this.endpoint, mechanism.name, offered);
    if (mechanism.clientCertificate !== undefined) {
      // WinRM never advertises the certificate profile in WWW-Authenticate, so the offer list says nothing here.
      return fail(
        `${host} rejected the client certificate ${mechanism.clientCertificate.subject}: check that certificate ` +
          'authentication is enabled (winrm/config/service/auth Certificate=true) and that the certificate is ' +
          'mapped to a local account (winrm/config/service/certmapping).',
      );
    }
    if (offered.length > 0 && findChallenge(challengesOf(response), scheme) === undefined) {
      return fail(
        `${host} does not accept ${mechanism.name} authentication; it offers ${offered.join(', ')}. Enable ` +
          `${mechanism.name} in the WinRM service (winrm/config/service/auth) or choose an offered mechanism.`,
      );
    }
    const basicOverHttp = mechanism.name === 'Basic' && !this.#secure;
    return fail(
      `${host} rejected the ${mechanism.name} authentication: check the user name and password` +
        (basicOverHttp ? '; over HTTP, Basic also needs AllowUnencrypted=true on the server.' : '.'),
    );
  }

  #statusError(response: HttpResponse): HttpStatusError {
    const host = this.#url.host;
    const said = textOf(response);
    const explanation: Record<number, string> = {
      400: `${host} refused the request as malformed`,
      404: `there is no WS-Management service at ${this.endpoint}: check the path (usually /wsman) and the port`,
      411: `${host} wants a Content-Length`,
      413: `${host} refused the request as too large: lower the envelope size`,
      500: `${host} failed to process the request`,
      503: `the WinRM service at ${host} is unavailable: it may be starting or overloaded; try again later`,
    };
    const what = explanation[response.status] ?? `${host} answered with an unexpected status`;
    return new HttpStatusError(
      `${what} (HTTP ${response.status} ${response.reason})${said && `: ${said}`}`,
      this.endpoint,
      response.status,
      said,
    );
  }

  #dropSession(): void {
    this.#session?.connection.close();
    this.#session = undefined;
  }
}

/** Where an HTTPS server is and how its certificate is trusted: the options `verifyServerTrust` reads. */
export type ServerTrustOptions = Pick<
  WinRMTransportOptions,
  'endpoint' | 'hostName' | 'tls' | 'timeouts' | 'connector' | 'clock'
>;

/**
 * Settles an HTTPS server's identity without authenticating: opens a TLS connection as the transport does,
 * decides its certificate with the TLS settings (the policy, else the user through `askTrust`) and closes it
 * without sending a request. Fails as the transport's connection would (UntrustedCertificateError,
 * ConnectError). The app calls it before it asks for a password: no one types a secret for a server whose
 * identity is not established (DESIGN.md §1, §7).
 */
export async function verifyServerTrust(options: ServerTrustOptions): Promise<void> {
  const url = endpointUrl(options.endpoint);
  if (url.protocol !== 'https:' || options.tls === undefined) {
    throw new UsageError('only an HTTPS endpoint with TLS settings presents a certificate to verify');
  }
  const connection = await openConnection(url, options, options.timeouts?.connectMs ?? DEFAULT_TIMEOUTS.connectMs, {
    hostName: hostNameOf(url, options.hostName),
    clientCertificate: undefined,
    acceptedThisSession: new Set(),
  });
  connection.close();
}

/** A connection to the endpoint, TLS (with the trust decision) when it is HTTPS: not authenticated yet. */
function openConnection(
  url: URL,
  options: Pick<WinRMTransportOptions, 'tls' | 'connector' | 'clock' | 'maxResponseBytes'>,
  connectTimeoutMs: number,
  tls: Omit<NonNullable<OpenOptions['tls']>, 'settings'>,
): Promise<HttpConnection> {
  return HttpConnection.open({
    target: { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: portOf(url) },
    tls: url.protocol === 'https:' ? { ...tls, settings: options.tls! } : undefined,
    connectTimeoutMs,
    connector: options.connector ?? directTcpConnector,
    limits: { maxHeadBytes: MAX_HEAD_BYTES, maxBodyBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES },
    now: options.clock ?? (() => new Date()),
    endpoint: url.href,
  });
}

/** The name for certificate checks and SPNs: the override, else the endpoint's host, IPv6 without brackets. */
function hostNameOf(url: URL, override: string | undefined): string {
  return (override ?? url.hostname).replace(/^\[(.*)\]$/, '$1');
}

function endpointUrl(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`${JSON.stringify(endpoint)} is not a URL such as https://host:5986/wsman`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the endpoint must be http:// or https://, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError('the endpoint URL must not carry credentials');
  }
  if (url.pathname === '/') url.pathname = '/wsman';
  url.hash = '';
  return url;
}

function portOf(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Decides up front whether messages are sealed, refusing combinations that cannot work or would leak. */
function encryptionFor(
  policy: EncryptionPolicy,
  secure: boolean,
  mechanism: AuthMechanism<TransportAuthContext>,
): boolean {
  if (policy === 'always') {
    if (!mechanism.canSeal) throw new UsageError(`${mechanism.name} cannot encrypt messages: choose encryption 'auto'`);
    return true;
  }
  if (policy === 'never' || secure) return false;
  if (!mechanism.canSeal) {
    throw new UsageError(
      `${mechanism.name} over HTTP sends the credentials and every message in clear text. ` +
        "Use HTTPS, or choose encryption 'never' to accept that explicitly.",
    );
  }
  return true;
}

function authorizationValue(context: TransportAuthContext, token: Uint8Array | undefined): string {
  return token === undefined ? context.httpScheme : `${context.httpScheme} ${Buffer.from(token).toString('base64')}`;
}

function challengesOf(response: HttpResponse): AuthChallenge[] {
  return parseWwwAuthenticate(response.headers.getAll('www-authenticate'));
}

/** A short, single-line excerpt of a textual body (servers explain errors there). */
function textOf(response: HttpResponse): string {
  const type = parseContentType(response.headers.get('content-type') ?? '').mediaType;
  if (response.body.length === 0 || !(type.startsWith('text/') || type === '')) return '';
  return Buffer.from(response.body.subarray(0, 300)).toString('utf8').replace(/\s+/g, ' ').trim();
}

function concat(head: Uint8Array, body: Uint8Array): Uint8Array {
  return Buffer.concat([head, body]);
}
