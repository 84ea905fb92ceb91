import { BasicAuthContext, type BasicCredentials } from '../../core/auth/basic';
import {
  CERTIFICATE_AUTH_SCHEME,
  type AuthConnectionInfo,
  type AuthContext,
  type AuthStepResult,
  type HttpAuthScheme,
  type MessageSealing,
} from '../../core/auth/mechanism';
import { UsageError } from '../../core/errors';
import type { ClientCertificate } from './client-certificate';

/**
 * What the transport knows of a mechanism before it connects: whether it binds the connection and can seal
 * (which decides the encryption policy up front), and how to make a fresh context for each new connection
 * (connection-bound contexts die with their socket; DESIGN.md §3). `Context` is a synchronous core
 * AuthContext unless said otherwise; the transport takes any TransportAuthContext.
 */
export interface AuthMechanism<Context extends TransportAuthContext = AuthContext> {
  /** For messages: 'Basic', 'Certificate', 'NTLM', 'Kerberos', 'Negotiate', 'CredSSP'. */
  readonly name: string;
  readonly httpScheme: HttpAuthScheme;
  readonly connectionBound: boolean;
  /** Whether its completed contexts offer `sealing` (HTTP message encryption). */
  readonly canSeal: boolean;
  /** The TLS client certificate it authenticates with; such a mechanism needs HTTPS. */
  readonly clientCertificate?: ClientCertificate;
  newContext(connection: AuthConnectionInfo): Context;
}

/**
 * What the transport drives: a core AuthContext, or one whose steps and sealing need IO before they can
 * answer (CredSSP runs Node's event-driven TLS engine), so they may return promises. The transport awaits
 * every step, wrap and unwrap; a synchronous context is one whose promises are already settled.
 */
export interface TransportAuthContext extends Omit<AuthContext, 'step' | 'sealing' | 'credentialsRejected'> {
  step(serverToken: Uint8Array | undefined): AuthStepResult | Promise<AuthStepResult>;
  readonly sealing: TransportSealing | undefined;
  /**
   * The error for an HTTP 401 that ends the exchange after the first leg, given that response's token for
   * this scheme (CredSSP carries its errorCode there).
   */
  credentialsRejected?(serverToken: Uint8Array | undefined): Error | Promise<Error>;
}

export interface TransportSealing extends Omit<MessageSealing, 'wrap' | 'unwrap'> {
  wrap(plaintext: Uint8Array): SealedData | Promise<SealedData>;
  unwrap(header: Uint8Array, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

type SealedData = ReturnType<MessageSealing['wrap']>;

export function basicMechanism(credentials: BasicCredentials): AuthMechanism {
  // Validates the credentials now, not at the first request.
  new BasicAuthContext(credentials);
  return {
    name: 'Basic',
    httpScheme: 'Basic',
    connectionBound: false,
    canSeal: false,
    newContext: () => new BasicAuthContext(credentials),
  };
}

/**
 * Certificate authentication: the TLS handshake proves the client certificate; every request names the
 * profile in `Authorization: http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual` (no token).
 */
export function certificateMechanism(certificate: ClientCertificate): AuthMechanism {
  return {
    name: 'Certificate',
    httpScheme: CERTIFICATE_AUTH_SCHEME,
    connectionBound: false,
    canSeal: false,
    clientCertificate: certificate,
    newContext: () => new CertificateAuthContext(),
  };
}

export class CertificateAuthContext implements AuthContext {
  readonly mechanismName = 'Certificate';
  readonly httpScheme: HttpAuthScheme = CERTIFICATE_AUTH_SCHEME;
  readonly connectionBound = false;
  readonly sealing = undefined;
  #complete = false;

  get complete(): boolean {
    return this.#complete;
  }

  step(): AuthStepResult {
    if (this.#complete) throw new UsageError('certificate authentication is already complete');
    this.#complete = true;
    return { kind: 'complete', token: undefined };
  }
}
