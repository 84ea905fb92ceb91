import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { minimumCredSspVersion, spnegoInnerContext, type CredSspInnerContext } from '../../core/auth/credssp';
import type { AuthConnectionInfo } from '../../core/auth/mechanism';
import { NtlmInitiator, parseNtlmUserName } from '../../core/auth/ntlm';
import { UsageError } from '../../core/errors';
import type { AuthMechanism } from '../transport/auth-mechanism';
import { CredSspAuthContext } from './credssp-context';
import type { CredSspTlsOptions } from './tls-session';

export interface CredSspMechanismOptions {
  /** `DOMAIN\user`, `user@realm` or `user`, and the password that is delegated to the server. */
  readonly credentials: { readonly userName: string; readonly password: string };
  /**
   * The user's explicit consent, given for this host, to hand it the password (DESIGN.md §7): CredSSP
   * delegates the password itself, so a compromised host can use it anywhere. Must be `true`.
   */
  readonly consent: boolean;
  /** Refuse servers below this CredSSP version: 2 (default) accepts all, 5 requires the CVE-2018-0886 fix. */
  readonly minimumVersion?: number;
  readonly tls?: CredSspTlsOptions;
  /**
   * The inner security context for a connection; SPNEGO offering NTLM by default. Kerberos drops in here:
   * `spnegoInnerContext([kerberos, ntlm])`. Inside CredSSP no channel bindings are used: pubKeyAuth binds.
   */
  readonly inner?: (connection: AuthConnectionInfo) => CredSspInnerContext;
  /** Randomness and time (client nonce, NTLM challenge and timestamp); node:crypto and the clock by default. */
  readonly randomBytes?: (length: number) => Uint8Array;
  readonly now?: () => number;
}

/** CredSSP in the `CredSSP` HTTP scheme (PROTOCOL.md §5): connection-bound, seals messages. */
export function credSspMechanism(options: CredSspMechanismOptions): AuthMechanism<CredSspAuthContext> {
  const { credentials } = options;
  const user = parseNtlmUserName(credentials.userName);
  if (options.consent !== true) {
    throw new UsageError(
      `CredSSP hands the password of ${user.display} to the server: it needs the user's explicit consent ` +
        'to delegate credentials to this host',
    );
  }
  const minimumVersion = minimumCredSspVersion(options.minimumVersion);
  const randomBytes = options.randomBytes ?? ((length: number) => Uint8Array.from(cryptoRandomBytes(length)));
  const now = options.now ?? Date.now;
  const inner =
    options.inner ??
    ((connection: AuthConnectionInfo) =>
      spnegoInnerContext([new NtlmInitiator({ credentials, connection, randomBytes, now })]));
  return {
    name: 'CredSSP',
    httpScheme: 'CredSSP',
    connectionBound: true,
    canSeal: true,
    newContext: (connection) =>
      new CredSspAuthContext({
        credentials,
        inner: inner({ channelBindings: undefined, targetHostName: connection.targetHostName }),
        randomBytes,
        minimumVersion,
        tls: options.tls,
      }),
  };
}
