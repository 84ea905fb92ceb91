/**
 * The server refused to authenticate us: an expected failure the user can fix (wrong password, a
 * mechanism the server does not offer…), reported with what failed and what to check, without a stack
 * trace. Distinct from ProtocolError (the server broke the protocol) and UsageError (our bug).
 */

export type AuthenticationFailure =
  /** The credentials were checked and refused (wrong password, unknown or locked-out user). */
  | 'credentials-rejected'
  /** The server accepts none of the mechanisms we offered. */
  | 'mechanism-rejected';

export class AuthenticationError extends Error {
  override readonly name: string = 'AuthenticationError';

  constructor(
    readonly failure: AuthenticationFailure,
    /** The mechanism as the user knows it: 'NTLM', 'Kerberos', 'NTLM (Negotiate)'… */
    readonly mechanism: string,
    /** The user as typed (`LAB\alice`, `alice@lab.test`). */
    readonly principal: string,
    message: string,
  ) {
    super(message);
  }

  static credentialsRejected(principal: string, mechanism: string): AuthenticationError {
    return new AuthenticationError(
      'credentials-rejected',
      mechanism,
      principal,
      `the server rejected the credentials of ${principal} using ${mechanism}: check the user name, its domain and the password`,
    );
  }
}
