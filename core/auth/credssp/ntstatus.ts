/**
 * Names and plain explanations of the status codes a CredSSP server puts in TSRequest.errorCode (MS-CSSP
 * 2.2.1: an NTSTATUS; SChannel/SSPI failures arrive as their SEC_E_ HRESULTs). Codes not listed are shown
 * in hexadecimal.
 */

export interface NtStatusDescription {
  /** e.g. STATUS_LOGON_FAILURE. */
  readonly name: string | undefined;
  /** What it means for the user. */
  readonly meaning: string;
  /** Whether it says the credentials themselves were refused (as opposed to a policy or a protocol failure). */
  readonly credentialsRejected: boolean;
}

const KNOWN: ReadonlyMap<number, readonly [string, string, boolean]> = new Map([
  [0xc000006d, ['STATUS_LOGON_FAILURE', 'the user name or password is incorrect', true]],
  [0xc000006a, ['STATUS_WRONG_PASSWORD', 'the password is incorrect', true]],
  [0xc0000064, ['STATUS_NO_SUCH_USER', 'the user does not exist', true]],
  [0xc000006e, ['STATUS_ACCOUNT_RESTRICTION', 'account restrictions prevent this logon', true]],
  [0xc000006f, ['STATUS_INVALID_LOGON_HOURS', 'the account may not log on at this time', true]],
  [0xc0000070, ['STATUS_INVALID_WORKSTATION', 'the account may not log on from this computer', true]],
  [0xc0000071, ['STATUS_PASSWORD_EXPIRED', 'the password has expired', true]],
  [0xc0000072, ['STATUS_ACCOUNT_DISABLED', 'the account is disabled', true]],
  [0xc0000193, ['STATUS_ACCOUNT_EXPIRED', 'the account has expired', true]],
  [0xc0000224, ['STATUS_PASSWORD_MUST_CHANGE', 'the password must be changed before the first logon', true]],
  [0xc0000234, ['STATUS_ACCOUNT_LOCKED_OUT', 'the account is locked out', true]],
  [0xc000015b, ['STATUS_LOGON_TYPE_NOT_GRANTED', 'the user is not granted this logon type on the server', true]],
  [0x8009030c, ['SEC_E_LOGON_DENIED', 'the logon was denied', true]],
  [0xc0000022, ['STATUS_ACCESS_DENIED', 'access is denied', false]],
  [0xc00000bb, ['STATUS_NOT_SUPPORTED', 'the server does not support what the client asked for', false]],
  [0xc000005e, ['STATUS_NO_LOGON_SERVERS', 'no domain controller is available to check the logon', false]],
  [0xc0000133, ['STATUS_TIME_DIFFERENCE_AT_DC', 'the clocks of this computer and the domain controller differ', false]],
  [
    0xc0000413,
    ['STATUS_AUTHENTICATION_FIREWALL_FAILED', 'the domain does not allow this user to authenticate here', false],
  ],
  [0x80090302, ['SEC_E_UNSUPPORTED_FUNCTION', 'the server does not support the requested function', false]],
  [0x80090308, ['SEC_E_INVALID_TOKEN', 'the server could not read a token the client sent', false]],
  [0x80090311, ['SEC_E_NO_AUTHENTICATING_AUTHORITY', 'no authority could be contacted for authentication', false]],
  [0x80090322, ['SEC_E_WRONG_PRINCIPAL', 'the target principal name is incorrect', false]],
]);

export function describeNtStatus(code: number): NtStatusDescription {
  const known = KNOWN.get(code);
  if (known === undefined) {
    return { name: undefined, meaning: `status 0x${formatStatus(code)}`, credentialsRejected: false };
  }
  const [name, meaning, credentialsRejected] = known;
  return { name, meaning, credentialsRejected };
}

/** Eight upper-case hexadecimal digits, as Windows prints an NTSTATUS. */
export function formatStatus(code: number): string {
  return (code >>> 0).toString(16).toUpperCase().padStart(8, '0');
}
