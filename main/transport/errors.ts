import { describeTrustRequest, type TrustRequest } from './trust-policy';

/**
 * Failures of the WinRM HTTP(S) transport. Each message says what failed and what the user can do; the
 * peer's protocol violations stay ProtocolErrors (MalformedHttpResponseError, EncryptedMessageError, ...).
 */
export class TransportError extends Error {
  override readonly name: string = 'TransportError';

  constructor(
    message: string,
    /** The endpoint URL (never carries credentials). */
    readonly endpoint: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** TCP connect or TLS handshake failed or timed out. */
export class ConnectError extends TransportError {
  override readonly name = 'ConnectError';
}

/**
 * The HTTP proxy could not be reached or would not open a tunnel to the server; the message says which and what
 * to check. Reported as the cause of a ConnectError, whose message it becomes.
 */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';

  constructor(
    message: string,
    /** The status of the proxy's answer to CONNECT, when it answered. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The server sent nothing for longer than the read timeout. */
export class ReadTimeoutError extends TransportError {
  override readonly name = 'ReadTimeoutError';
}

/** The connection broke before the response was complete, and the request could not be replayed. */
export class ConnectionLostError extends TransportError {
  override readonly name = 'ConnectionLostError';

  constructor(
    message: string,
    endpoint: string,
    /** Whether the server may have acted on the request (some of the response had arrived, or it was sent). */
    readonly mayHaveBeenProcessed: boolean,
    options?: ErrorOptions,
  ) {
    super(message, endpoint, options);
  }
}

/** The server refused our authentication (final 401), or does not offer the mechanism. */
export class AuthenticationError extends TransportError {
  override readonly name = 'AuthenticationError';

  constructor(
    message: string,
    endpoint: string,
    readonly mechanism: string,
    /** The schemes the server's last 401 offered. */
    readonly offeredSchemes: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, endpoint, options);
  }
}

/** The server requires message encryption that the chosen settings do not provide. */
export class EncryptionRequiredError extends TransportError {
  override readonly name = 'EncryptionRequiredError';
}

/** The TLS certificate was rejected by the policy or by the user. */
export class UntrustedCertificateError extends TransportError {
  override readonly name = 'UntrustedCertificateError';

  constructor(
    readonly request: TrustRequest,
    endpoint: string,
    detail = 'Pin its SHA-256 fingerprint for this host, or trust the issuing CA, if you are sure it is the right server.',
  ) {
    super(`${describeTrustRequest(request)} ${detail}`, endpoint);
  }
}

/** An HTTP status other than 200, 401 and a SOAP 500. */
export class HttpStatusError extends TransportError {
  override readonly name = 'HttpStatusError';

  constructor(
    message: string,
    endpoint: string,
    readonly status: number,
    /** The start of the body when it is text (servers explain errors there). */
    readonly bodyText: string,
  ) {
    super(message, endpoint);
  }
}
