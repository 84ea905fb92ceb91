/**
 * The `Kerberos` HTTP scheme (PROTOCOL.md §6.1): raw krb5 GSS tokens in `Authorization: Kerberos …`,
 * one leg. The AP-REQ goes out; the server's 200 carries `WWW-Authenticate: Kerberos <AP-REP>`, which
 * the caller feeds back to complete the context (mutual authentication: a 200 without it fails).
 * Messages are then sealed with protocol `application/HTTP-Kerberos-session-encrypted`.
 */

import { RawGssContext } from '../raw-gss-context';
import type { KerberosAuthenticationError } from './errors';
import { KERBEROS_ENCRYPTED_PROTOCOL, KerberosInitiator, type KerberosInitiatorOptions } from './gss-initiator';

export class KerberosAuthContext extends RawGssContext<KerberosInitiator> {
  constructor(options: Omit<KerberosInitiatorOptions, 'encryptedProtocol'>) {
    super(new KerberosInitiator({ ...options, encryptedProtocol: KERBEROS_ENCRYPTED_PROTOCOL }), 'Kerberos');
  }

  /** What to throw when the server answers the AP-REQ with 401 and no token. */
  override credentialsRejected(): KerberosAuthenticationError {
    return this.mechanism.credentialsRejected(this.mechanismName);
  }
}
