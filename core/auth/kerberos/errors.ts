import { AuthenticationError } from '../authentication-error';
import { ProtocolError } from '../../errors';

/** A Kerberos message from the KDC or the server is malformed or has an unexpected shape. */
export class KerberosMessageError extends ProtocolError {
  override readonly name = 'KerberosMessageError';
}

/** Decryption or a checksum failed: a wrong key, a wrong key usage, or tampering. */
export class KerberosIntegrityError extends ProtocolError {
  override readonly name = 'KerberosIntegrityError';
}

/** What went wrong, in terms of what the user can do about it. */
export type KerberosFailure =
  /** KDC_ERR_PREAUTH_FAILED, or an AS-REP that does not decrypt with the password's key. */
  | 'wrong-password'
  /** KDC_ERR_C_PRINCIPAL_UNKNOWN: no such user in the realm. */
  | 'client-unknown'
  /** The account may not log on: disabled, locked out, expired password. */
  | 'client-refused'
  /** KDC_ERR_S_PRINCIPAL_UNKNOWN for every SPN tried. */
  | 'service-unknown'
  /** KRB_AP_ERR_SKEW from the KDC or the server. */
  | 'clock-skew'
  /** No KDC of the realm answered. */
  | 'kdc-unreachable'
  /** No usable ticket-granting ticket in the credential cache. */
  | 'no-ticket'
  /** The server refused our AP-REQ. */
  | 'server-rejected'
  /** Any other KRB-ERROR. */
  | 'kdc-error';

const CREDENTIAL_FAILURES: ReadonlySet<KerberosFailure> = new Set([
  'wrong-password',
  'client-unknown',
  'client-refused',
]);

/**
 * A Kerberos failure the user can act on; the message says what failed and what to check. `failure`
 * of the base class is 'credentials-rejected' for the user's own credentials and 'mechanism-rejected'
 * otherwise (Kerberos cannot be used with this host now: SPNEGO may still fall back to NTLM).
 */
export class KerberosAuthenticationError extends AuthenticationError {
  override readonly name = 'KerberosAuthenticationError';

  constructor(
    readonly kerberosFailure: KerberosFailure,
    principal: string,
    message: string,
    /** The KRB-ERROR code behind it, when there was one. */
    readonly errorCode: number | undefined = undefined,
    /** 'Kerberos', or how SPNEGO names it: 'Kerberos (Negotiate)'. */
    mechanism = 'Kerberos',
  ) {
    super(
      CREDENTIAL_FAILURES.has(kerberosFailure) ? 'credentials-rejected' : 'mechanism-rejected',
      mechanism,
      principal,
      message,
    );
  }
}
