/**
 * Turns Kerberos failures into errors a user can act on (issue 4, "Errors a user can act on"): each
 * message names what failed, the principal or address involved, and what to check.
 */

import { describeErrorCode, KerberosErrorCode } from './error-codes';
import { KerberosAuthenticationError } from './errors';
import type { KrbError } from './kdc-messages';

/** Kerberos' usual tolerance between clocks (MIT `clockskew`, AD policy default). */
const TOLERATED_SKEW_MINUTES = 5;

/** `2 h 3 min 5 s`, `42 s`: a duration for people. */
export function formatDuration(milliseconds: number): string {
  let seconds = Math.round(Math.abs(milliseconds) / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['min', 60],
  ] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)} ${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds} s`);
  return parts.join(' ');
}

/** `serverTime − localTime` = how far this computer's clock is behind (positive) or ahead (negative). */
export function clockSkewError(principal: string, peer: string, serverTime: number, localTime: number) {
  const difference = serverTime - localTime;
  const direction = difference >= 0 ? 'behind' : 'ahead of';
  return new KerberosAuthenticationError(
    'clock-skew',
    principal,
    `this computer's clock is ${formatDuration(difference)} ${direction} the clock of ${peer} ` +
      `(${describeErrorCode(KerberosErrorCode.KRB_AP_ERR_SKEW)}); Kerberos tolerates ${TOLERATED_SKEW_MINUTES} minutes: ` +
      `correct the date, time or time zone of this computer`,
    KerberosErrorCode.KRB_AP_ERR_SKEW,
  );
}

export function serviceUnknownError(principal: string, realm: string, spnsTried: readonly string[]) {
  return new KerberosAuthenticationError(
    'service-unknown',
    principal,
    `the KDC of ${realm} knows none of the service principals tried: ${spnsTried.join(', ')} ` +
      `(${describeErrorCode(KerberosErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN)}). Check the host name used for Kerberos: ` +
      `it must be the computer's name as registered in the domain, not an IP address or a DNS alias ` +
      `(connect by address with a Kerberos host name override)`,
    KerberosErrorCode.KDC_ERR_S_PRINCIPAL_UNKNOWN,
  );
}

export function kdcUnreachableError(principal: string, realm: string, addresses: readonly string[], reason: string) {
  const tried = addresses.length === 0 ? 'no KDC address is known' : `tried ${addresses.join(', ')}`;
  return new KerberosAuthenticationError(
    'kdc-unreachable',
    principal,
    `could not reach a KDC of realm ${realm}: ${tried} (${reason}). Check the KDC option, the realm's kdc ` +
      `entries in krb5.conf, or DNS SRV records _kerberos._tcp.${realm}`,
  );
}

const withText = (error: KrbError): string =>
  `${describeErrorCode(error.errorCode)}${error.eText ? `: ${error.eText.replace(/\0+$/, '')}` : ''}`;

/** A KRB-ERROR from the KDC during the AS or TGS exchange, as the user's problem. */
export function kdcError(principal: string, error: KrbError, localTime: number): KerberosAuthenticationError {
  const code = error.errorCode;
  const realm = error.realm;
  switch (code) {
    case KerberosErrorCode.KDC_ERR_PREAUTH_FAILED:
      return new KerberosAuthenticationError(
        'wrong-password',
        principal,
        `the KDC of ${realm} rejected the password of ${principal} (${withText(error)}): check the password`,
        code,
      );
    case KerberosErrorCode.KDC_ERR_C_PRINCIPAL_UNKNOWN:
      return new KerberosAuthenticationError(
        'client-unknown',
        principal,
        `the KDC of ${realm} does not know the user ${principal} (${withText(error)}): check the user name and its realm`,
        code,
      );
    case KerberosErrorCode.KDC_ERR_CLIENT_REVOKED:
    case KerberosErrorCode.KDC_ERR_KEY_EXPIRED:
    case KerberosErrorCode.KDC_ERR_NAME_EXP:
      return new KerberosAuthenticationError(
        'client-refused',
        principal,
        `the KDC of ${realm} refuses to log on ${principal} (${withText(error)}): the account is disabled, locked ` +
          `out or expired, or its password has expired`,
        code,
      );
    case KerberosErrorCode.KRB_AP_ERR_SKEW:
      return clockSkewError(principal, `the KDC of ${realm}`, error.serverTime, localTime);
    default:
      return new KerberosAuthenticationError(
        'kdc-error',
        principal,
        `the KDC of ${realm} refused the request for ${principal} (${withText(error)})`,
        code,
      );
  }
}

/** A KRB-ERROR from the server in answer to our AP-REQ. */
export function serverError(principal: string, service: string, error: KrbError, localTime: number) {
  if (error.errorCode === KerberosErrorCode.KRB_AP_ERR_SKEW) {
    return clockSkewError(principal, `the server ${service}`, error.serverTime, localTime);
  }
  return new KerberosAuthenticationError(
    'server-rejected',
    principal,
    `the server ${service} rejected the Kerberos ticket of ${principal} (${withText(error)}): ` +
      `check that the host name used for Kerberos is the server's own name and that its keytab is current`,
    error.errorCode,
  );
}
