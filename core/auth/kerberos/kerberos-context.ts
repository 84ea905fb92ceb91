/**
 * The `Kerberos` HTTP scheme (PROTOCOL.md §6.1): raw krb5 GSS tokens in `Authorization: Kerberos …`,
 * one leg. The AP-REQ goes out; the server's 200 carries `WWW-Authenticate: Kerberos <AP-REP>`, which
 * the caller feeds back to complete the context (mutual authentication: a 200 without it fails).
 * Messages are then sealed with protocol `application/HTTP-Kerberos-session-encrypted`.
 */

import type { AuthContext, AuthStepResult, HttpAuthScheme, MessageSealing } from '../mechanism';
import type { KerberosAuthenticationError } from './errors';
import { KERBEROS_ENCRYPTED_PROTOCOL, KerberosInitiator, type KerberosInitiatorOptions } from './gss-initiator';

export class KerberosAuthContext implements AuthContext {
  readonly mechanismName = 'Kerberos';
  readonly httpScheme: HttpAuthScheme = 'Kerberos';
  readonly connectionBound = true;
  readonly #initiator: KerberosInitiator;

  constructor(options: Omit<KerberosInitiatorOptions, 'encryptedProtocol'>) {
    this.#initiator = new KerberosInitiator({ ...options, encryptedProtocol: KERBEROS_ENCRYPTED_PROTOCOL });
  }

  get complete(): boolean {
    return this.#initiator.complete;
  }

  get sealing(): MessageSealing | undefined {
    return this.#initiator.sealing;
  }

  /** The client principal (`alice@LAB.TEST`). */
  get principal(): string {
    return this.#initiator.principal;
  }

  step(serverToken: Uint8Array | undefined): AuthStepResult {
    const token = this.#initiator.step(serverToken);
    return this.#initiator.complete ? { kind: 'complete', token } : { kind: 'continue', token: token! };
  }

  /** What to throw when the server answers the AP-REQ with 401 and no token. */
  credentialsRejected(): KerberosAuthenticationError {
    return this.#initiator.credentialsRejected(this.mechanismName);
  }
}
