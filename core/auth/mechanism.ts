/**
 * The one interface every WinRM authentication mechanism implements (DESIGN.md §3), so the HTTP
 * transport in main/ drives Basic, client certificate, NTLM, Kerberos, SPNEGO and CredSSP alike:
 * it asks the context for a token, sends it in `Authorization: <httpScheme> <base64>`, feeds the
 * server's `WWW-Authenticate: <httpScheme> <base64>` token back, and stops when the context is complete.
 * After completion a context that can seal messages exposes `sealing` (HTTP message encryption, PROTOCOL.md §3).
 */

/** The `Authorization` keyword of WinRM's client-certificate profile (PROTOCOL.md §7). */
export const CERTIFICATE_AUTH_SCHEME = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual';

export type HttpAuthScheme = 'Basic' | 'Negotiate' | 'Kerberos' | 'CredSSP' | typeof CERTIFICATE_AUTH_SCHEME;

export type AuthStepResult =
  /** Send `token` and expect a 401 carrying the server's next token. */
  | { readonly kind: 'continue'; readonly token: Uint8Array }
  /** Authentication is complete on our side; send `token` when present (the last leg). */
  | { readonly kind: 'complete'; readonly token: Uint8Array | undefined };

export interface MessageSealing {
  /** The `protocol=` of `multipart/encrypted` (e.g. application/HTTP-SPNEGO-session-encrypted). */
  readonly encryptedProtocol: string;
  /** Largest plaintext one wrapped part may carry (CredSSP: 16384); undefined = no limit. */
  readonly maxChunkBytes: number | undefined;
  /** Seals one plaintext part: the signature/header and the encrypted data of PROTOCOL.md §3.4. */
  wrap(plaintext: Uint8Array): { readonly header: Uint8Array; readonly data: Uint8Array };
  /** Opens one received part; throws a ProtocolError when it does not verify. */
  unwrap(header: Uint8Array, data: Uint8Array): Uint8Array;
}

export interface AuthContext {
  /** What to call it in messages to the user: 'Basic', 'Certificate', 'NTLM', 'Kerberos', 'Negotiate', 'CredSSP'. */
  readonly mechanismName: string;
  readonly httpScheme: HttpAuthScheme;
  /**
   * true: the handshake authenticates the TCP connection once (Negotiate, Kerberos, CredSSP); a new
   * connection needs a new context. false: every request carries the header (Basic, Certificate).
   */
  readonly connectionBound: boolean;
  readonly complete: boolean;
  /**
   * Consumes the server's token for this scheme (undefined on the first call, and for a final 200
   * without a token) and returns what to send next. Throws a UsageError when called after completion,
   * and a ProtocolError (or an AuthenticationError) when the server's token is unacceptable.
   */
  step(serverToken: Uint8Array | undefined): AuthStepResult;
  /** Present once complete when the mechanism can encrypt WinRM messages. */
  readonly sealing: MessageSealing | undefined;
  /**
   * The error to report when the server answers the final leg with 401: names the principal and the
   * mechanism so the user knows what to fix. Absent for mechanisms whose rejection needs no context.
   */
  credentialsRejected?(): Error;
}

/** What a mechanism needs to know of the connection it authenticates. */
export interface AuthConnectionInfo {
  /** RFC 5929 tls-server-end-point application data (`tls-server-end-point:` ‖ hash), HTTPS only. */
  readonly channelBindings: Uint8Array | undefined;
  /** The host name to authenticate to (SPN host part), which may differ from the address connected to. */
  readonly targetHostName: string;
}
