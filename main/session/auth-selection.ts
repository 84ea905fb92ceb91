import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import type { AuthConnectionInfo, HttpAuthScheme } from '../../core/auth/mechanism';
import { NtlmContext, NtlmInitiator, parseNtlmUserName, type NtlmCredentials } from '../../core/auth/ntlm';
import { SpnegoContext, type GssMechanism } from '../../core/auth/spnego';
import { UsageError } from '../../core/errors';
import { credSspMechanism } from '../credssp';
import { kerberosMechanism, prepareKerberos, type KerberosOptions } from '../kerberos';
import {
  basicMechanism,
  certificateMechanism,
  type AuthMechanism,
  type ClientCertificate,
  type TransportAuthContext,
} from '../transport';

/**
 * From the user's choice of authentication to the transport's AuthMechanism (DESIGN.md §3). Each
 * connection-bound mechanism makes a fresh context per connection, bound to that connection's TLS channel
 * and authenticating to its target host: the `--host-name` override, else the URL's host.
 */

export const AUTH_METHODS = ['basic', 'certificate', 'ntlm', 'negotiate', 'kerberos', 'credssp'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export interface PasswordCredentials {
  /** `DOMAIN\user`, `user@realm` or `user`. */
  readonly userName: string;
  readonly password: string;
}

export type AuthSelection =
  | ({ readonly method: 'basic' | 'ntlm' | 'negotiate' } & PasswordCredentials)
  /** CredSSP hands the password to the server: `delegationConsent` is the user's explicit yes for this host. */
  | ({ readonly method: 'credssp'; readonly delegationConsent: boolean } & PasswordCredentials)
  /** Without a password Kerberos uses the credential cache (`kinit`), whose principal the user may name. */
  | { readonly method: 'kerberos'; readonly userName: string | undefined; readonly password: string | undefined }
  | { readonly method: 'certificate'; readonly certificate: ClientCertificate };

/** Whom the mechanisms authenticate to; what Kerberos must know before the first connection. */
export interface AuthTarget {
  /** The host name of the SPN (`HTTP/<host>`): the `--host-name` override, else the URL's host. */
  readonly hostName: string;
  /**
   * The SPN's service class (`WSMAN` for `WSMAN/<host>`): the only one Kerberos asks a ticket for, and the one
   * NTLM names in MsvAvTargetName. Absent: Kerberos tries `HTTP`, then `host` and `WSMAN`; NTLM names `HTTP`.
   */
  readonly spnService?: string;
  /** KDCs, krb5.conf files, credential cache, environment… (defaults: KRB5_CONFIG, KRB5CCNAME, DNS per krb5.conf). */
  readonly kerberos?: Omit<KerberosOptions, 'user' | 'password' | 'targetHostName' | 'serviceClasses'>;
}

/** Randomness and time for the mechanisms (inputs of the sans-IO core); node:crypto and the clock by default. */
export interface AuthEntropy {
  readonly randomBytes: (length: number) => Uint8Array;
  readonly now: () => number;
}

const systemEntropy: AuthEntropy = { randomBytes: (length) => cryptoRandomBytes(length), now: Date.now };

/**
 * The mechanism for `selection`. Asynchronous because Kerberos needs IO before its first token (a service
 * ticket from the KDC, or the TGT of a credential cache), which the synchronous `newContext` cannot do.
 */
export async function selectMechanism(
  selection: AuthSelection,
  target: AuthTarget,
  entropy: AuthEntropy = systemEntropy,
): Promise<AuthMechanism<TransportAuthContext>> {
  switch (selection.method) {
    case 'basic':
      return basicMechanism({ user: selection.userName, password: selection.password });
    case 'certificate':
      return certificateMechanism(selection.certificate);
    case 'ntlm':
      return ntlmMechanism(selection, entropy, target.spnService);
    case 'negotiate': {
      const ntlm = ntlmCredentials(selection);
      const { spnService } = target;
      // Kerberos first when a ticket can be had for the host; a mechanism that cannot be readied is simply not
      // offered, and NTLM (always offered) is the fallback, as Windows' Negotiate does.
      let kerberosUnavailable: Error | undefined;
      const kerberos = await prepareKerberos(kerberosOptions(selection, target, entropy)).catch((error: unknown) => {
        kerberosUnavailable = new Error(`Kerberos was not offered: ${(error as Error).message}`, { cause: error });
        return undefined;
      });
      const ntlmFactory: GssMechanismFactory = (connection) =>
        new NtlmInitiator({ credentials: ntlm, connection, spnService, ...entropy });
      return negotiateMechanism(
        kerberos === undefined ? [ntlmFactory] : [(connection) => kerberos.newGssMechanism(connection), ntlmFactory],
        kerberosUnavailable,
      );
    }
    case 'kerberos':
      return kerberosMechanism(await prepareKerberos(kerberosOptions(selection, target, entropy)));
    case 'credssp':
      return credSspMechanism({
        credentials: ntlmCredentials(selection),
        consent: selection.delegationConsent,
        randomBytes: entropy.randomBytes,
        now: entropy.now,
      });
  }
}

/**
 * Raw NTLM in the `Negotiate` HTTP scheme (PROTOCOL.md §4.1): connection-bound, seals messages. `spnService`
 * is the service class named in MsvAvTargetName (`HTTP` by default).
 */
export function ntlmMechanism(
  credentials: PasswordCredentials,
  entropy: AuthEntropy = systemEntropy,
  spnService?: string,
): AuthMechanism {
  const ntlm = ntlmCredentials(credentials);
  return connectionBoundMechanism(
    'NTLM',
    'Negotiate',
    (connection) => new NtlmContext({ credentials: ntlm, connection, spnService, ...entropy }),
  );
}

/** A GSS mechanism SPNEGO offers, made afresh for each connection. */
export type GssMechanismFactory = (connection: AuthConnectionInfo) => GssMechanism;

/**
 * SPNEGO in the `Negotiate` HTTP scheme (PROTOCOL.md §6), offering `mechanisms` most preferred first;
 * `notOffered` says why a preferred one is missing (it becomes the cause of a credentials rejection).
 */
export function negotiateMechanism(mechanisms: readonly GssMechanismFactory[], notOffered?: Error): AuthMechanism {
  if (mechanisms.length === 0) throw new UsageError('Negotiate needs at least one mechanism to offer');
  return connectionBoundMechanism(
    'Negotiate',
    'Negotiate',
    (connection) =>
      new SpnegoContext(
        mechanisms.map((make) => make(connection)),
        notOffered,
      ),
  );
}

function kerberosOptions(
  credentials: { readonly userName: string | undefined; readonly password: string | undefined },
  target: AuthTarget,
  entropy: AuthEntropy,
): KerberosOptions {
  return {
    randomBytes: entropy.randomBytes,
    now: entropy.now,
    ...target.kerberos,
    user: credentials.userName,
    password: credentials.password,
    targetHostName: target.hostName,
    ...(target.spnService === undefined ? {} : { serviceClasses: [target.spnService] }),
  };
}

/** Checks the user name now rather than at the first connection. */
function ntlmCredentials(credentials: PasswordCredentials): NtlmCredentials {
  parseNtlmUserName(credentials.userName);
  return { userName: credentials.userName, password: credentials.password };
}

function connectionBoundMechanism(
  name: string,
  httpScheme: HttpAuthScheme,
  newContext: AuthMechanism['newContext'],
): AuthMechanism {
  return { name, httpScheme, connectionBound: true, canSeal: true, newContext };
}
