import { ProtocolError } from '../../errors';
import { AuthenticationError } from '../authentication-error';
import { describeNtStatus, formatStatus } from './ntstatus';

/** A TSRequest that is well-formed DER but not what the exchange allows at this point. */
export class CredSspMessageError extends ProtocolError {
  override readonly name = 'CredSspMessageError';
}

/**
 * The server's pubKeyAuth does not prove it holds the key of the TLS certificate we talked to: the TLS
 * session ends somewhere else than the inner authentication (a machine in the middle). Never retried.
 */
export class CredSspBindingError extends ProtocolError {
  override readonly name = 'CredSspBindingError';
}

/** The server ended the exchange with TSRequest.errorCode. */
export class CredSspRefusedError extends AuthenticationError {
  override readonly name = 'CredSspRefusedError';

  constructor(
    /** The user as typed. */
    principal: string,
    /** The NTSTATUS (or SEC_E_ HRESULT) as an unsigned 32-bit number. */
    readonly status: number,
  ) {
    const { name, meaning, credentialsRejected } = describeNtStatus(status);
    const code = name === undefined ? meaning : `${name}, 0x${formatStatus(status)}: ${meaning}`;
    super(
      credentialsRejected ? 'credentials-rejected' : 'mechanism-rejected',
      'CredSSP',
      principal,
      credentialsRejected
        ? `the server rejected the credentials of ${principal} using CredSSP (${code}): ` +
            'check the user name, its domain and the password'
        : `the server refused CredSSP authentication of ${principal} (${code})`,
    );
  }
}

/** The server speaks a CredSSP version below the minimum this connection requires. */
export class CredSspVersionError extends AuthenticationError {
  override readonly name = 'CredSspVersionError';

  constructor(
    principal: string,
    readonly serverVersion: number,
    readonly minimumVersion: number,
  ) {
    super(
      'mechanism-rejected',
      'CredSSP',
      principal,
      `the server speaks CredSSP version ${serverVersion}, below the minimum of ${minimumVersion} this connection ` +
        'requires (version 5 and later carry the CVE-2018-0886 fix), so the password was not sent: ' +
        'update the server, or lower the minimum CredSSP version for this host',
    );
  }
}
